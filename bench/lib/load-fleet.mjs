// What startLoad returns over load processes already started (Node clients or the C generator),
// and the merge of what they report. Each kid: { child, resultP (its result in client.mjs's
// shape), exited (a promise), go(goMsg) }.
import { merge, newHistogram } from './stats.mjs';

/** The tokens split into (at most) `processes` non-empty slices, one per load process. */
export function tokenSlices(tokens, processes) {
  const per = Math.ceil(tokens.length / processes);
  const out = [];
  for (let p = 0; p < processes; p++) {
    const slice = tokens.slice(p * per, (p + 1) * per);
    if (slice.length) out.push(slice);
  }
  return out;
}

/** Waits for every process to be ready (killing all if one fails); then { opened, failed, pids, run, kill }. */
export async function asLoad(kids, readies) {
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
      for (const k of kids) k.go(goMsg);
      const results = await Promise.all(kids.map((k) => k.resultP));
      await Promise.all(kids.map((k) => k.exited));
      return mergeResults(results);
    },
    /** C generator, grab: starts the run (as run) without waiting for it; then lap() merges each
     *  process's histogram since its last lap, deal(id) turns the grabs to another deal, and
     *  finish() stops the run and gives its result. */
    start(goMsg) {
      for (const k of kids) k.go(goMsg);
      return {
        async lap() {
          const laps = await Promise.all(kids.map((k) => k.lap()));
          const lat = newHistogram();
          for (const l of laps) merge(lat, l.lat);
          return { answered: laps.reduce((n, l) => n + l.answered, 0), lat };
        },
        deal(id) { for (const k of kids) k.deal(id); },
        async finish() {
          for (const k of kids) k.stop();
          const results = await Promise.all(kids.map((k) => k.resultP));
          await Promise.all(kids.map((k) => k.exited));
          return mergeResults(results);
        },
      };
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
  // role room (C generator): each process's per-socket record, in process order
  const rooms = results.map((r) => r.room ?? null);
  return { cpu, counts, lat, watch: { hist: watchHist, count: watchCount }, storm, snapshots, snapLat, rooms };
}
