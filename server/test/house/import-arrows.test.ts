// Which folder may import which. The rules are the ones issue 14 set ("no arrow up"); each lives
// here so that the next import that breaks one fails a test instead of waiting for a review.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SERVER = path.join(ROOT, 'server/src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every module a file imports, static or dynamic, resolved to a path from the repo root when relative. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)'([^']+)'/gm)].map((m) => m[1]!);
  return specs.map((s) => (s.startsWith('.') ? path.relative(ROOT, path.resolve(path.dirname(file), s)) : s));
}

/** `file -> import` pairs of the files under `from` that break `allowed`. */
function offending(from: string, allowed: (spec: string, file: string) => boolean): string[] {
  return sources(path.join(ROOT, from)).flatMap((file) => {
    const rel = path.relative(ROOT, file);
    return imports(file).filter((spec) => !allowed(spec, rel)).map((spec) => `${rel} -> ${spec}`);
  });
}

describe('import arrows', () => {
  it('server/src/shared imports only itself: the client bundles it, so no Node code and no server internals', () => {
    expect(offending('server/src/shared', (spec) => spec.startsWith('server/src/shared/'))).toEqual([]);
  });

  it('the client takes nothing from the server but server/src/shared', () => {
    const fromServer = (spec: string) => !spec.startsWith('server/') || spec.startsWith('server/src/shared/');
    expect(offending('client/src', fromServer)).toEqual([]);
  });

  it('db/ stands below the domains: it imports only itself, shared/ and config', () => {
    const below = (spec: string) => !spec.startsWith('server/') || spec.startsWith('server/src/db/')
      || spec.startsWith('server/src/shared/') || spec === 'server/src/config.ts';
    expect(offending('server/src/db', below)).toEqual([]);
  });

  it('brand/ and gateway/ do not import each other, but for the one call that mounts the brand API', () => {
    expect(offending('server/src/brand', (spec) => !spec.startsWith('server/src/gateway/'))).toEqual([]);
    const mount = (spec: string) => !spec.startsWith('server/src/brand/') || spec === 'server/src/brand/routes.ts';
    expect(offending('server/src/gateway', mount)).toEqual([]);
  });

  it('sees every import form the rules rely on', () => {
    // a guard against the scanner itself going blind: a known file's known imports
    expect(imports(path.join(SERVER, 'shared/ops-view.ts'))).toEqual(['server/src/shared/protocol.ts']);
  });
});
