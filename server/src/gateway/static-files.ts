// Serves the built client (client/dist) from memory: it is small, and reading it once means
// no file-system work per request and no path ever reaches the disk from a URL.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative, extname } from 'node:path';
import type { HttpResponse } from 'uWebSockets.js';
import { statusLine } from '../http/uws-http.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.webp': 'image/webp', '.ico': 'image/x-icon',
  '.map': 'application/json', '.txt': 'text/plain; charset=utf-8', '.woff2': 'font/woff2',
};

interface StaticFile { body: Buffer; type: string; immutable: boolean }

export class StaticFiles {
  private readonly files = new Map<string, StaticFile>();

  constructor(dir: string) {
    if (!existsSync(dir)) return;
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const full = join(d, name);
        if (statSync(full).isDirectory()) walk(full);
        else {
          const url = '/' + relative(dir, full).split('\\').join('/');
          // Vite puts content-hashed bundles under /assets: safe to cache for a year
          this.files.set(url, { body: readFileSync(full), type: TYPES[extname(full)] ?? 'application/octet-stream', immutable: url.startsWith('/assets/') });
        }
      }
    };
    walk(dir);
  }

  get empty(): boolean {
    return this.files.size === 0;
  }

  /** Pages are served at their clean paths: `/` -> index.html, `/ops` -> ops.html. */
  serve(res: HttpResponse, url: string): boolean {
    const file = this.files.get(url)
      ?? this.files.get(url === '/' ? '/index.html' : `${url.replace(/\/$/, '')}.html`)
      ?? this.files.get(`${url.replace(/\/$/, '')}/index.html`);
    if (!file) return false;
    res.cork(() => {
      res.writeStatus(statusLine(200))
        .writeHeader('content-type', file.type)
        .writeHeader('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        .writeHeader('x-content-type-options', 'nosniff')
        .end(file.body);
    });
    return true;
  }
}
