import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('./dist', import.meta.url));
// Where `vite` (dev) sends /api and /ws; FF_GATEWAY points it at another gateway.
const gateway = process.env.FF_GATEWAY ?? 'http://127.0.0.1:8080';

const SW_ENTRY = 'sw';

/**
 * The service worker is an entry of its own, written as /sw.js (a worker's URL is its identity:
 * no hash), and told which hashed files the shopper page needs, so the first visit caches them
 * all and a revisit without a network has them.
 */
function serviceWorker(): Plugin {
  return {
    name: 'ff-service-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      const sw = bundle[`${SW_ENTRY}.js`];
      if (!sw || sw.type !== 'chunk') return;
      const page = Object.values(bundle).find((c) => c.type === 'chunk' && c.isEntry && c.name === 'index');
      if (!page || page.type !== 'chunk') throw new Error('service worker: the index entry is missing');
      const files = new Set<string>();
      const visit = (name: string) => {
        const c = bundle[name];
        if (!c || files.has(name)) return;
        files.add(name);
        if (c.type !== 'chunk') return;
        for (const css of c.viteMetadata?.importedCss ?? []) files.add(css);
        for (const asset of c.viteMetadata?.importedAssets ?? []) files.add(asset);
        for (const i of c.imports) visit(i);
      };
      visit(page.fileName);
      const precache = [...files].sort().map((f) => `/${f}`);
      const version = createHash('sha256').update(precache.join('\n')).digest('hex').slice(0, 12);
      sw.code = sw.code
        .replaceAll('__FF_PRECACHE__', JSON.stringify(precache))
        .replaceAll('__FF_SW_VERSION__', JSON.stringify(version));
    },
  };
}

const COMPRESSIBLE = /\.(js|css|html|svg|json|webmanifest|txt|map)$/;

/** Writes x.br and x.gz beside every compressible file once the build is out, so the gateway
 *  picks one by Accept-Encoding and compresses nothing per request. Files too small to gain
 *  are left alone. */
function precompress(): Plugin {
  return {
    name: 'ff-precompress',
    apply: 'build',
    closeBundle() {
      const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => {
        const p = join(dir, n);
        return statSync(p).isDirectory() ? walk(p) : [p];
      });
      for (const file of walk(outDir)) {
        if (!COMPRESSIBLE.test(file)) continue;
        const body = readFileSync(file);
        if (body.length < 512) continue;
        const br = brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } });
        const gz = gzipSync(body, { level: 9 });
        if (br.length < body.length) writeFileSync(`${file}.br`, br);
        if (gz.length < body.length) writeFileSync(`${file}.gz`, gz);
      }
    },
  };
}

// One entry per page, and the service worker.
export default defineConfig({
  root,
  base: '/',
  plugins: [serviceWorker(), precompress()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    // Vite 8 bundles with Rolldown; `rolldownOptions` is the current name of `rollupOptions`.
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL('./index.html', import.meta.url)),
        ops: fileURLToPath(new URL('./ops.html', import.meta.url)),
        brand: fileURLToPath(new URL('./brand.html', import.meta.url)),
        [SW_ENTRY]: fileURLToPath(new URL('./src/sw/service-worker.ts', import.meta.url)),
      },
      output: {
        entryFileNames: (chunk) => (chunk.name === SW_ENTRY ? `${SW_ENTRY}.js` : 'assets/[name]-[hash].js'),
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: gateway, changeOrigin: false },
      '/ops/ws': { target: gateway, ws: true, changeOrigin: true },
      // The gateway checks the socket's Origin against ALLOWED_ORIGINS, which does not list the
      // dev server; present the gateway's own origin instead (dev only, never in the build).
      '/ws': { target: gateway, ws: true, changeOrigin: true, rewriteWsOrigin: true },
    },
  },
});
