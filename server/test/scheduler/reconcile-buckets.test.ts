// Reconcile on a deal split into stock buckets: it finishes a move whose mover was killed with
// kill -9, checks every bucket's own books and the buckets together, and reports the deal's
// counters as the sum of its buckets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { killMoverAt } from '../helpers/stock-mover.ts';
import { createLogger } from '../../src/logger.ts';
import { redisNow } from '../../src/redis.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { bucketOfShopper } from '../../src/stock/buckets.ts';
import { createQueues, jobId, type AdmissionQueues } from '../../src/admission/queues.ts';
import { reconcile } from '../../src/scheduler/reconcile.ts';
import { insertDeal } from './fixtures.ts';

describe('reconcile, bucketed deal', () => {
  let env: TestEnv;
  let stock: StockStore;
  let queues: AdmissionQueues;
  const logger = createLogger(process.env.SCHED_TEST_LOG ?? 'silent');
  const run = () => reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger, queues, admitGraceMs: 0 });

  beforeAll(async () => {
    env = await createTestEnv();
    stock = new StockStore(env.redis, env.config.keyPrefix);
    queues = createQueues(env.config, env.redis);
  });
  afterAll(async () => {
    await Promise.all([queues.orders.close(), queues.expiry.close(), queues.payments.close()]);
    await env.cleanup();
  });

  it('finishes a killed mover\'s move, re-admits holds of every bucket, sums the buckets', async () => {
    const now = await redisNow(env.redis);
    const { dealId, festivalId } = await insertDeal(env.pool, { startsAt: now - 1_000, endsAt: now + 600_000, stock: 30, limit: 3 });
    await stock.warmDeal({
      id: dealId, festivalId, stock: 30, limit: 3, holdSeconds: 60, startsAt: now - 1_000,
      endsAt: now + 600_000, unitPriceMinor: 99_900, currency: 'PKR', status: 'open', buckets: 3,
    });
    // one shopper in each bucket
    const shoppers = [0, 1, 2].map((b) => { for (let i = 0; ; i++) if (bucketOfShopper(`s${i}`, 3) === b) return `s${i}`; });
    const g = await stock.grabBatch(dealId, shoppers.map((s) => ({ shopper: s, qty: 1, rid: 'a' })));
    const holds = g.decisions.map((d) => (d.ok ? d.hold : ''));
    expect(new Set(holds).size).toBe(3);
    await killMoverAt(env, dealId, 3, 1, 2, 3, 'take');

    const report = await run();
    expect(report).toMatchObject({ deals: 1, holds: 3, violations: 0, readmitted: 3, movesFinished: 1 });
    expect(report.perDeal[0]).toMatchObject({ dealId, stock: 30, held: 3, sold: 0, available: 27 });
    for (const h of holds) expect((await queues.orders.getJob(jobId.order(h)))?.data.dealId).toBe(dealId);
    const snap = (await stock.snapshotDeal(dealId))!;
    expect(snap.inFlight).toBe(0);
    // bucket 1 had 9 left: the move took max(3 asked, half of 9) = 4
    expect(snap.buckets.map((b) => b.deal.stock)).toEqual([10, 6, 14]);

    // a bucket's own books are checked: one unit appears in bucket 2 from nowhere
    await env.redis.hincrby(stock.bucketKeys(dealId, 2, 3).deal, 'available', 1);
    const bad = await run();
    expect(bad.details.map((v) => [v.kind, v.detail.endsWith('(bucket 2)')])).toEqual([['counters', true]]);
  });
});
