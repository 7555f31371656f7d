// Scenario 1, grab throughput: shoppers on WebSockets grab one deal whose stock never runs out,
// for a fixed time; flashfest against the usual approaches, each run in turn on the same Redis.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { backendMeter, cpuMeter, createNamespace, now, redisPid, ROOT, seedDeal, settlePostgres, spawnNode, startEngine, waitForOrderRows } from '../lib/env.mjs';
import { startLoad, processesFor } from '../lib/load.mjs';
import { summarizeHist } from '../lib/stats.mjs';
import { dealHolds } from '../../server/src/db/orders-repo.ts';

const BIG = 10_000_000; // the schema's most; a run decides far fewer
/** open-loop shares of the closed-loop flashfest rate: flashfest and baseline a at each, the echo floor at two */
const SWEEP = ['0.125', '0.25', '0.375', '0.5'];
const SWEEP_FLOOR = ['0.25', '0.5'];
/** the open-loop variants the main table and the headline name (and --variants accepts) */
const NAMED = { 'ff@0.5': 'ff_half', 'ff@0.25': 'ff_quarter', 'e@0.5': 'e_half' };
const ALIASES = Object.fromEntries(Object.entries(NAMED).map(([k, v]) => [v, k]));

/** why `v` is no grab variant (for --variants), or null */
export function grabVariantError(v) {
  const [system, share] = (ALIASES[v] ?? v).split('@');
  const ok = share === undefined ? ['ff', 'ff_live', 'a', 'b', 'c', 'd'].includes(system)
    : ['ff', 'a', 'e'].includes(system) && Number(share) > 0 && Number(share) <= 1;
  return ok ? null : `grab: unknown variant "${v}" (closed loop: ff, ff_live, a, b, c, d; open loop: ff, a or e @ a share of the max rate in (0, 1], e.g. ff@0.5; ff_half, ff_quarter, e_half)`;
}

