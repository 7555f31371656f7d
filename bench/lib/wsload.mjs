// The C load generator (bench/load/wsload.c) behind startLoad's interface: compiled on first use
// into node_modules/.cache/flashfest-bench/wsload-<hash of its sources>, one
// process per slice of the tokens, driven over stdin/stdout (protocol in wsload.c's header).
// Returns null when it cannot be built (no `cc`, or the compile fails), after a one-line
// warning; the caller then uses the Node client.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { children, ROOT } from './env.mjs';
import { newHistogram } from './stats.mjs';
import { asLoad, tokenSlices } from './load-fleet.mjs';
import { onLines } from './lines.mjs';

const SOURCE = path.join(ROOT, 'bench', 'load', 'wsload.c');
// included by wsload.c: a change to it is a change to the binary
const INCLUDED = ['wsload-chaos.c', 'wsload-room.c'].map((f) => path.join(ROOT, 'bench', 'load', f));
// named by the sources' content: node_modules (and so this cache) may be shared by checkouts
// whose sources differ, and one must never run the binary another built
const SOURCES_HASH = createHash('sha256').update([SOURCE, ...INCLUDED].map((f) => readFileSync(f, 'utf8')).join('\0')).digest('hex').slice(0, 12);
const BINARY = path.join(ROOT, 'node_modules', '.cache', 'flashfest-bench', `wsload-${SOURCES_HASH}`);

let built; // the binary's path, or null once building failed (once per bench process)

/** Path of the compiled generator, building it if missing for these sources; null if it cannot be. */
export function wsloadBinary() {
  if (built !== undefined) return built;
  built = null;
  try {
    let exists = false;
    try { exists = statSync(BINARY).isFile(); } catch { /* not built yet */ }
    if (exists) return (built = BINARY);
    mkdirSync(path.dirname(BINARY), { recursive: true });
    // into a temporary file, then renamed: a concurrent bench never runs a half-written binary
    const tmp = `${BINARY}.${process.pid}.tmp`;
    const r = spawnSync('cc', ['-O2', '-Wall', '-o', tmp, SOURCE], { cwd: ROOT, encoding: 'utf8' });
    if (r.error || r.status !== 0) {
      rmSync(tmp, { force: true });
      const why = r.error ? r.error.message : (r.stderr.trim().split('\n').find((l) => /error/.test(l)) ?? `cc exited ${r.status}`);
      console.warn(`bench: C load generator unavailable (${why}); using the Node client`);
      return null;
    }
    if (r.stderr.trim()) process.stderr.write(r.stderr);
    renameSync(tmp, BINARY);
    return (built = BINARY);
  } catch (err) {
    console.warn(`bench: C load generator unavailable (${err.message}); using the Node client`);
    return null;
  }
}

/**
 * As startLoad, with the C generator (roles grab, storm, sub and room, protocol json only).
 * cfg.delayMs / cfg.delayEvery: sockets i % delayEvery == delayEvery - 1 of each process hold
 * every frame they send for delayMs. Resolves to null when the generator cannot be built.
 */
