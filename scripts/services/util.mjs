// Small helpers shared by scripts/start.mjs, scripts/test.mjs and the service starters.
// Plain .mjs with Node built-ins only: they run before anything is compiled or even installed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DATA_DIR = path.join(ROOT, '.data');

/** One log line, prefixed so it stands out from the server's JSON logs. */
export function log(msg) {
  process.stdout.write(`flashfest: ${msg}\n`);
}
export function warn(msg) {
  process.stderr.write(`flashfest: warning: ${msg}\n`);
}
/** Print one clear line and exit. */
export function die(msg, code = 1) {
  process.stderr.write(msg.startsWith('flashfest ') ? `${msg}\n` : `flashfest: ${msg}\n`);
  process.exit(code);
}

/** A locally installed command (node_modules/.bin/<name>): what `npx <name>` runs, without npm. */
export function bin(name) {
  return path.join(ROOT, 'node_modules', '.bin', name);
}

export function ensureDir(dir) {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A TCP port nobody listens on right now, on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections at host:port. */
export function portOpen(port, host = '127.0.0.1', timeoutMs = 500) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll `check` until it returns truthy or `timeoutMs` passes; returns the last result. */
export async function until(check, timeoutMs, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => false);
    if (v || Date.now() > deadline) return v;
    await sleep(everyMs);
  }
}

export function pidAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Full path of `cmd` on PATH (or in `extraDirs`), or null. */
export function which(cmd, extraDirs = []) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs].filter(Boolean);
  for (const d of dirs) {
    const p = path.join(d, cmd);
    try {
      if (statSync(p).isFile()) return p;
    } catch { /* not here */ }
  }
  return null;
}

/** Run a command to completion with inherited output; resolves with its exit code. `onChild` gets the process. */
export function run(cmd, args, { onChild, ...opts } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', cwd: ROOT, ...opts });
    onChild?.(child);
    child.on('error', (err) => { warn(`${cmd}: ${err.message}`); resolve(127); });
    child.on('exit', (code, signal) => resolve(code ?? 128 + (os.constants.signals[signal] ?? 1)));
  });
}

export function runSync(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', cwd: ROOT, ...opts });
}

// Owner files: a private service started by one script run records who owns it, so a later run
// can tell a live sibling (leave it alone) from an orphan left by a run that was killed (stop it).
export function writeOwner(file, data) {
  writeFileSync(file, JSON.stringify({ ...data, owner: process.pid }) + '\n');
}
export function readOwner(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
export function removeFile(file) {
  rmSync(file, { force: true });
}

/** Stop private services left running by earlier runs that were killed (owner gone). */
export function reapOrphans(dir, label) {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.owner.json')) continue;
    const file = path.join(dir, f);
    const o = readOwner(file);
    if (!o) { removeFile(file); continue; }
    if (pidAlive(o.owner)) continue;
    if (pidAlive(o.pid) && processLooksLike(o.pid, o.exe)) {
      log(`stopping orphan ${label} pid ${o.pid} left by an earlier run`);
      try { process.kill(o.pid, 'SIGTERM'); } catch { /* gone */ }
    }
    removeFile(file);
  }
}

/** Whether pid's command line mentions `needle` (guards against reused pids). */
export function processLooksLike(pid, needle) {
  if (!needle) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
  } catch {
    return false;
  }
}

/** Newest mtime (ms) of any file under `p` (a file or a directory), 0 if none. */
export function newestMtime(p) {
  let st;
  try {
    st = statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const e of readdirSync(p)) {
    if (e === 'node_modules' || e === 'dist') continue;
    newest = Math.max(newest, newestMtime(path.join(p, e)));
  }
  return newest;
}
