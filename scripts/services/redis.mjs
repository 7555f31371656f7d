// Finds a Redis for flashfest, in this order:
//   1. REDIS_URL (or the caller's own variable, e.g. TEST_REDIS_URL) when set;
//   2. a Redis answering PING on 127.0.0.1:6379 (FF_PROBE_REDIS_PORT overrides the port, for tests
//      of this script);
//   3. a private `redis-server` from the PATH on a free port, nothing persisted, stopped with us;
//   4. otherwise one line that says how to get one, and exit 1. No embedded Redis runs BullMQ.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import {
  DATA_DIR, die, ensureDir, freePort, log, processLooksLike, pidAlive, reapOrphans, removeFile,
  until, warn, which, writeOwner,
} from './util.mjs';

export const REDIS_MISSING = 'flashfest needs Redis: run "sudo apt-get install -y redis-server" (or set REDIS_URL)';

/** Sends an inline PING and resolves true on "+PONG". */
export function redisPing(port, host = '127.0.0.1', timeoutMs = 700) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    let buf = '';
    const done = (ok) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
    sock.once('error', () => done(false));
    sock.once('close', () => done(false));
  });
}

/**
 * @param {{ envUrl?: string, label?: string }} opts
 * @returns {Promise<{ url: string, kind: 'env'|'local'|'private', stop: () => Promise<void> }>}
 */
export async function ensureRedis({ envUrl = process.env.REDIS_URL, label = 'REDIS_URL' } = {}) {
  const noop = async () => {};
  if (envUrl) {
    log(`redis: using ${label} (${mask(envUrl)})`);
    return { url: envUrl, kind: 'env', stop: noop };
  }

  const probePort = Number(process.env.FF_PROBE_REDIS_PORT || 6379);
  if (await redisPing(probePort)) {
    const url = `redis://127.0.0.1:${probePort}`;
    log(`redis: using the local server at 127.0.0.1:${probePort}`);
    return { url, kind: 'local', stop: noop };
  }

  const bin = which('redis-server');
  if (!bin) die(REDIS_MISSING);

  const dir = ensureDir(path.join(DATA_DIR, 'redis'));
  reapOrphans(dir, 'redis-server');
  const port = await freePort();
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning', '--logfile', '',
  ];
  // Own process group: a Ctrl-C in the terminal reaches start.mjs, which stops the server first
  // and this Redis after, instead of Redis vanishing under a server that is still shutting down.
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  let exited = false;
  child.on('exit', () => { exited = true; });
  const ownerFile = path.join(dir, `redis-${port}.owner.json`);
  writeOwner(ownerFile, { pid: child.pid, exe: 'redis-server', port });

  const up = await until(async () => exited ? Promise.reject(new Error('exited')) : redisPing(port), 10_000, 50);
  if (!up) {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
    removeFile(ownerFile);
    die(`could not start a private redis-server (${bin}) on port ${port}; set REDIS_URL to a Redis you run`);
  }
  log(`redis: no Redis at 127.0.0.1:${probePort}; started a private redis-server on 127.0.0.1:${port} (pid ${child.pid}, nothing persisted)`);

  const stop = async () => {
    if (!exited && pidAlive(child.pid) && processLooksLike(child.pid, 'redis-server')) {
      child.kill('SIGTERM');
      const gone = await until(async () => exited, 5_000, 50);
      if (!gone) {
        warn(`redis-server pid ${child.pid} did not stop; killing it`);
        try { child.kill('SIGKILL'); } catch { /* gone */ }
      }
    }
    removeFile(ownerFile);
  };
  return { url: `redis://127.0.0.1:${port}`, kind: 'private', stop, pid: child.pid };
}

function mask(u) {
  return u.replace(/\/\/([^@/]*)@/, '//***@');
}