export async function grabScenario(ctx) {
  const { opts, services } = ctx;
  const sockets = opts.smoke ? 300 : opts.big ? 12_000 : 2_000;
  const window = sockets >= 10_000 ? 1 : opts.smoke ? 2 : 4;
  const durationMs = opts.smoke ? 1_500 : opts.durationMs;
  const warmupMs = opts.smoke ? 300 : 500;
  const processes = processesFor(sockets, 2);
  // closed loop: ff, ff_live, a, b (c: autocannon; d: redis-benchmark). Open loop: <system>@<share>,
  // grabs offered at that share of this run's closed-loop flashfest rate (the latency sweep);
  // ff_half, ff_quarter and e_half are the names of three of them in the main table and headline
  // on the cluster, flashfest alone (the baselines are written for one Redis)
  const variants = (opts.variants ?? (services.useCluster ? ['ff', 'ff_live'] : opts.smoke ? ['ff', 'a'] : [
    'ff', 'ff_live', ...SWEEP.map((s) => `ff@${s}`), ...SWEEP_FLOOR.map((s) => `e@${s}`),
    'a', ...SWEEP.map((s) => `a@${s}`), 'b', 'c', 'd',
  ])).map((v) => ALIASES[v] ?? v)
    // on the cluster, flashfest alone even when --variants names baselines: they are written for
    // one Redis and would grab deals seeded on the cluster
    .filter((v) => !services.useCluster || v.startsWith('ff'));
  for (const v of variants) {
    const problem = grabVariantError(v);
    if (problem) throw new Error(problem);
  }
  const uses = (system) => variants.some((v) => v === system || v.startsWith(`${system}@`));
  const ns = await createNamespace(services);
  const rPid = await redisPid(ns.redis);
  const rows = {};
  const put = (metric, variant, v) => { ((rows[metric] ??= {})[variant] ??= []).push(v); };
  // sweep[system][share][figure] = one value per run
  const sweep = {};
  const putSweep = (system, share, figure, v) => { (((sweep[system] ??= {})[share] ??= {})[figure] ??= []).push(v); };
  const errors = [];
  const engine = await startEngine(ns);
  const baselineEnv = { ...ns.env, PORT: '0' };
  const servers = {};
  try {
    if (uses('a')) servers.a = await spawnNode(['bench/baselines/ws-server.mjs'], baselineEnv, { ready: /baseline ready: \S+ :(\d+)/, name: 'baseline a' });
    if (uses('b')) servers.b = await spawnNode(['bench/baselines/socketio-server.mjs'], baselineEnv, { ready: /baseline ready: \S+ :(\d+)/, name: 'baseline b' });
    if (uses('e')) servers.e = await spawnNode(['bench/baselines/echo-floor-server.mjs'], baselineEnv, { ready: /baseline ready: \S+ :(\d+)/, name: 'baseline e' });
    if (variants.includes('c')) servers.c = await spawnNode(['bench/baselines/http-pg-server.mjs'], baselineEnv, { ready: /baseline ready: \S+ :(\d+)/, name: 'baseline c' });
    const port = (k) => Number(servers[k].match[1]);

    for (let run = 0; run < opts.runs; run++) {
      let ffRate = null;
      for (const v of variants) {
        ctx.log(`grab: run ${run + 1}/${opts.runs} ${v}`);
        if (v === 'd') {
          const r = await ceiling(ns, rPid, durationMs);
          put('decisions/s', v, r.rate);
          put('CPU s per 1M decisions (gateway + Redis)', v, r.cpuPerM);
          continue;
        }
        if (v === 'c') {
          const r = await httpPg(ns, port('c'), servers.c.child.pid, durationMs, ctx);
          put('decisions/s', v, r.rate);
          put('latency p50 ms', v, r.p50);
          put('latency p99 ms', v, r.p99);
          put('CPU s per 1M decisions (gateway + Redis)', v, r.cpuPerM);
          put('CPU s per 1M decisions (Postgres)', v, r.pgPerM);
          continue;
        }
        const [system, shareText] = v.split('@');
        const share = shareText === undefined ? undefined : Number(shareText);
        const { dealId } = await seedDeal(ns, { stock: BIG, limit: BIG });
        const tokens = Array.from({ length: sockets }, () => ns.signer.issue().token);
        const base = system.startsWith('ff') ? `ws://127.0.0.1:${engine.ports[0]}/ws`
          : system === 'a' || system === 'e' ? `ws://127.0.0.1:${port(system)}/` : `http://127.0.0.1:${port('b')}`;
        // --max-rate=N: the open-loop variants offer shares of N grabs/s, not of this run's ff rate
        const maxRate = opts.maxRate ?? ffRate ?? 1000;
        const rate = share === undefined ? undefined : Math.max(100, Math.round(maxRate * share));
        const load = await startLoad({
          tokens, processes,
          cfg: { role: 'grab', protocol: v === 'b' ? 'sio' : 'json', urls: [base], deal: dealId, window: rate ? 8 : window, ...(rate ? { rate } : {}) },
        });
        if (load.failed) errors.push(`${v}: ${load.failed} sockets failed to open`);
        const serverPid = system.startsWith('ff') ? engine.gatewayPids[0] : servers[system].child.pid;
        const meter = cpuMeter({ server: serverPid, redis: rPid, worker: engine.workerPid, pg: 'postgres' });
        // ff_live: what writing the orders cost, from the first grab until the last row (the
        // worker may still be writing when the window ends: per decision in the window
        // undercounts it, and the worker's share of the cores is what sets it there)
        const orderMeter = v === 'ff_live' ? cpuMeter({ worker: engine.workerPid, pg: 'postgres' }) : null;
        const workerBackends = v === 'ff_live' ? await backendMeter(ns.pool, engine.workerPid) : null;
        // ff: the worker process is paused (SIGSTOP) while grabs are measured: the order queue
        // absorbs the burst, as it is there to, and the worker writes it after (see drain).
        // ff_live: the worker writes orders to Postgres on the same two cores meanwhile.
        const pause = (v === 'ff' || (system === 'ff' && rate)) && engine.workerPid;
        if (pause) process.kill(engine.workerPid, 'SIGSTOP');
        let res;
        const startAt = now() + 200;
        try {
          res = await load.run({ at: startAt, durationMs, warmupMs, drainMs: 1_000 });
        } finally {
          if (pause) process.kill(engine.workerPid, 'SIGCONT');
        }
        // ff_live: how fast the worker wrote orders while grabs came (from the first grab to the
        // end of the run, warm-up and drain included, as the CPU above)
        if (v === 'ff_live') {
          const { rows: written } = await ns.pool.query(`SELECT count(*)::int AS n FROM orders WHERE ${dealHolds('$1')}`, [dealId]);
          put('orders written per second meanwhile', v, written[0].n / ((now() - startAt) / 1000));
        }
        const cpu = meter.delta();
        const loadCpu = (res.cpu / res.counts.answered) * 1e6;
        if (!rate) put('load generator CPU s per 1M decisions', v, loadCpu);
        else if (NAMED[v]) put('load generator CPU s per 1M decisions', NAMED[v], loadCpu);
        ctx.log(`grab: ${v}: ${res.counts.answered} answered; CPU s: ${Object.entries(cpu).map(([k, x]) => `${k} ${x?.toFixed(1)}`).join(', ')}, load ${res.cpu.toFixed(1)}`);
        const decisions = res.counts.held + Object.values(res.counts.refused).reduce((a, b) => a + b, 0);
        const rateMeasured = decisions / (durationMs / 1000);
        const l = summarizeHist(res.lat);
        if (v === 'ff') ffRate = rateMeasured;
        const refusedOther = Object.entries(res.counts.refused).filter(([c]) => c !== 'rate_limited');
        if (refusedOther.length) errors.push(`${v} run ${run + 1}: unexpected refusals ${JSON.stringify(res.counts.refused)}`);
        if (res.counts.closed > 0) errors.push(`${v} run ${run + 1}: ${res.counts.closed} sockets closed`);
        if (rate) {
          // CPU per grab answered over the whole load run (warm-up and drain included), as for
          // the closed loop: how the per-grab cost changes with load (batching at work, or not)
          const perGrab = (cpuSeconds) => (cpuSeconds / res.counts.answered) * 1e6;
          for (const [figure, x] of [['offered/s', rate], ['answered/s', rateMeasured], ['p50', l.p50], ['p99', l.p99], ['p99.9', l.p999], ['skipped', res.counts.skipped],
            ['server CPU µs/grab', perGrab(cpu.server)], ['Redis CPU µs/grab', perGrab(cpu.redis)], ['load CPU µs/grab', loadCpu]]) {
            putSweep(system, shareText, figure, x);
          }
          const named = NAMED[v];
          if (named) {
            put('offered rate, open loop (grabs/s)', named, rate);
            put('decisions/s', named, rateMeasured);
            put('latency p50 ms', named, l.p50);
            put('latency p99 ms', named, l.p99);
            put('latency p99.9 ms', named, l.p999);
            put('load skipped (window full)', named, res.counts.skipped);
          }
        } else {
          put('decisions/s', v, rateMeasured);
          put('latency p50 ms', v, l.p50);
          put('latency p99 ms', v, l.p99);
          put('latency p99.9 ms', v, l.p999);
          // CPU is measured over the whole load run (warm-up and drain included): per decision
          // answered in that time
          const all = res.counts.answered;
          put('CPU s per 1M decisions (gateway + Redis)', v, ((cpu.server + cpu.redis) / all) * 1e6);
          put('CPU s per 1M decisions (Redis)', v, (cpu.redis / all) * 1e6);
          if (v === 'ff_live') put('CPU s per 1M decisions (worker + Postgres)', v, ((cpu.worker + cpu.pg) / all) * 1e6);
        }
        // every hold of ours becomes an order: let the worker finish before the next variant
        // runs, so its Postgres work does not land on a baseline's time
        if (system.startsWith('ff')) {
          await drained(ns, dealId, ctx, `grab ${v}`, errors, async (orders) => {
            if (!orderMeter || !workerBackends) return;
            const c = orderMeter.delta();
            const backends = await workerBackends.delta();
            put('CPU s per 1M orders until written (worker + Postgres)', v, ((c.worker + c.pg) / orders) * 1e6);
            put('CPU s per 1M orders until written (worker)', v, (c.worker / orders) * 1e6);
            put("CPU s per 1M orders until written (Postgres, the worker's backends)", v, (backends / orders) * 1e6);
          });
        }
        // baselines' deals are not cleaned per run; all keys go with the namespace
      }
    }
  } finally {
    for (const s of Object.values(servers)) await s.stop();
    await engine.stop();
    await ns.cleanup();
  }
  return {
    name: 'grab',
    title: 'Grab throughput over WebSockets',
    load: `${sockets.toLocaleString('en')} WebSockets from ${processes} load processes (flashfest and a: the C epoll generator bench/load/wsload.c, a few µs of CPU per grab; b: Node socket.io-client; BENCH_LOAD=node: the Node ws client for all), `
      + `${window} grab(s) in flight per socket (closed loop), ${durationMs / 1000} s measured after ${warmupMs / 1000} s warm-up; `
      + 'every grab is a new hold (stock and limit never reached), answered once Redis decided it and admitted to the order queue behind the answer (one job per gateway admission window, ADMIT_WINDOW_MS). '
      + 'flashfest: worker paused during the window (the queue absorbs the burst; orders written after, see the drain); '
      + 'flashfest, worker live: orders written to Postgres meanwhile on the same 2 cores (the baselines write none). ff_half / ff_quarter: open loop at 1/2 and 1/4 of the same run\'s flashfest rate, worker paused likewise. e: the same open-loop load as ff_half against a uWS server that answers every grab at once without Redis (bench/baselines/echo-floor-server.mjs): the latency floor of these sockets and cores. '
      + 'c: autocannon, 100 HTTP connections. d: redis-benchmark, 50 connections, no pipelining, EVALSHA of bench/baselines/single-grab.lua.',
    rows, errors,
    sweep: Object.keys(sweep).length ? sweep : undefined,
    sweepLoad: 'open loop: each load process sends its share of the offered rate on a fixed schedule, whatever the answers (a socket with 8 grabs unanswered skips its turn: "skipped"); '
      + 'shares of this run\'s closed-loop flashfest rate; flashfest\'s worker paused as above. Latency from send to answer, of the grabs sent in the measured window.',
  };
}

