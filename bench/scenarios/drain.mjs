// Scenario 3, admission drain: holds decided in Redis (real Lua, batches of 500, as a storm makes
// them) are admitted the way the gateway does, while a worker process writes them to Postgres.
// Orders/s from the first admission to the last order row; and the previous design, one BullMQ
// job per hold, measured the same way in the same run as the baseline.
import { Admission } from '../../server/src/admission/queues.ts';
import { dealHolds } from '../../server/src/db/orders-repo.ts';
import { backendMeter, cpuMeter, createNamespace, now, redisPid, seedDeal, settlePostgres, sleep, startEngine, waitForOrderRows } from '../lib/env.mjs';
import { createResults } from '../lib/results.mjs';

export async function drainScenario(ctx) {
  const { opts, services } = ctx;
  const sizes = { ff: opts.smoke ? 5_000 : opts.big ? 200_000 : 60_000, ff_perhold: opts.smoke ? 2_000 : 20_000 };
  const variants = opts.smoke ? ['ff'] : ['ff', 'ff_perhold'];
  const { rows, errors, put, check, checkList } = createResults();
  const ns = await createNamespace(services);
  const rPid = await redisPid(ns.redis);
  const admission = new Admission(ns.config, ns.redis);
  const engine = await startEngine(ns, { gateways: 0 });
  try {
    for (let run = 0; run < opts.runs; run++) {
      for (const v of variants) {
        const n = sizes[v];
        ctx.log(`drain: run ${run + 1}/${opts.runs} ${v}: ${n.toLocaleString('en')} holds`);
        const { dealId } = await seedDeal(ns, { stock: n, limit: 1 });
        const batches = [];
        for (let start = 0; start < n; start += 500) {
          const grabs = Array.from({ length: Math.min(500, n - start) }, (_, i) => ({ shopper: `s${start + i}`, qty: 1, rid: `r${start + i}` }));
          const res = await ns.stock.grabBatch(dealId, grabs);
          batches.push(res.decisions.map((d, i) => {
            if (!d.ok) throw new Error(`drain: grab refused: ${d.code}`);
            return { hold: d.hold, dealId, shopper: grabs[i].shopper, qty: 1, unitPriceMinor: 99_900, currency: 'PKR', heldAt: res.now, expiresAt: d.expiresAt };
          }));
        }
        const meter = cpuMeter({ worker: engine.workerPid, redis: rPid, pg: 'postgres' });
        const workerBackends = await backendMeter(ns.pool, engine.workerPid);
        const t0 = now();
        for (const b of batches) {
          if (v === 'ff') await admission.admitHolds(b);
          else await admission.queues.orders.addBulk(b.map((data) => ({ name: 'order', data, opts: { jobId: data.hold } })));
        }
        const tAdmitted = now();
        const { count, doneAt: tDone } = await waitForOrderRows(ns.pool, dealId, batches.flat().map((h) => h.hold));
        const cpu = meter.delta();
        const backends = await workerBackends.delta();
        check('every hold one order row', count === n, `${v}: ${count}/${n} order rows`);
        const { rows: dup } = await ns.pool.query(
          `SELECT count(DISTINCT hold_id)::int AS d, (SELECT count(*)::int FROM stock_ledger WHERE ${dealHolds('$1')} AND reason = 'hold') AS ledger
           FROM orders WHERE ${dealHolds('$1')}`, [dealId]);
        check('no order twice, one ledger row each', dup[0].d === n && dup[0].ledger === n, `${v}: ${JSON.stringify(dup[0])}`);
        ctx.log(`drain: ${v}: ${Math.round(n / ((tDone - t0) / 1000))} orders/s; CPU s ${Object.entries(cpu).map(([k, x]) => `${k} ${x?.toFixed(1)}`).join(', ')}`);
        put('orders/s into Postgres', v, n / ((tDone - t0) / 1000));
        put('admission (gateway side) holds/s', v, n / ((tAdmitted - t0) / 1000));
        put('last order row, ms after last admission', v, tDone - tAdmitted);
        put('CPU s per 1M orders (worker)', v, (cpu.worker / n) * 1e6);
        put('CPU s per 1M orders (Redis)', v, (cpu.redis / n) * 1e6);
        put('CPU s per 1M orders (Postgres)', v, (cpu.pg / n) * 1e6);
        put("CPU s per 1M orders (Postgres, the worker's backends)", v, (backends / n) * 1e6);
        // let the expiry jobs of this run settle, and Postgres write this run's rows back,
        // before the next one measures
        await sleep(500);
        await settlePostgres(ns.pool);
      }
    }
  } finally {
    await admission.close();
    await engine.stop();
    await ns.cleanup();
  }
  return {
    name: 'drain',
    title: 'Admission drain into Postgres',
    load: `${sizes.ff.toLocaleString('en')} holds (flashfest: one order job per grab batch of 500) and ${sizes.ff_perhold.toLocaleString('en')} holds `
      + '(previous design: one BullMQ job per hold, same worker) admitted as fast as one client can, one worker process '
      + '(WORKER_CONCURRENCY 1000, ORDER_BATCH_MAX 1000), orders + stock ledger rows written with unnest, expiries scheduled.',
    rows, errors, checks: checkList(),
  };
}
