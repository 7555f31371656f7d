// Scenario 3, admission drain: holds decided in Redis (real Lua, batches of 500, as a storm makes
// them) of three deals (consecutive ids: one per admission shard when there are three) are
// admitted the way the gateway does, batches of the deals taking turns, while a worker process
// writes them to Postgres. Orders/s from the first admission to the last order row, with
// ADMISSION_SHARDS=1 (ff) and 3 (ff_k3) on the same Redis; and the previous design, one BullMQ
// job per hold, measured the same way in the same run as the baseline.
import { Admission } from '../../server/src/admission/queues.ts';
import { dealHolds } from '../../server/src/db/orders-repo.ts';
import { backendMeter, cpuMeter, createNamespace, now, redisPid, seedDeal, settlePostgres, sleep, startEngine, waitForOrderRows } from '../lib/env.mjs';
import { createResults } from '../lib/results.mjs';

const DEALS = 3;
// each variant's engine runs with these admission shards (its worker consumes them all)
const SHARDS = { ff: 1, ff_k3: 3, ff_perhold: 1 };

export async function drainScenario(ctx) {
  const { opts, services } = ctx;
  const full = opts.smoke ? 6_000 : opts.big ? 198_000 : 60_000;
  const sizes = { ff: full, ff_k3: full, ff_perhold: opts.smoke ? 3_000 : 21_000 };
  const variants = opts.smoke ? ['ff', 'ff_k3'] : ['ff', 'ff_k3', 'ff_perhold'];
  const { rows, errors, put, check, checkList } = createResults();
  for (let run = 0; run < opts.runs; run++) {
    for (const v of variants) {
      // a namespace and engine per variant: ADMISSION_SHARDS is read once, and every process
      // (this one's admission too) must agree on it
      const ns = await createNamespace(services, { ADMISSION_SHARDS: String(SHARDS[v]) });
      const rPid = await redisPid(ns.redis);
      const admission = new Admission(ns.config, ns.redis);
      const engine = await startEngine(ns, { gateways: 0 });
      try {
        const n = sizes[v];
        ctx.log(`drain: run ${run + 1}/${opts.runs} ${v}: ${n.toLocaleString('en')} holds of ${DEALS} deals, ADMISSION_SHARDS=${SHARDS[v]}`);
        const perDeal = [];
        for (let d = 0; d < DEALS; d++) {
          const { dealId } = await seedDeal(ns, { stock: n / DEALS, limit: 1 });
          const batches = [];
          for (let start = 0; start < n / DEALS; start += 500) {
            const grabs = Array.from({ length: Math.min(500, n / DEALS - start) }, (_, i) => ({ shopper: `s${start + i}`, qty: 1, rid: `r${start + i}` }));
            const res = await ns.stock.grabBatch(dealId, grabs);
            batches.push(res.decisions.map((dec, i) => {
              if (!dec.ok) throw new Error(`drain: grab refused: ${dec.code}`);
              return { hold: dec.hold, dealId, shopper: grabs[i].shopper, qty: 1, unitPriceMinor: 99_900, currency: 'PKR', heldAt: res.now, expiresAt: dec.expiresAt };
            }));
          }
          perDeal.push({ dealId, batches });
        }
        // the deals' batches take turns, as a storm on several deals admits them
        const turns = [];
        for (let i = 0; i < perDeal[0].batches.length; i++) for (const d of perDeal) if (d.batches[i]) turns.push(d.batches[i]);
        const meter = cpuMeter({ worker: engine.workerPid, redis: rPid, pg: 'postgres' });
        const workerBackends = await backendMeter(ns.pool, engine.workerPid);
        const t0 = now();
        for (const b of turns) {
          if (v !== 'ff_perhold') await admission.admitHolds(b);
          else await admission.queues.forDeal(b[0].dealId).orders.addBulk(b.map((data) => ({ name: 'order', data, opts: { jobId: data.hold } })));
        }
        const tAdmitted = now();
        let count = 0;
        let tDone = 0;
        for (const d of perDeal) {
          const r = await waitForOrderRows(ns.pool, d.dealId, d.batches.flat().map((h) => h.hold));
          count += r.count;
          tDone = Math.max(tDone, r.doneAt);
        }
        const cpu = meter.delta();
        const backends = await workerBackends.delta();
        check('every hold one order row', count === n, `${v}: ${count}/${n} order rows`);
        const dealIds = perDeal.map((d) => d.dealId);
        const { rows: dup } = await ns.pool.query(
          `SELECT count(DISTINCT hold_id)::int AS d, (SELECT count(*)::int FROM stock_ledger WHERE deal_id = ANY($1::bigint[]) AND reason = 'hold') AS ledger
           FROM orders WHERE deal_id = ANY($1::bigint[])`, [dealIds]);
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
      } finally {
        await admission.close();
        await engine.stop();
        await ns.cleanup();
      }
    }
  }
  return {
    name: 'drain',
    title: 'Admission drain into Postgres',
    load: `${sizes.ff.toLocaleString('en')} holds of ${DEALS} deals (flashfest: one order job per grab batch of 500; ff with ADMISSION_SHARDS=1, `
      + `ff_k3 with 3, a deal per shard) and ${sizes.ff_perhold.toLocaleString('en')} holds `
      + '(previous design: one BullMQ job per hold, same worker, one shard) admitted as fast as one client can, one worker process '
      + '(WORKER_CONCURRENCY 1000 over its shards, ORDER_BATCH_MAX 1000), orders + stock ledger rows written with unnest, expiries scheduled.',
    rows, errors, checks: checkList(),
  };
}
