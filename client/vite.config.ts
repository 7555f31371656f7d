import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
// Where `vite` (dev) sends /api and /ws; FF_GATEWAY points it at another gateway.
const gateway = process.env.FF_GATEWAY ?? 'http://127.0.0.1:8080';

// One entry per page. /ops and /brand join `input` later as ops.html / brand.html.
export default defineConfig({
  root,
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Vite 8 bundles with Rolldown; `rolldownOptions` is the current name of `rollupOptions`.
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL('./index.html', import.meta.url)),
        ops: fileURLToPath(new URL('./ops.html', import.meta.url)),
        brand: fileURLToPath(new URL('./brand.html', import.meta.url)),
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
