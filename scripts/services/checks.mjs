// Pre-flight checks shared by start.mjs and test.mjs: Node version, installed dependencies,
// the client build, Chromium for the browser tests.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT, bin, die, log, newestMtime, run, warn, which } from './util.mjs';

/** uWebSockets.js ships a native binary for Node 20 (ABI 115) only; elsewhere it falls back to a slow copy. */
export function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major !== 20 || minor < 19 || process.versions.modules !== '115') {
    const msg = `flashfest needs Node.js ^20.19 (found ${process.versions.node}, ABI ${process.versions.modules}): ` +
      'the uWebSockets.js native binary is built for Node 20 (ABI 115) only; install Node 20 (e.g. "nvm install 20")';
    if (process.env.FF_ALLOW_ANY_NODE === '1') warn(`${msg} — continuing because FF_ALLOW_ANY_NODE=1`);
    else die(msg);
  }
}

export function checkNodeModules(cmd) {
  const needed = ['tsx', 'pg', 'ioredis', 'vite', 'vitest', 'typescript'];
  const missing = needed.filter((p) => !existsSync(path.join(ROOT, 'node_modules', p, 'package.json')));
  if (missing.length) die(`dependencies are not installed (missing ${missing.join(', ')}): run "npm ci && ${cmd}"`);
  // npm ci / npm install write node_modules/.package-lock.json; an older one means the lock moved on.
  try {
    const lock = statSync(path.join(ROOT, 'package-lock.json')).mtimeMs;
    const installed = statSync(path.join(ROOT, 'node_modules', '.package-lock.json')).mtimeMs;
    if (lock > installed + 1000) warn('package-lock.json is newer than node_modules: run "npm ci" if something is missing');
  } catch { /* no lock: nothing to compare */ }
}

/**
 * Builds the client into client/dist when it is missing or older than its sources. Skipped with a
 * warning while client/vite.config.ts does not exist. Resolves false when the build failed.
 * `runner` runs vite (start.mjs passes one that stops it on a signal).
 */
export async function buildClient({ force = false, runner = run } = {}) {
  const clientDir = path.join(ROOT, 'client');
  const viteConfig = path.join(clientDir, 'vite.config.ts');
  if (!existsSync(viteConfig)) {
    warn('client/vite.config.ts does not exist yet: skipping the client build');
    return true;
  }
  const dist = path.join(clientDir, 'dist');
  const built = existsSync(path.join(dist, 'index.html')) ? newestMtime(dist) : 0;
  // everything under client/ but dist/ and node_modules/: sources, pages, config, public/
  const sources = Math.max(newestMtime(clientDir), newestMtime(path.join(ROOT, 'server', 'src', 'shared')));
  if (!force && built && built >= sources) {
    log('client: client/dist is up to date');
    return true;
  }
  log(`client: building client/dist (${force ? 'forced' : built ? 'sources changed' : 'no build yet'})`);
  const code = await runner(bin('vite'), ['build', '--config', 'client/vite.config.ts', '--logLevel', 'warn']);
  if (code !== 0) {
    warn(`client build failed (exit ${code})`);
    return false;
  }
  return true;
}

export const CHROMIUM = '/usr/bin/chromium';

/** The browser tests drive Debian's Chromium; install it when we can (root + apt-get). */
export async function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  const fix = 'flashfest tests need Chromium at /usr/bin/chromium: run "sudo apt-get install -y chromium"';
  if (process.getuid?.() !== 0 || !which('apt-get')) die(fix);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log('chromium: not found; running "apt-get update" and "apt-get install -y chromium"');
  let code = await run('apt-get', ['update', '-q'], { env });
  if (code === 0) code = await run('apt-get', ['install', '-y', '-q', 'chromium'], { env });
  if (code !== 0 || !existsSync(CHROMIUM)) die(fix);
  log('chromium: installed /usr/bin/chromium');
}