/** Waits until every hold of the deal has its order row, then calls onWritten(orders) before
 *  Postgres settles (its vacuum and checkpoint are the bench's, not the write's). */
async function drained(ns, dealId, ctx, what, errors, onWritten = () => {}) {
  // the deal's holds are <dealId>-1 .. <dealId>-<seq> (grab-batch-5.lua names them so)
  const seq = Number(await ns.redis.hget(ns.stock.keys(dealId).deal, 'seq'));
  const holds = Array.from({ length: seq }, (_, i) => `${dealId}-${i + 1}`);
  const { count } = await waitForOrderRows(ns.pool, dealId, holds, { timeoutMs: 120_000 });
  if (count < seq) {
    errors.push(`${what}: only ${count}/${seq} orders after 120 s`);
    return;
  }
  await onWritten(count);
  // hundreds of thousands of fresh rows: their vacuum and write-back happen now, between windows
  await settlePostgres(ns.pool);
}

async function ceiling(ns, rPid, durationMs) {
  const { dealId } = await seedDeal(ns, { stock: BIG, limit: BIG });
  const lua = readFileSync(new URL('../baselines/single-grab.lua', import.meta.url), 'utf8');
  const sha = await ns.redis.script('LOAD', lua);
  const keys = [...Object.values(ns.stock.keys(dealId))];
  const url = new URL(ns.config.redisUrl);
  const n = Math.round(25 * durationMs); // about the run's length at the ~20-25k/s measured here
  const meter = cpuMeter({ redis: rPid });
  const t0 = now();
  const out = await runCmd('redis-benchmark', ['-h', url.hostname, '-p', url.port || '6379', '-c', '50', '-n', String(n), '-r', '1000000000', '-q',
    'EVALSHA', sha, '5', ...keys, dealId, 's__rand_int__', '1', 'r__rand_int__']);
  const secs = (now() - t0) / 1000;
  const cpu = meter.delta();
  const m = /([\d.]+) requests per second/.exec(out);
  const rate = m ? Number(m[1]) : n / secs;
  return { rate, cpuPerM: (cpu.redis / n) * 1e6 };
}

