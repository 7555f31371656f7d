// Scenario 2, sell-out storm: a deal of 10,000 units opens; 20,000 shoppers send 100,000 grabs
// in its first second. Time to sell out, answer latency, how soon every hold is an order row in
// Postgres, and correctness, checked on every run: exactly the stock held, nobody over the
// limit, no hold twice, Redis and Postgres agreeing. flashfest runs two gateways (one per core,
// 10,000 sockets each: one process holds at most ~19,900 here) and a worker; baseline a runs as
// two `ws` processes the same way.
import { cpuMeter, createNamespace, now, redisPid, seedDeal, sleep, spawnNode, startEngine, waitForOrderRows } from '../lib/env.mjs';
import { startLoad } from '../lib/load.mjs';
import { publishDealChanged } from '../../server/src/live/shopper-news.ts';
import { dealHolds } from '../../server/src/db/orders-repo.ts';
import { summarizeHist } from '../lib/stats.mjs';
import { createResults } from '../lib/results.mjs';

const LIMIT = 2;

export async function stormScenario(ctx) {
  const { opts, services } = ctx;
  const shoppers = opts.smoke ? 2_000 : 20_000;
  const stock = opts.smoke ? 1_000 : 10_000;
  const perShopper = 5;
  const spreadMs = 1_000;
  // the baseline keeps its single Redis: on the cluster, flashfest alone
  const variants = opts.smoke || services.useCluster ? ['ff'] : ['ff', 'a'];
  const { rows, errors, put, check, checkList } = createResults();
  const ns = await createNamespace(services, { HOLD_SECONDS: '3600' });
  const rPid = await redisPid(ns.redis);
  const engine = await startEngine(ns, { gateways: 2 });
  const baselines = [];
  try {
    if (variants.includes('a')) {
      for (let i = 0; i < 2; i++) baselines.push(await spawnNode(['bench/baselines/ws-server.mjs'], { ...ns.env, PORT: '0' }, { ready: /baseline ready: \S+ :(\d+)/, name: 'baseline a' }));
    }
    for (let run = 0; run < opts.runs; run++) {
      for (const v of variants) {
        ctx.log(`storm: run ${run + 1}/${opts.runs} ${v}`);
        const { dealId, festivalId } = await seedDeal(ns, { stock, limit: LIMIT, startsIn: 120_000 });
        const tokens = Array.from({ length: shoppers }, () => ns.signer.issue().token);
        const urls = v === 'ff' ? engine.ports.map((p) => `ws://127.0.0.1:${p}/ws`) : baselines.map((b) => `ws://127.0.0.1:${b.match[1]}/`);
        // each load process talks to one gateway (sockets i % urls.length in the process)
        const load = await startLoad({ tokens, processes: 2, cfg: { role: 'storm', protocol: 'json', urls, deal: dealId, festival: festivalId, perSocket: perShopper, spreadMs, window: perShopper } });
        if (load.failed) check('every shopper connected', false, `${load.failed} sockets failed to open`);
        // open the deal 1.5 s from now (Postgres and Redis), and let each gateway load it
        const openAt = Date.now() + 1_500;
        await ns.pool.query('UPDATE deals SET starts_at = to_timestamp($1 / 1000.0), ends_at = to_timestamp($2 / 1000.0) WHERE id = $3', [openAt, openAt + 3_600_000, dealId]);
        await ns.stock.warmDeal({ id: dealId, festivalId, stock, limit: LIMIT, holdSeconds: 3600, startsAt: openAt, endsAt: openAt + 3_600_000, unitPriceMinor: 99_900, currency: 'PKR', status: 'open' });
        // what a brand edit or the scheduler does: gateways reload the deal
        await publishDealChanged(ns.redis, ns.config.keyPrefix, dealId, festivalId);
        await sleep(300);
        const meter = cpuMeter({ gateways: engine.gatewayPids[0], gateway2: engine.gatewayPids[1], redis: rPid, worker: engine.workerPid, pg: 'postgres' });
        const res = await load.run({ at: openAt, timeoutMs: 30_000 });
        const lastHold = res.storm.lastHeldAt;
        // Postgres: the moment every hold is an order row (polled every 10 ms, see waitForOrderRows)
        let drainMs = null;
        if (v === 'ff') {
          const { doneAt } = await waitForOrderRows(ns.pool, dealId, res.storm.held.map((h) => h[2]), { timeoutMs: 60_000 });
          drainMs = doneAt - lastHold;
        }
        const cpu = meter.delta();
        ctx.log(`storm: ${v}: held ${res.storm.held.length}, refused ${JSON.stringify(res.counts.refused)}, answered ${res.counts.answered}/${res.counts.sent}; CPU s ${Object.entries(cpu).map(([k, x]) => `${k} ${x?.toFixed(1)}`).join(', ')}`);

        // ---- correctness
        const held = res.storm.held;
        check('every grab answered', res.counts.sent === shoppers * perShopper && res.counts.answered === res.counts.sent,
          `${v}: ${res.counts.answered} answers to ${res.counts.sent} grabs (${shoppers * perShopper} planned)`);
        check('exactly the stock held', held.length === stock, `${v}: ${held.length} units held, stock ${stock}`);
        const ids = new Set(held.map((h) => h[2]));
        check('no hold twice', ids.size === held.length, `${v}: ${held.length - ids.size} duplicate hold ids`);
        const per = new Map();
        for (const [p, i] of held) per.set(`${p}:${i}`, (per.get(`${p}:${i}`) ?? 0) + 1);
        const over = [...per.values()].filter((n) => n > LIMIT).length;
        check('no shopper over the limit', over === 0, `${v}: ${over} shoppers over ${LIMIT}`);
        const other = Object.keys(res.counts.refused).filter((c) => c !== 'sold_out' && c !== 'limit_reached' && c !== 'not_open');
        check('only sold_out / limit_reached / not_open refusals', other.length === 0, `${v}: ${JSON.stringify(res.counts.refused)}`);
        const deal = await ns.stock.readDeal(dealId);
        check('Redis counters balance', deal && deal.available === 0 && deal.held === stock && deal.sold === 0 && deal.available + deal.held + deal.sold === stock,
          `${v}: ${JSON.stringify(deal && { available: deal.available, held: deal.held, sold: deal.sold })}`);
        const holds = await ns.stock.listHolds(dealId);
        check('Redis holds match the answers', holds.length === ids.size && holds.every((h) => ids.has(h.hold)), `${v}: ${holds.length} holds in Redis`);
        if (v === 'ff') {
          const { rows: pg } = await ns.pool.query(
            `SELECT count(*)::int AS n, count(DISTINCT hold_id)::int AS d, coalesce(sum(qty), 0)::int AS units,
                    (SELECT count(*)::int FROM (SELECT 1 FROM orders WHERE ${dealHolds('$1')} GROUP BY shopper_id HAVING sum(qty) > $2) x) AS over
             FROM orders WHERE ${dealHolds('$1')}`, [dealId, LIMIT]);
          check('every hold one order row in Postgres', pg[0].n === stock && pg[0].d === stock && pg[0].units === stock && pg[0].over === 0,
            `${v}: ${JSON.stringify(pg[0])}`);
        }

        const l = summarizeHist(res.lat);
        put('time to sell out ms (opening to last hold answered)', v, lastHold - openAt);
        put('latency p50 ms', v, l.p50);
        put('latency p99 ms', v, l.p99);
        put('latency p99.9 ms', v, l.p999);
        put('load generator CPU s', v, res.cpu);
        put('every grab answered, ms after opening', v, res.storm.lastAt - openAt);
        if (drainMs !== null) put('last order row, ms after last hold', v, drainMs);
      }
    }
  } finally {
    for (const b of baselines) await b.stop();
    await engine.stop();
    await ns.cleanup();
  }
  return {
    name: 'storm',
    title: 'Sell-out storm',
    load: `${stock.toLocaleString('en')} units, limit ${LIMIT} per shopper; ${shoppers.toLocaleString('en')} shoppers on their own WebSockets `
      + `(2 load processes, the C generator bench/load/wsload.c) send ${perShopper} grabs each at random instants in the first ${spreadMs / 1000} s after opening `
      + `(${(shoppers * perShopper).toLocaleString('en')} grabs). flashfest: 2 gateway processes + 1 worker; a: 2 \`ws\` processes.`,
    rows, errors, checks: checkList(),
  };
}
