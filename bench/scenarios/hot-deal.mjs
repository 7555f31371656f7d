// Scenario: one hot deal, 1 stock bucket against 3 (server/src/stock/buckets.ts), same run. Grabs
// are decided straight through StockStore.grabBatch (what a gateway's batcher calls), from
// CONCURRENCY batches in flight at once, so Redis, not a socket layer, is what limits: decisions/s
// of that one deal, and Redis CPU per decision. On one Redis the 3 buckets share one core (the
// figure shows what splitting costs); with `--cluster` the same variants also run on a private
// 3-master cluster (scripts/services/redis-cluster.mjs), where 3 buckets are 3 masters.
import { createRedis, deleteKeys } from '../../server/src/redis.ts';
import { StockStore } from '../../server/src/stock/stock-store.ts';
import { cpuSeconds, now, redisPid } from '../lib/env.mjs';
import { createResults } from '../lib/results.mjs';

const BATCH = 256;
const CONCURRENCY = 12;

async function decideFor(stock, dealId, durationMs, firstShopper) {
  let decided = 0;
  let held = 0;
  let next = firstShopper;
  const until = now() + durationMs;
  const loop = async () => {
    while (now() < until) {
      const grabs = Array.from({ length: BATCH }, () => ({ shopper: `s${next++}`, qty: 1, rid: 'r' }));
      const r = await stock.grabBatch(dealId, grabs);
      decided += grabs.length;
      for (const d of r.decisions) if (d.ok) held++;
    }
  };
  const t0 = now();
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return { decided, held, seconds: (now() - t0) / 1000, next };
}

export async function hotDealScenario(ctx) {
  const { opts, services } = ctx;
  const { rows, errors, put, check, checkList } = createResults();
  const durationMs = opts.smoke ? 1_000 : opts.durationMs;
  const prefix = `benchhot${process.pid}`;
  const targets = [];
  const single = createRedis({ redisUrl: services.redisUrl, redisClusterNodes: [] });
  targets.push({ name: 'redis', redis: single, pids: [await redisPid(single)] });
  // --cluster: the private 3-master cluster bench/run.mjs started (lib/env.mjs ensureServices)
  if (services.clusterNodes) {
    const nodes = services.clusterNodes.split(',').map((n) => ({ host: n.split(':')[0], port: Number(n.split(':')[1]) }));
    const redis = createRedis({ redisUrl: '', redisClusterNodes: nodes });
    targets.push({ name: 'cluster', redis, pids: await redisPid(redis) });
  }
  let dealSeq = 0;
  try {
    for (let run = 0; run < opts.runs; run++) {
      for (const t of targets) {
        const stock = new StockStore(t.redis, prefix);
        for (const buckets of [1, 3]) {
          const variant = `${t.name} ${buckets} bucket${buckets > 1 ? 's' : ''}`;
          const dealId = String(++dealSeq);
          const startsAt = Date.now() - 1_000;
          const units = 50_000_000;
          await stock.warmDeal({
            id: dealId, festivalId: '1', stock: units, limit: 1, holdSeconds: 3_600, startsAt, endsAt: startsAt + 3_600_000,
            unitPriceMinor: 100, currency: 'PKR', status: 'open', buckets,
          });
          // a short warm-up: scripts loaded, the store has learned the buckets
          await decideFor(stock, dealId, 200, 0);
          const cpu0 = t.pids.map(cpuSeconds);
          const client0 = process.cpuUsage();
          const r = await decideFor(stock, dealId, durationMs, 1_000_000);
          const redisCpu = t.pids.map((pid, i) => cpuSeconds(pid) - cpu0[i]).reduce((a, b) => a + b, 0);
          const clientCpu = (process.cpuUsage(client0).user + process.cpuUsage(client0).system) / 1e6;
          const deal = await stock.readDeal(dealId);
          check('every grab held (stock never runs out here)', r.held === r.decided, `${variant}: ${r.held}/${r.decided}`);
          check('sold + held + available == stock, summed over buckets',
            deal && deal.held + deal.sold + deal.available === units && deal.buckets === buckets, `${variant}: ${JSON.stringify(deal)}`);
          ctx.log(`hotdeal: run ${run + 1}/${opts.runs} ${variant}: ${Math.round(r.decided / r.seconds)} decisions/s, `
            + `Redis CPU ${redisCpu.toFixed(2)} s, client CPU ${clientCpu.toFixed(2)} s`);
          put('decisions/s of the one deal', variant, r.decided / r.seconds);
          put('Redis CPU s per 1M decisions (all masters)', variant, (redisCpu / r.decided) * 1e6);
          put('bench client CPU s per 1M decisions', variant, (clientCpu / r.decided) * 1e6);
        }
      }
    }
  } finally {
    for (const t of targets) {
      await deleteKeys(t.redis, `${prefix}:*`).catch(() => {});
      t.redis.disconnect();
    }
  }
  return {
    name: 'hotdeal',
    title: 'One hot deal: 1 stock bucket vs 3',
    load: `${CONCURRENCY} batches of ${BATCH} grabs in flight from one client process, a new shopper per grab (limit 1, stock never runs out), `
      + `${durationMs / 1000} s per variant, straight into StockStore.grabBatch; `
      + (services.clusterNodes ? 'on the local Redis and on a private 3-master cluster (--cluster)' : 'on the local Redis (add --cluster for a private 3-master cluster)'),
    rows, errors, checks: checkList(),
  };
}
