// Scenario: slow readers beside grabbers. One open-loop grab load on one gateway, run without a
// break, cut into short windows that alternate two conditions. N sockets subscribed to festival
// A and never read again (bench/load/paused-readers.c) are there all along; "slow": the grabbers
// grab a deal of festival A, so its live picture changes and goes to those N sockets; "alone":
// they grab a deal of festival B, which nobody here follows, so nothing goes to the N sockets
// (idle, they cost nothing). Switching is one command to the load generator (the deal id in its
// grab frames): no socket opens, closes or subscribes, so the two conditions differ in nothing
// else.
//
// Why windows and not whole runs: this host is shared, and the grabbers' p99 alone moves several
// fold from one run to the next with the other work on the cores (README, Performance, *Slow
// readers*), so no ratio of two runs ~15 s apart could tell 1.5x from 3x. Short windows in
// pairs, ABBA, keep each pair's two windows seconds apart. Next to each window's p99 stand what
// explains it: the gateway's event-loop delay and GC time in the window (prom-client, /metrics,
// reset at each scrape), its CPU (user, system) and how long its event loop waited for a CPU
// (schedstat), the Redis server's and the worker's CPU, the machine's busy cores and run queue,
// and the load average; the results' `windows` keep every window.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { cpuSeconds, createNamespace, now, redisPid, seedDeal, sleep, startEngine } from '../lib/env.mjs';
import { startLoad } from '../lib/load.mjs';
import { startPausedReaders } from '../lib/paused-readers.mjs';
import { merge, newHistogram, summarizeHist } from '../lib/stats.mjs';

const TICK = 100; // USER_HZ

/** user and system CPU seconds of a process */
function cpuSplit(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return { user: Number(x[11]) / TICK, sys: Number(x[12]) / TICK };
}

/** the machine's busy and total jiffies (every CPU), and the tasks runnable right now */
function machine() {
  const stat = readFileSync('/proc/stat', 'utf8');
  const f = stat.slice(0, stat.indexOf('\n')).split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = f[3] + f[4];
  return { busy: total - idle, total, running: Number(/procs_running (\d+)/.exec(stat)?.[1] ?? 0) };
}

/** ms the process's main thread (the gateway's event loop) has spent runnable but waiting for a CPU */
function runDelayMs(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return null;
  }
}


/** Bytes in the gateway's kernel send queues (`ss`, established sockets on its port): total and largest. */
function serverSendQueues(port) {
  try {
    const out = execFileSync('ss', ['-tnH', 'state', 'established', `sport = :${port}`], { encoding: 'utf8' });
    let total = 0, max = 0, n = 0;
    for (const line of out.split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length < 2) continue;
      const q = Number(f[1]); // Recv-Q Send-Q local peer
      total += q; max = Math.max(max, q); n++;
    }
    return { total, max, n };
  } catch {
    return null;
  }
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : null;
}

/** prom-client's event-loop monitor fires every 10 ms; what it records is that interval as measured */
const ELD_RESOLUTION_MS = 10;

/** The gateway's /metrics: event-loop delay (prom-client resets its histogram at each scrape) and GC seconds so far. */
async function gatewayMetrics(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name) => {
    let sum = 0, seen = false;
    for (const line of text.split('\n')) {
      if (!line.startsWith(name)) continue;
      const rest = line.slice(name.length);
      if (rest[0] !== ' ' && rest[0] !== '{') continue;
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      seen = true;
    }
    return seen ? sum : null;
  };
  return {
    eldP99: value('flashfest_nodejs_eventloop_lag_p99_seconds'),
    eldMax: value('flashfest_nodejs_eventloop_lag_max_seconds'),
    gc: value('flashfest_nodejs_gc_duration_seconds_sum'),
    // snapshots not sent to a socket over SNAPSHOT_DROP_BYTES (the fan-out paused it)
    dropped: value('flashfest_ws_dropped_messages_total') ?? 0,
  };
}

/**
 * BENCH_SLOW_KIND=reading: as many subscribers that do read (the C generator's sub role) in place
 * of the paused readers, with the same interface: what a live audience costs the grabbers.
 */
