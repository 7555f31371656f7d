// Scenario 4, fan-out: 10,000 shoppers subscribed to a festival while a grab storm runs on one
// of its deals. The engine publishes a coalesced `{t:'deals', seq, at}` snapshot every
// LIVE_SNAPSHOT_MS; we measure, per snapshot, publish (`at`) -> arrival at each subscriber, the
// spread of one snapshot's arrivals over all subscribers, and how long after a grab's `held`
// answer the first snapshot showing that hold arrives.
import { createNamespace, now, seedDeal, startEngine } from '../lib/env.mjs';
import { startLoad } from '../lib/load.mjs';
import { BUCKETS, newHistogram, record, summarizeHist } from '../lib/stats.mjs';

export async function fanoutScenario(ctx) {
  const { opts, services } = ctx;
  const subscribers = opts.smoke ? 500 : 10_000;
  const grabbers = opts.smoke ? 50 : 200;
  const rate = opts.smoke ? 200 : 2_000;
  const durationMs = opts.smoke ? 2_000 : 5_000;
  const rows = {};
  const put = (metric, variant, v) => { ((rows[metric] ??= {})[variant] ??= []).push(v); };
  const errors = [];
  const ns = await createNamespace(services);
  const engine = await startEngine(ns, { gateways: 1 });
  try {
    for (let run = 0; run < opts.runs; run++) {
      ctx.log(`fanout: run ${run + 1}/${opts.runs}: ${subscribers} subscribers, grabs at ${rate}/s`);
      const { dealId, festivalId } = await seedDeal(ns, { stock: 10_000_000, limit: 10_000_000 });
      const url = `ws://127.0.0.1:${engine.ports[0]}/ws`;
      const subs = await startLoad({ tokens: Array.from({ length: subscribers }, () => ns.signer.issue().token), processes: 2, cfg: { role: 'sub', protocol: 'json', urls: [url], deal: dealId, festival: festivalId } });
      const grab = await startLoad({ tokens: Array.from({ length: grabbers }, () => ns.signer.issue().token), processes: 1, cfg: { role: 'grab', protocol: 'json', urls: [url], deal: dealId, festival: festivalId, rate, window: 8, watch: true } });
      if (subs.failed || grab.failed) errors.push(`${subs.failed + grab.failed} sockets failed to open`);
      const at = now() + 300;
      const [s, g] = await Promise.all([
        subs.run({ at, durationMs, warmupMs: 500, drainMs: 500 }),
        grab.run({ at, durationMs, warmupMs: 500, drainMs: 500 }),
      ]);
      const spreadHist = newHistogram();
      let complete = 0;
      for (const [, [min, max, n]] of s.snapshots) {
        record(spreadHist, max - min);
        if (n >= subscribers) complete++;
      }
      const d = summarizeHist(s.snapLat);
      const sp = summarizeHist(spreadHist);
      const w = summarizeHist(g.watch.hist);
      ctx.log(`fanout: ${s.snapshots.size} snapshots (${complete} reached all ${subscribers}), grabs ${g.counts.held} held`);
      put('snapshots/s', 'ff', s.snapshots.size / (durationMs / 1000));
      put('snapshots that reached every subscriber %', 'ff', s.snapshots.size ? (100 * complete) / s.snapshots.size : 0);
      put('publish -> subscriber p50 ms', 'ff', d.p50);
      put('publish -> subscriber p99 ms', 'ff', d.p99);
      put('spread of one snapshot over all subscribers p50 ms', 'ff', sp.p50);
      put('spread of one snapshot over all subscribers p99 ms', 'ff', sp.p99);
      put('held answer -> first snapshot showing it p50 ms', 'ff', w.p50);
      put('held answer -> first snapshot showing it p99 ms', 'ff', w.p99);
      put('grab decisions/s during fan-out', 'ff', (g.counts.held + Object.values(g.counts.refused).reduce((a, b) => a + b, 0)) / (durationMs / 1000));
    }
  } finally {
    await engine.stop();
    await ns.cleanup();
  }
  void BUCKETS;
  return {
    name: 'fanout',
    title: 'Fan-out of live snapshots during a grab storm',
    load: `${subscribers.toLocaleString('en')} subscriber WebSockets (2 load processes, the C generator bench/load/wsload.c) on one gateway; ${grabbers} more sockets grab at ${rate.toLocaleString('en')}/s (open loop); `
      + `${durationMs / 1000} s measured; LIVE_SNAPSHOT_MS 100. No baseline: the usual approaches have no coalesced snapshots to compare.`,
    rows, errors,
  };
}
