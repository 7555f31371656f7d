// Serves the built client (client/dist) from memory: it is small, and reading it once means
// no file-system work per request and no path ever reaches the disk from a URL.
// The build leaves `x.br` and `x.gz` beside each compressible file (client/vite.config.ts), so a
// phone on a slow link gets the smallest copy its browser takes and the gateway compresses
// nothing per request; only the shopper page's HTML, which carries the live festival shell, is
// compressed as it changes (server/src/shell/).
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative, extname } from 'node:path';
import type { HttpResponse } from 'uWebSockets.js';
import { statusLine } from '../http/uws-http.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.webp': 'image/webp', '.ico': 'image/x-icon',
  '.map': 'application/json', '.txt': 'text/plain; charset=utf-8', '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
};

export type Encoding = 'br' | 'gzip' | 'identity';

/** One response body in each encoding the build (or the shell) made of it. */
export interface Encoded {
  identity: Buffer;
  br?: Buffer;
  gzip?: Buffer;
}

export interface StaticFile {
  body: Encoded;
  type: string;
  immutable: boolean;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The encoding to send for an `Accept-Encoding` header, among those we have: br, then gzip, then
 * identity. A coding with `q=0` is refused; `*` stands for any coding not named.
 */
export function chooseEncoding(acceptEncoding: string, have: Encoded): Encoding {
  const q = new Map<string, number>();
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (!name) continue;
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p);
      if (m) weight = Number(m[1]);
    }
    q.set(name.trim(), Number.isFinite(weight) ? weight : 0);
  }
  const accepts = (coding: string) => (q.get(coding) ?? q.get('*') ?? 0) > 0;
  if (have.br && accepts('br')) return 'br';
  if (have.gzip && accepts('gzip')) return 'gzip';
  return 'identity';
}

/** Writes one body in the best encoding the client takes. `Vary` tells caches the answer
 *  depends on Accept-Encoding whenever there is more than one copy. */
export function sendEncoded(res: HttpResponse, file: { body: Encoded; type: string }, cacheControl: string, acceptEncoding: string, head = false): void {
  const encoding = chooseEncoding(acceptEncoding, file.body);
  const body = file.body[encoding] ?? file.body.identity;
  res.cork(() => {
    res.writeStatus(statusLine(200))
      .writeHeader('content-type', file.type)
      .writeHeader('cache-control', cacheControl)
      .writeHeader('x-content-type-options', 'nosniff');
    if (file.body.br || file.body.gzip) res.writeHeader('vary', 'Accept-Encoding');
    if (encoding !== 'identity') res.writeHeader('content-encoding', encoding);
    // HEAD: the length without the body (end(body) would send it; this uWS build's
    // endWithoutBody(length) leaves the request unanswered, so the header is written here)
    if (head) res.writeHeader('content-length', String(body.length)).endWithoutBody();
    else res.end(body);
  });
}

export class StaticFiles {
  private readonly files = new Map<string, StaticFile>();

  constructor(dir: string) {
    if (!existsSync(dir)) return;
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const full = join(d, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (!name.endsWith('.br') && !name.endsWith('.gz')) {
          const url = '/' + relative(dir, full).split('\\').join('/');
          const body: Encoded = { identity: readFileSync(full) };
          if (existsSync(`${full}.br`)) body.br = readFileSync(`${full}.br`);
          if (existsSync(`${full}.gz`)) body.gzip = readFileSync(`${full}.gz`);
          // Vite puts content-hashed bundles under /assets: safe to cache for a year
          this.files.set(url, { body, type: TYPES[extname(full)] ?? 'application/octet-stream', immutable: url.startsWith('/assets/') });
        }
      }
    };
    walk(dir);
  }

  get empty(): boolean {
    return this.files.size === 0;
  }

  /** Pages are found at their clean paths: `/` -> index.html, `/ops` -> ops.html. */
  find(url: string): StaticFile | undefined {
    return this.files.get(url)
      ?? this.files.get(url === '/' ? '/index.html' : `${url.replace(/\/$/, '')}.html`)
      ?? this.files.get(`${url.replace(/\/$/, '')}/index.html`);
  }

  /** Hashed files are cached for a year; anything else (pages, sw.js, the manifest) is
   *  revalidated on every use, so a deploy reaches everyone on their next load. */
  serve(res: HttpResponse, url: string, acceptEncoding: string, head = false): boolean {
    const file = this.find(url);
    if (!file) return false;
    sendEncoded(res, file, file.immutable ? IMMUTABLE : 'no-cache', acceptEncoding, head);
    return true;
  }
}
