// Scenario: slow readers beside grabbers. The same open-loop grab load on one gateway, alone
// ("alone") and with N sockets beside it that subscribed to the festival and never read again
// (bench/load/paused-readers.c), alternated in one run: "slow", readers that were already there
// (opened BENCH_SLOW_SETTLE_MS before the window), and "arriving", readers opened just before it,
// so that their arrival (upgrade, sub, festival view, holds frame) falls in the window too. Reports the grabbers' p50/p99,
// the gateway's RSS and CPU, and what became of the paused sockets (still open, closed by the
// gateway, bytes left unread in their receive queues and in the gateway's send queues).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpuMeter, createNamespace, now, seedDeal, sleep, startEngine } from '../lib/env.mjs';
import { startLoad } from '../lib/load.mjs';
import { startPausedReaders } from '../lib/paused-readers.mjs';
import { summarizeHist } from '../lib/stats.mjs';

const BIG = 10_000_000;
// Alternated run by run. BENCH_SLOW_VARIANTS=alone,slow,reading adds `reading`: as many
// subscribers that do read (the C generator's sub role), to tell slowness from fan-out.
// BENCH_SLOW_BEFORE="NAME=value ..." starts a second gateway with that env (an earlier setting
// to compare against, e.g. FANOUT_CHUNK_SOCKETS=0) and adds each variant again on it, as
// `<variant>:before`, interleaved with the others in the same run.
const BEFORE_ENV = Object.fromEntries((process.env.BENCH_SLOW_BEFORE ?? '').split(/\s+/).filter(Boolean).map((kv) => kv.split('=')));
const BASE = (process.env.BENCH_SLOW_VARIANTS ?? 'alone,slow,arriving').split(',');
const VARIANTS = Object.keys(BEFORE_ENV).length ? BASE.flatMap((v) => [v, `${v}:before`]) : BASE;
// long enough for a gateway to have answered every reader's sub (festival view, holds frame)
const SETTLE_MS = Number(process.env.BENCH_SLOW_SETTLE_MS ?? 3_000);
const order = (run) => (run % 2 ? [...VARIANTS].reverse() : VARIANTS);

/** VmRSS of a process, MB */
function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : null;
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

/**
 * Machine-wide kernel counters: packets the loopback receive backlog dropped (softnet_stat's
 * second column, every CPU: a full netdev_max_backlog), TCP segments retransmitted and tail-loss
 * probes sent (what the senders of those packets did about it).
 */
function netCounters() {
  const hex = readFileSync('/proc/net/softnet_stat', 'utf8').trim().split('\n').map((l) => parseInt(l.split(/\s+/)[1], 16));
  const field = (file, table, name) => {
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith(`${table}:`));
    const i = lines[0]?.split(/\s+/).indexOf(name) ?? -1;
    return i > 0 ? Number(lines[1].split(/\s+/)[i]) : 0;
  };
  return {
    backlogDrops: hex.reduce((a, b) => a + b, 0),
    retrans: field('/proc/net/snmp', 'Tcp', 'RetransSegs'),
    lossProbes: field('/proc/net/netstat', 'TcpExt', 'TCPLossProbes'),
  };
}

