// Drives load processes (load/client.mjs): splits the sockets over processes, starts them all at
// one instant, and merges what they report.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { merge, newHistogram } from './stats.mjs';
import { children } from './env.mjs';

const CLIENT = fileURLToPath(new URL('../load/client.mjs', import.meta.url));
const PER_PROCESS_MAX = 19_000; // open-file limit 20,000 per process

export function processesFor(sockets, wanted = 2) {
  return Math.max(wanted, Math.ceil(sockets / PER_PROCESS_MAX));
}

/**
 * Opens `tokens.length` sockets over `processes` load processes. Returns { opened, failed, run(goMsg) }:
 * run sends "go" (starting `startInMs` from now, or at goMsg.at) and resolves with the merged result.
 */
export async function startLoad({ tokens, processes = 2, cfg }) {
  const per = Math.ceil(tokens.length / processes);
  const kids = [];
  const readies = [];
  for (let p = 0; p < processes; p++) {
    const slice = tokens.slice(p * per, (p + 1) * per);
    if (slice.length === 0) continue;
    const child = fork(CLIENT, [], { serialization: 'advanced', execArgv: ['--max-old-space-size=4096'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    const kid = { child, result: null, resultP: null };
    kid.resultP = new Promise((resolve, reject) => {
      child.on('message', (m) => { if (m.ev === 'result') resolve(m); });
      child.once('exit', (code) => reject(new Error(`load process exited ${code} before reporting`)));
    });
    kid.resultP.catch(() => {});
    readies.push(new Promise((resolve, reject) => {
      child.on('message', (m) => {
        if (m.ev === 'ready') resolve(m);
        else if (m.ev === 'fatal') reject(new Error(m.error));
      });
      child.once('exit', (code) => reject(new Error(`load process exited ${code} during set-up`)));
    }));
    // per-process share of an open-loop rate
    const own = { ...cfg, tokens: slice, ...(cfg.rate !== undefined ? { rate: cfg.rate / processes } : {}) };
    child.send({ cmd: 'init', cfg: own });
    kids.push(kid);
  }
  let ready;
  try {
    ready = await Promise.all(readies);
  } catch (err) {
    for (const k of kids) k.child.kill('SIGKILL');
    throw err;
  }
  return {
    opened: ready.reduce((n, r) => n + r.opened, 0),
    failed: ready.reduce((n, r) => n + r.failed, 0),
    pids: kids.map((k) => k.child.pid),
    async run(goMsg) {
      for (const k of kids) k.child.send({ cmd: 'go', ...goMsg });
      const results = await Promise.all(kids.map((k) => k.resultP));
      await Promise.all(kids.map((k) => (k.child.exitCode !== null ? null : new Promise((r) => k.child.once('exit', r)))));
      return mergeResults(results);
    },
    kill() { for (const k of kids) if (k.child.exitCode === null) k.child.kill('SIGKILL'); },
  };
}

function mergeResults(results) {
  const counts = { sent: 0, answered: 0, held: 0, refused: {}, errors: 0, skipped: 0, closed: 0 };
  const lat = newHistogram();
  const watchHist = newHistogram();
  let watchCount = 0;
  const storm = { held: [], lastHeldAt: 0, lastAt: 0 };
  let cpu = 0;
  const snapshots = new Map(); // seq -> [min, max, n] over every process
  const snapLat = newHistogram();
  results.forEach((r, p) => {
    for (const k of ['sent', 'answered', 'held', 'errors', 'skipped', 'closed']) counts[k] += r.counts[k];
    for (const [c, n] of Object.entries(r.counts.refused)) counts.refused[c] = (counts.refused[c] ?? 0) + n;
    merge(lat, r.lat);
    merge(watchHist, r.watch.hist);
    watchCount += r.watch.count;
    for (const h of r.storm.held) storm.held.push([p, ...h]);
    storm.lastHeldAt = Math.max(storm.lastHeldAt, r.storm.lastHeldAt);
    storm.lastAt = Math.max(storm.lastAt, r.storm.lastAt);
    cpu += r.cpu;
    merge(snapLat, r.snapLat);
    for (const [seq, min, max, n] of r.snapshots) {
      const s = snapshots.get(seq);
      if (!s) snapshots.set(seq, [min, max, n]);
      else { s[0] = Math.min(s[0], min); s[1] = Math.max(s[1], max); s[2] += n; }
    }
  });
  return { cpu, counts, lat, watch: { hist: watchHist, count: watchCount }, storm, snapshots, snapLat };
}
