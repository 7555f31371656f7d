import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { runReconcileCli } from './reconcile-cli.ts';
import { createLogger } from '../../src/logger.ts';
import { redisNow } from '../../src/redis.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { createQueues, jobId, orderRowsOfJob, type AdmissionQueues } from '../../src/admission/queues.ts';
import { reconcile } from '../../src/scheduler/reconcile.ts';
import { inTransaction, insertOrders } from '../../src/db/orders-repo.ts';
import { insertDeal } from './fixtures.ts';
import { killMoverAt } from '../helpers/stock-mover.ts';
import { bucketOfShopper } from '../../src/stock/buckets.ts';

describe('reconcile', () => {
  let env: TestEnv;
  let stock: StockStore;
  let queues: AdmissionQueues;
  const logger = createLogger(process.env.SCHED_TEST_LOG ?? 'silent');

  beforeAll(async () => {
    env = await createTestEnv();
    stock = new StockStore(env.redis, env.config.keyPrefix);
    queues = createQueues(env.config, env.redis);
  });
  afterAll(async () => {
    await queues.close();
    await env.cleanup();
  });

  async function openDeal(stockUnits = 10, buckets = 1) {
    const now = await redisNow(env.redis);
    const { dealId, festivalId } = await insertDeal(env.pool, { startsAt: now - 1_000, endsAt: now + 600_000, stock: stockUnits, limit: 3 });
    await stock.warmDeal({
      id: dealId, festivalId, stock: stockUnits, limit: 3, holdSeconds: 60, startsAt: now - 1_000,
      endsAt: now + 600_000, unitPriceMinor: 99_900, currency: 'PKR', status: 'open', buckets,
    });
    return dealId;
  }

  it('re-admits a hold that has no order row, once, with the order job shape', async () => {
    const dealId = await openDeal();
    const g = await stock.grabBatch(dealId, [{ shopper: 'shopper-1', qty: 2, rid: 'a' }]);
    const d = g.decisions[0]!;
    if (!d.ok) throw new Error(d.code);

    const report = await reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger, queues, admitGraceMs: 0 });
    expect(report).toMatchObject({ deals: 1, holds: 1, violations: 0, readmitted: 1, reexpired: 0 });
    const job = await queues.forDeal(dealId).orders.getJob(jobId.order(d.hold));
    expect(job?.id).toBe(d.hold);
    expect(job?.data).toEqual({
      hold: d.hold, dealId, shopper: 'shopper-1', qty: 2, unitPriceMinor: 99_900, currency: 'PKR',
      heldAt: g.now, expiresAt: d.expiresAt,
    });

    // the job is still waiting: a second run adds nothing
    const again = await reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger, queues, admitGraceMs: 0 });
    expect(again.readmitted).toBe(0);
    expect(await queues.forDeal(dealId).orders.getJobCounts('waiting')).toEqual({ waiting: 1 });

    // once the order row exists, nothing to re-admit; a young hold is left alone by default
    await inTransaction(env.pool, (c) => insertOrders(c, orderRowsOfJob(job!.data)));
    const young = await stock.grabBatch(dealId, [{ shopper: 'shopper-2', qty: 1, rid: 'b' }]);
    expect(young.decisions[0]!.ok).toBe(true);
    const third = await reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger, queues });
    expect(third).toMatchObject({ holds: 2, readmitted: 0, violations: 0 });
  });

  it('re-queues the expiry of an overdue hold whose expiry job was lost', async () => {
    const dealId = await openDeal();
    const g = await stock.grabBatch(dealId, [{ shopper: 'shopper-1', qty: 1, rid: 'a' }]);
    const d = g.decisions[0]!;
    if (!d.ok) throw new Error(d.code);
    // pretend the hold ran out long ago and its job vanished
    // (its expiry index entry: the batch's first and last hold seq)
    const seq = d.hold.slice(dealId.length + 1);
    await env.redis.zadd(stock.keys(dealId).expiries, g.now - 60_000, `${seq}-${seq}`);
    const report = await reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger, queues, admitGraceMs: 0 });
    expect(report.reexpired).toBe(1);
    expect((await queues.forDeal(dealId).expiry.getJob(jobId.expiry(d.hold)))?.data).toEqual({ hold: d.hold, dealId });
  });

  it('detects a corrupted counter, and the CLI exits 1 on it', async () => {
    const dealId = await openDeal(5);
    expect((await reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger, queues })).details
      .filter((v) => v.dealId === dealId)).toEqual([]);

    await env.redis.hincrby(stock.keys(dealId).deal, 'available', 1); // a unit from nowhere
    const report = await reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger, queues });
    expect(report.violations).toBeGreaterThan(0);
    expect(report.details).toContainEqual(expect.objectContaining({ dealId, kind: 'counters' }));

    const cli = await runReconcileCli(env.env);
    expect(cli.code, cli.stderr).toBe(1);
    const printed = JSON.parse(cli.stdout) as { violations: number; details: { dealId: string; kind: string }[] };
    expect(printed.details).toContainEqual(expect.objectContaining({ dealId, kind: 'counters' }));

    await env.redis.hincrby(stock.keys(dealId).deal, 'available', -1);
    const healed = await runReconcileCli(env.env);
    expect(healed.code, healed.stderr).toBe(0);
  });

  it('on a bucketed deal: finishes a killed mover\'s move, re-admits holds of every bucket, sums the buckets', async () => {
    const dealId = await openDeal(30, 3);
    // one shopper in each bucket
    const shoppers = [0, 1, 2].map((b) => { for (let i = 0; ; i++) if (bucketOfShopper(`s${i}`, 3) === b) return `s${i}`; });
    const g = await stock.grabBatch(dealId, shoppers.map((s) => ({ shopper: s, qty: 1, rid: 'a' })));
    const holds = g.decisions.map((d) => (d.ok ? d.hold : ''));
    expect(new Set(holds).size).toBe(3);
    await killMoverAt(env, dealId, 3, 1, 2, 3, 'take');

    const report = await reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger, queues, admitGraceMs: 0 });
    expect(report).toMatchObject({ violations: 0, readmitted: 3, movesFinished: 1 });
    expect(report.perDeal.find((d) => d.dealId === dealId)).toMatchObject({ dealId, stock: 30, held: 3, sold: 0, available: 27 });
    for (const h of holds) expect((await queues.forDeal(dealId).orders.getJob(jobId.order(h)))?.data).toMatchObject({ hold: h, dealId });
    const snap = (await stock.snapshotDeal(dealId))!;
    expect(snap.inFlight).toBe(0);
    // bucket 1 had 9 left: the move took max(3 asked, half of 9) = 4
    expect(snap.buckets.map((b) => b.deal.stock)).toEqual([10, 6, 14]);

    // a bucket's own books are checked: one unit appears in bucket 2 from nowhere
    await env.redis.hincrby(stock.bucketKeys(dealId, 2, 3).deal, 'available', 1);
    const bad = await reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger, queues, admitGraceMs: 0 });
    expect(bad.details.map((v) => [v.kind, v.detail.endsWith('(bucket 2)')])).toEqual([['counters', true]]);
  });
});