async function readingSubscribers(tokens, url, festival) {
  const subs = await startLoad({ tokens, processes: 1, cfg: { role: 'sub', protocol: 'json', urls: [url], festival } });
  const run = subs.start({ at: now(), warmupMs: 0, durationMs: 3_600_000, drainMs: 0 });
  return {
    opened: subs.opened, failed: subs.failed,
    async stats() { return { open: subs.opened, closedByServer: 0, queued: 0, queuedMax: 0 }; },
    async close() { await run.finish(); },
  };
}

export async function slowReadersScenario(ctx) {
  const { opts, services } = ctx;
  const grabbers = opts.smoke ? 200 : 2_000;
  const rate = opts.smoke ? 400 : Number(process.env.BENCH_SLOW_RATE ?? 4_000);
  const slow = opts.smoke ? 500 : Number(process.env.BENCH_SLOW_READERS ?? 5_000);
  // A phone's stack keeps little in flight for an app that stopped reading; without a small
  // receive buffer each loopback socket here soaks up the kernel's default before the
  // gateway sees any backpressure (0: the kernel's default).
  const rcvbuf = Number(process.env.BENCH_SLOW_RCVBUF ?? 16 * 1024);
  const reading = process.env.BENCH_SLOW_KIND === 'reading';
  // pairs of windows (one of each condition); --runs=N asks for N pairs, at least 6 unless smoke
  // many short windows: the host's load comes in bursts of seconds, and a pair's two windows
  // should see the same bursts
  const pairs = opts.smoke ? 1 : Number(process.env.BENCH_SLOW_PAIRS ?? Math.max(12, opts.runs));
  const windowMs = opts.smoke ? 1_000 : Number(process.env.BENCH_SLOW_WINDOW_MS ?? 2_000);
  // after a switch: the last round of the other condition's snapshots is out (a round is spread
  // over at most half a second), with room to spare
  const settleMs = opts.smoke ? 500 : Number(process.env.BENCH_SLOW_SETTLE_MS ?? 1_000);
  const warmupMs = opts.smoke ? 500 : 5_000;
  const rows = {};
  const put = (metric, variant, v) => { ((rows[metric] ??= {})[variant] ??= []).push(v); };
  const errors = [];
  const windows = [];
  // every window's answers of one condition in one histogram: its p99 weighs every grab alike
  const pooled = { alone: newHistogram(), slow: newHistogram() };
  const ns = await createNamespace(services);
  // BENCH_SLOW_ENGINE_ENV="NAME=value ...": the engine's settings for this run (e.g. FANOUT_PROBE_MS=0)
  const engineEnv = Object.fromEntries((process.env.BENCH_SLOW_ENGINE_ENV ?? '').split(/\s+/).filter(Boolean).map((kv) => kv.split('=')));
  const engine = await startEngine(ns, { gateways: 1, env: engineEnv });
  let paused = null, load = null, running = null;
  try {
    const gw = engine.gatewayPids[0];
    const port = engine.ports[0];
    const url = `ws://127.0.0.1:${port}/ws`;
    const BIG = 10_000_000;
    // the Redis server's CPU per window: on a shared one, what other users ask of it shows here
    const rpid = await redisPid(ns.redis);
    // busy: followed by the paused readers; quiet: followed by nobody
    const busy = await seedDeal(ns, { stock: BIG, limit: BIG });
    const quiet = await seedDeal(ns, { stock: BIG, limit: BIG });
    const tokens = Array.from({ length: slow }, () => ns.signer.issue().token);
    paused = reading ? await readingSubscribers(tokens, url, busy.festivalId) : await startPausedReaders({ tokens, url, festival: busy.festivalId, rcvbuf });
    if (paused.failed) errors.push(`${paused.failed} paused readers failed to open`);
    load = await startLoad({ tokens: Array.from({ length: grabbers }, () => ns.signer.issue().token), processes: 2,
      cfg: { role: 'grab', protocol: 'json', urls: [url], deal: quiet.dealId, window: 8, rate } });
    if (load.failed) errors.push(`${load.failed} grab sockets failed to open`);
    if (!load.start) throw new Error('slowreaders needs the C load generator (bench/load/wsload.c): laps');
    ctx.log(`slowreaders: ${grabbers} grabbers at ${rate}/s, ${paused.opened} ${reading ? 'reading subscribers' : `paused readers (SO_RCVBUF ${rcvbuf || 'default'})`}, ${pairs} pairs of ${windowMs} ms windows, ${settleMs} ms settle after each switch`);
    // measured until `stop` (finish): the windows are cut by laps
    running = load.start({ at: now() + 200, warmupMs: 0, durationMs: 3_600_000, drainMs: 1_000 });
    await sleep(warmupMs);
    for (let pair = 0; pair < pairs; pair++) {
      // ABBA: a drift over the run weighs on both conditions alike
      const order = pair % 2 ? ['slow', 'alone'] : ['alone', 'slow'];
      const p99 = {};
      for (const variant of order) {
        running.deal(variant === 'slow' ? busy.dealId : quiet.dealId);
        await sleep(settleMs);
        await running.lap(); // what came before the window
        const met0 = await gatewayMetrics(port); // resets the event-loop delay histogram
        const cpu0 = cpuSplit(gw), m0 = machine(), redis0 = cpuSeconds(rpid), wait0 = runDelayMs(gw), worker0 = cpuSeconds(engine.workerPid);
        let runq = 0, samples = 0, rssPeak = rssMb(gw) ?? 0;
        const sampler = setInterval(() => { runq += machine().running; samples++; rssPeak = Math.max(rssPeak, rssMb(gw) ?? 0); }, 50);
        // BENCH_SLOW_PERF=<dir>: `perf record -g` of the gateway over each window, one file per window
        const perf = process.env.BENCH_SLOW_PERF
          ? spawn('perf', ['record', '-q', '-g', '-F', '499', '-p', String(gw), '-o', `${process.env.BENCH_SLOW_PERF}/${variant}-${pair + 1}.data`, '--', 'sleep', String(windowMs / 1000)], { stdio: 'ignore' })
          : null;
        await sleep(windowMs);
        clearInterval(sampler);
        if (perf) await new Promise((r) => (perf.exitCode !== null ? r() : perf.once('exit', r)));
        const { answered, lat } = await running.lap();
        const met = await gatewayMetrics(port);
        const cpu1 = cpuSplit(gw), m1 = machine(), redis1 = cpuSeconds(rpid), wait1 = runDelayMs(gw), worker1 = cpuSeconds(engine.workerPid);
        const l = summarizeHist(lat);
        merge(pooled[variant], lat);
        const stats = await paused.stats();
        const w = {
          pair: pair + 1, variant, p50: l.p50, p99: l.p99, answeredPerS: answered / (windowMs / 1000),
          eldP99: Math.max(0, met.eldP99 * 1000 - ELD_RESOLUTION_MS), eldMax: Math.max(0, met.eldMax * 1000 - ELD_RESOLUTION_MS), gcMs: (met.gc - met0.gc) * 1000, dropped: met.dropped - met0.dropped,
          cpuUser: cpu1.user - cpu0.user, cpuSys: cpu1.sys - cpu0.sys, redisCpu: redis1 - redis0, cpuWaitMs: wait1 - wait0, workerCpu: worker1 - worker0,
          machineBusy: ((m1.busy - m0.busy) / (m1.total - m0.total)) * os.cpus().length,
          runQueue: samples ? runq / samples : null, load1: os.loadavg()[0], rssPeak,
          unreadKiB: stats.queued / 1024 / Math.max(1, paused.opened), readersOpen: stats.open,
        };
        windows.push(w);
        p99[variant] = l.p99;
        put('grabbers p50 ms', variant, w.p50);
        put('grabbers p99 ms', variant, w.p99);
        put('answered/s', variant, w.answeredPerS);
        put('gateway event-loop delay p99 ms (past its 10 ms timer)', variant, w.eldP99);
        put('gateway event-loop delay max ms (past its 10 ms timer)', variant, w.eldMax);
        put('gateway CPU s in the window (user)', variant, w.cpuUser);
        put('gateway CPU s in the window (system)', variant, w.cpuSys);
        put('gateway event loop waiting for a CPU, ms in the window', variant, w.cpuWaitMs);
        put('Redis CPU s in the window', variant, w.redisCpu);
        put('worker CPU s in the window (orders into Postgres)', variant, w.workerCpu);
        put('machine busy cores', variant, w.machineBusy);
        put('runnable tasks (mean)', variant, w.runQueue);
        put('gateway RSS peak MB', variant, w.rssPeak);
        ctx.log(`slowreaders: pair ${pair + 1}/${pairs} ${variant}: p50 ${l.p50?.toFixed(2)} p99 ${l.p99?.toFixed(2)} ms, ${answered} answered, ELD p99 ${w.eldP99.toFixed(1)} max ${w.eldMax.toFixed(1)} ms, GC ${w.gcMs.toFixed(0)} ms, gateway CPU ${w.cpuUser.toFixed(2)}+${w.cpuSys.toFixed(2)} s, waited for a CPU ${w.cpuWaitMs.toFixed(0)} ms, Redis ${w.redisCpu.toFixed(2)} s, worker ${w.workerCpu.toFixed(2)} s, machine ${w.machineBusy.toFixed(2)} cores busy, run queue ${w.runQueue?.toFixed(1)}, load ${w.load1.toFixed(1)}, unread ${w.unreadKiB.toFixed(1)} KiB/reader, dropped ${w.dropped}, readers open ${stats.open}`);
        put('gateway GC ms in the window', variant, w.gcMs);
        put('snapshots dropped for paused sockets', variant, w.dropped);
      }
      if (p99.alone && p99.slow) put('p99 slow / alone', 'ratio', p99.slow / p99.alone);
    }
    const pooledP99 = { alone: summarizeHist(pooled.alone).p99, slow: summarizeHist(pooled.slow).p99 };
    put('grabbers p99 ms, every window\'s answers pooled', 'alone', pooledP99.alone);
    put('grabbers p99 ms, every window\'s answers pooled', 'slow', pooledP99.slow);
    if (pooledP99.alone && pooledP99.slow) put('pooled p99 slow / alone', 'ratio', pooledP99.slow / pooledP99.alone);
    const res = await running.finish();
    running = null;
    if (res.counts.closed > 0) errors.push(`${res.counts.closed} grab sockets closed`);
    const refused = Object.entries(res.counts.refused).filter(([c]) => c !== 'rate_limited');
    if (refused.length) errors.push(`unexpected refusals ${JSON.stringify(res.counts.refused)}`);
    const s = await paused.stats();
    const q = serverSendQueues(port);
    ctx.log(`slowreaders: at the end, paused readers ${JSON.stringify(s)}; gateway kernel send queues ${JSON.stringify(q)}`);
    put('at the end: unread KiB per paused reader (its receive queue)', 'slow', s.queued / 1024 / Math.max(1, paused.opened));
    if (q) put('at the end: gateway kernel send queue KiB per socket', 'slow', q.total / 1024 / Math.max(1, q.n));
    if (s.closedByServer) ctx.log(`slowreaders: ${s.closedByServer} paused readers closed by the gateway`);
  } finally {
    if (running) await running.finish().catch(() => {});
    await paused?.close();
    await engine.stop();
    await ns.cleanup();
  }
  return {
    name: 'slowreaders',
    title: 'Grabbers beside never-reading subscribers',
    load: `${Object.keys(engineEnv).length ? `engine with ${process.env.BENCH_SLOW_ENGINE_ENV}; ` : ''}${grabbers.toLocaleString('en')} grab WebSockets (2 C load processes, open loop at ${rate.toLocaleString('en')} grabs/s) on one gateway with its worker, one run without reconnecting, `
      + `cut into ${pairs} pairs of ${windowMs / 1000} s windows (ABBA, ${settleMs / 1000} s settle after each switch, ${warmupMs / 1000} s warm-up), beside ${slow.toLocaleString('en')} sockets `
      + `${reading ? '(the C generator\'s sub role, reading every frame) that subscribed to festival A:' : `(bench/load/paused-readers.c, SO_RCVBUF ${rcvbuf || 'kernel default'}) that subscribed to festival A and never read:`} "slow": the grabbers grab a deal of A (its live picture goes to those sockets); "alone": a deal of festival B, which nobody follows.`,
    labels: {
      alone: 'grabbers alone (their festival followed by nobody)',
      slow: `grabbers beside ${slow.toLocaleString('en')} ${reading ? 'reading subscribers' : 'paused readers'} of their festival`,
      ratio: 'slow / alone, per pair',
    },
    rows, errors, windows,
  };
}