export async function startWsLoad({ tokens, processes, cfg }) {
  const bin = wsloadBinary();
  if (!bin) return null;
  const kids = [];
  const readies = [];
  for (const slice of tokenSlices(tokens, processes)) {
    // per-process share of an open-loop rate, as for the Node client
    const args = [`--deal=${cfg.deal}`, `--window=${cfg.window ?? 1}`, `--tokens=${slice.length}`,
      ...(cfg.rate !== undefined ? [`--rate=${cfg.rate / processes}`] : []),
      ...(cfg.role === 'storm' ? ['--storm', `--per-socket=${cfg.perSocket}`, `--spread-ms=${cfg.spreadMs}`] : []),
      ...(cfg.role === 'sub' ? ['--sub', `--festival=${cfg.festival}`] : []),
      ...(cfg.role === 'room' ? ['--room', ...(cfg.buy ? ['--buy'] : [])] : []),
      ...(cfg.delayMs ? [`--delay-ms=${cfg.delayMs}`, `--delay-every=${cfg.delayEvery ?? 2}`] : []), ...cfg.urls];
    const child = spawn(bin, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    child.stdin.on('error', () => {}); // EPIPE when it died: reported by 'exit'
    const kid = { child, resultP: null };
    const lines = [];
    const waiters = [];
    onLines(child.stdout, (line) => {
      for (const w of waiters) w(line);
      lines.push(line);
    });
    const onLine = (fn) => { waiters.push(fn); for (const l of lines) fn(l); };
    let exited = false;
    child.once('exit', () => { exited = true; });
    // 'close', not 'exit': it comes after the last of stdout (the result line) has been read
    const exit = new Promise((resolve) => child.once('close', (code, sig) => { exited = true; resolve(code ?? sig); }));
    child.once('error', (err) => { console.warn(`bench: wsload: ${err.message}`); });
    kid.exited = exit;
    kid.resultP = new Promise((resolve, reject) => {
      onLine((l) => { if (l.startsWith('result ')) resolve(toResult(JSON.parse(l.slice(7)))); });
      exit.then((code) => reject(new Error(`load process exited ${code} before reporting`)));
    });
    kid.resultP.catch(() => {});
    readies.push(new Promise((resolve, reject) => {
      onLine((l) => {
        if (l.startsWith('ready ')) { const [, opened, failed] = l.split(' '); resolve({ opened: Number(opened), failed: Number(failed) }); }
        else if (l.startsWith('fatal ')) reject(new Error(`wsload: ${l.slice(6)}`));
      });
      exit.then((code) => reject(new Error(`load process exited ${code} during set-up`)));
    }));
    // `lap`: the latency histogram since the last lap (grab), for windows cut out of one run
    const laps = [];
    onLine((l) => {
      if (!l.startsWith('lap ')) return;
      const r = JSON.parse(l.slice(4));
      const lat = newHistogram();
      lat.set(r.lat);
      laps.shift()?.({ answered: r.answered, lat });
    });
    kid.lap = () => new Promise((resolve, reject) => {
      if (exited) return reject(new Error('load process exited before a lap'));
      laps.push(resolve);
      child.stdin.write('lap\n');
    });
    kid.stop = () => { if (!exited) child.stdin.write('stop\n'); };
    kid.deal = (id) => { if (!exited) child.stdin.write(`deal ${id}\n`); };
    child.stdin.write(slice.join('\n') + '\n');
    // grab and sub use warmup/duration/drain, storm the time-out (client.mjs's default)
    kid.go = ({ at, warmupMs = 0, durationMs = 0, drainMs = 1_000, timeoutMs = 30_000 }) => {
      if (!exited) child.stdin.write(`go ${at} ${warmupMs} ${durationMs} ${drainMs} ${timeoutMs}\n`);
    };
    kids.push(kid);
  }
  return asLoad(kids, readies);
}

/** a C result in the shape of client.mjs's (no watch; storm only in storm, snapshots only in sub) */
function toResult(r) {
  const lat = newHistogram();
  lat.set(r.lat);
  const snapLat = newHistogram();
  if (r.snapLat) snapLat.set(r.snapLat);
  const storm = { held: [], firstAt: Infinity, lastHeldAt: 0, lastAt: 0 }; // firstAt: client.mjs never sets it either
  if (r.storm) Object.assign(storm, { held: r.storm.held, lastHeldAt: r.storm.lastHeldAt, lastAt: r.storm.lastAt });
  return {
    // snapshots as client.mjs's: [[seq (a string), min, max, n], ...]
    cpu: r.cpu, counts: r.counts, lat, snapshots: r.snapshots ?? [], snapLat,
    watch: { hist: newHistogram(), count: 0 }, storm, room: r.room ?? null,
  };
}
