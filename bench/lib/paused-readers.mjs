// Drives bench/load/paused-readers.c: sockets that subscribe to a festival and never read again.
// Compiled on first use next to wsload (node_modules/.cache/flashfest-bench/), again whenever
// the source is newer; no fallback, since a Node socket cannot set SO_RCVBUF and pausing a Node
// stream still leaves libuv reading whatever is already queued.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { children, ROOT } from './env.mjs';
import { tokenSlices } from './load-fleet.mjs';
import { onLines } from './lines.mjs';

const SOURCE = path.join(ROOT, 'bench', 'load', 'paused-readers.c');
const BINARY = path.join(ROOT, 'node_modules', '.cache', 'flashfest-bench', 'paused-readers');

function binary() {
  const src = statSync(SOURCE).mtimeMs;
  let bin = null;
  try { bin = statSync(BINARY).mtimeMs; } catch { /* not built yet */ }
  if (bin !== null && bin >= src) return BINARY;
  mkdirSync(path.dirname(BINARY), { recursive: true });
  const tmp = `${BINARY}.${process.pid}.tmp`; // renamed when complete: a concurrent bench never runs half a file
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', tmp, SOURCE], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`cannot build ${path.relative(ROOT, SOURCE)}: ${r.error?.message ?? r.stderr.trim()}`);
  }
  renameSync(tmp, BINARY);
  return BINARY;
}

/**
 * Opens one never-reading subscriber per token over `processes` processes (each holds at most
 * ~19,900 sockets). Returns { opened, failed, pids, stats(), close() }: stats() sums what the
 * processes see of their sockets (still open, closed by the server, bytes unread in the kernel).
 */
export async function startPausedReaders({ tokens, url, festival, rcvbuf = 0, processes = 1 }) {
  const bin = binary();
  const kids = tokenSlices(tokens, processes).map((slice) => {
    const child = spawn(bin, [`--festival=${festival}`, `--tokens=${slice.length}`, `--rcvbuf=${rcvbuf}`, url], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.add(child);
    const exited = new Promise((r) => child.once('close', r));
    exited.then(() => children.delete(child));
    child.stdin.on('error', () => {}); // EPIPE when it died: the line reader reports it
    const waiters = [];
    onLines(child.stdout, (line) => waiters.shift()?.resolve(line));
    exited.then((code) => { for (const w of waiters.splice(0)) w.reject(new Error(`paused-readers exited ${code}`)); });
    const nextLine = () => new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    child.stdin.write(slice.join('\n') + '\n');
    return { child, exited, nextLine };
  });
  const readyLines = await Promise.all(kids.map((k) => k.nextLine()));
  let opened = 0, failed = 0;
  for (const l of readyLines) {
    if (!l.startsWith('ready ')) { for (const k of kids) k.child.kill('SIGKILL'); throw new Error(`paused-readers: ${l}`); }
    const [, o, f] = l.split(' ');
    opened += Number(o);
    failed += Number(f);
  }
  return {
    opened, failed, pids: kids.map((k) => k.child.pid),
    async stats() {
      const lines = await Promise.all(kids.map((k) => { const p = k.nextLine(); k.child.stdin.write('stats\n'); return p; }));
      const sum = { open: 0, closedByServer: 0, queued: 0, queuedMax: 0 };
      for (const l of lines) {
        const s = JSON.parse(l.slice('stats '.length));
        sum.open += s.open; sum.closedByServer += s.closedByServer; sum.queued += s.queued;
        sum.queuedMax = Math.max(sum.queuedMax, s.queuedMax);
      }
      return sum;
    },
    async close() {
      for (const k of kids) k.child.stdin.end();
      await Promise.all(kids.map((k) => k.exited));
    },
  };
}