function labels(slow) {
  const base = {
    alone: 'grabbers alone', slow: `with ${slow.toLocaleString('en')} paused readers (there ${SETTLE_MS / 1000} s before)`,
    arriving: `with ${slow.toLocaleString('en')} paused readers arriving`, reading: `with ${slow.toLocaleString('en')} reading subscribers`,
    ratio: 'slow / alone, per run', 'ratio-arriving': 'arriving / alone, per run',
  };
  const before = process.env.BENCH_SLOW_BEFORE;
  if (before) for (const [k, v] of Object.entries(base)) base[`${k}:before`] = `${v} (${before})`;
  return base;
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
  const durationMs = opts.smoke ? 1_500 : opts.durationMs;
  const warmupMs = opts.smoke ? 300 : 500;
  const rows = {};
  const put = (metric, variant, v) => { ((rows[metric] ??= {})[variant] ??= []).push(v); };
  const errors = [];
  const ns = await createNamespace(services);
  const engines = { '': await startEngine(ns, { gateways: 1 }) };
  try {
    if (Object.keys(BEFORE_ENV).length) engines.before = await startEngine(ns, { gateways: 1, worker: false, env: BEFORE_ENV });
    for (let run = 0; run < opts.runs; run++) {
      const p99 = {};
      for (const variant of order(run)) {
        const [kind, on = ''] = variant.split(':');
        const engine = engines[on];
        const gw = engine.gatewayPids[0];
        const url = `ws://127.0.0.1:${engine.ports[0]}/ws`;
        const { dealId, festivalId } = await seedDeal(ns, { stock: BIG, limit: BIG });
        const rssBefore = rssMb(gw);
        let paused = null;
        if (kind === 'slow' || kind === 'arriving') {
          paused = await startPausedReaders({ tokens: Array.from({ length: slow }, () => ns.signer.issue().token), url, festival: festivalId, rcvbuf });
          if (paused.failed) errors.push(`run ${run + 1}: ${paused.failed} paused readers failed to open`);
          if (kind === 'slow') await sleep(SETTLE_MS);
        }
        const readers = kind === 'reading'
          ? await startLoad({ tokens: Array.from({ length: slow }, () => ns.signer.issue().token), processes: 1, cfg: { role: 'sub', protocol: 'json', urls: [url], festival: festivalId } })
          : null;
        const load = await startLoad({ tokens: Array.from({ length: grabbers }, () => ns.signer.issue().token), processes: 2,
          cfg: { role: 'grab', protocol: 'json', urls: [url], deal: dealId, window: 8, rate } });
        if (load.failed) errors.push(`run ${run + 1} ${variant}: ${load.failed} grab sockets failed to open`);
        let rssPeak = rssMb(gw);
        const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, rssMb(gw) ?? 0); }, 100);
        const meter = cpuMeter({ gateway: gw });
        const net0 = netCounters();
        ctx.log(`slowreaders: run ${run + 1}/${opts.runs} ${variant}: ${grabbers} grabbers at ${rate}/s${paused ? `, ${paused.opened} paused readers (SO_RCVBUF ${rcvbuf || 'default'})` : ''}`);
        let res;
        try {
          const at = now() + 200;
          [res] = await Promise.all([load.run({ at, durationMs, warmupMs, drainMs: 1_000 }), readers?.run({ at, durationMs, warmupMs, drainMs: 1_000 })]);
        } finally {
          clearInterval(sampler);
        }
        const cpu = meter.delta();
        const net1 = netCounters();
        put('loopback backlog drops (machine)', variant, net1.backlogDrops - net0.backlogDrops);
        put('TCP retransmits + loss probes (machine)', variant, net1.retrans - net0.retrans + net1.lossProbes - net0.lossProbes);
        const l = summarizeHist(res.lat);
        const answered = res.counts.answered;
        put('grabbers p50 ms', variant, l.p50);
        put('grabbers p99 ms', variant, l.p99);
        put('grabbers p99.9 ms', variant, l.p999);
        put('answered/s', variant, answered / ((durationMs + warmupMs) / 1000));
        put('gateway CPU s in the window', variant, cpu.gateway);
        put('gateway RSS peak MB', variant, rssPeak);
        put('gateway RSS growth MB', variant, rssPeak - rssBefore);
        p99[variant] = l.p99;
        if (res.counts.closed > 0) errors.push(`run ${run + 1} ${variant}: ${res.counts.closed} grab sockets closed`);
        const refused = Object.entries(res.counts.refused).filter(([c]) => c !== 'rate_limited');
        if (refused.length) errors.push(`run ${run + 1} ${variant}: unexpected refusals ${JSON.stringify(res.counts.refused)}`);
        if (paused) {
          const s = await paused.stats();
          const q = serverSendQueues(engine.ports[0]);
          put('paused readers still open', variant, s.open);
          put('paused readers closed by the gateway', variant, s.closedByServer);
          put('unread KiB per paused reader (their receive queue)', variant, s.queued / 1024 / Math.max(1, paused.opened));
          if (q) put('gateway kernel send queue KiB per socket', variant, q.total / 1024 / Math.max(1, q.n));
          ctx.log(`slowreaders: paused readers: ${JSON.stringify(s)}; gateway send queues ${JSON.stringify(q)}`);
          await paused.close();
          await sleep(500); // the gateway sees the closes before the next variant
        }
        ctx.log(`slowreaders: ${variant}: p50 ${l.p50?.toFixed(2)} p99 ${l.p99?.toFixed(2)} ms, ${answered} answered, gateway CPU ${cpu.gateway?.toFixed(2)} s, RSS ${rssBefore?.toFixed(0)} -> peak ${rssPeak?.toFixed(0)} MB, backlog drops ${net1.backlogDrops - net0.backlogDrops}, retransmits ${net1.retrans - net0.retrans}, loss probes ${net1.lossProbes - net0.lossProbes}`);
      }
      for (const on of Object.keys(engines)) {
        const of = (v) => p99[on ? `${v}:${on}` : v];
        const alone = of('alone');
        if (alone && of('slow')) put('p99 slow / alone', on ? `ratio:${on}` : 'ratio', of('slow') / alone);
        if (alone && of('arriving')) put('p99 arriving / alone', on ? `ratio-arriving:${on}` : 'ratio-arriving', of('arriving') / alone);
      }
    }
  } finally {
    for (const e of Object.values(engines)) await e.stop();
    await ns.cleanup();
  }
  return {
    name: 'slowreaders',
    title: 'Grabbers beside never-reading subscribers',
    load: `${grabbers.toLocaleString('en')} grab WebSockets (2 C load processes, open loop at ${rate.toLocaleString('en')} grabs/s), ${durationMs / 1000} s measured after ${warmupMs / 1000} s warm-up, on one gateway with its worker; `
      + `"slow": ${slow.toLocaleString('en')} more sockets (bench/load/paused-readers.c, SO_RCVBUF ${rcvbuf || 'kernel default'}) that subscribed to the festival and never read again, opened ${SETTLE_MS / 1000} s before the window; "arriving": the same, opened just before it; "alone": none. Alternated run by run.`,
    labels: labels(slow),
    rows, errors,
  };
}