async function httpPg(ns, port, pid, durationMs, ctx) {
  const { dealId } = await seedDeal(ns, { stock: BIG, limit: BIG });
  await ns.pool.query('INSERT INTO baseline_stock (id, stock) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET stock = EXCLUDED.stock', [dealId, 2_000_000_000]);
  const token = ns.signer.issue().token;
  const meter = cpuMeter({ server: pid, pg: 'postgres' });
  const out = await runCmd(process.execPath, [`${ROOT}/node_modules/autocannon/autocannon.js`, '-j', '-c', '100', '-d', String(Math.round(durationMs / 1000)),
    '-m', 'POST', '-H', `authorization=Bearer ${token}`, '-H', 'content-type=application/json',
    '-b', JSON.stringify({ deal: dealId, qty: 1, rid: 'x' }), `http://127.0.0.1:${port}/grab`]);
  const cpu = meter.delta();
  const j = JSON.parse(out.slice(out.indexOf('{')));
  const ok = j['2xx'] ?? 0;
  const rate = ok / j.duration;
  return { rate, p50: j.latency.p50, p99: j.latency.p99, cpuPerM: (cpu.server / ok) * 1e6, pgPerM: (cpu.pg / ok) * 1e6 };
}

export function runCmd(cmd, args) {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (b) => { out += b; });
    c.stderr.on('data', (b) => { out += b; });
    c.on('error', reject);
    c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${out.slice(-500)}`))));
  });
}
