// A grab batch is admitted as ONE order job and expires as ONE delayed job; a retry of the batch
// is no duplicate, and every hold of it is released exactly once when its time is up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmission, startWorkers, type RunningWorkers } from '../../src/admission/index.ts';
import { jobId, orderRowsOfJob, packOrderGroups, type Admission, type OrderGroupsJob } from '../../src/admission/queues.ts';
import { createLogger } from '../../src/logger.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { count, createDeal, grabHolds } from './helpers.ts';

describe('batch admission', () => {
  let env: TestEnv;
  let admission: Admission;
  let workers: RunningWorkers;

  beforeAll(async () => {
    env = await createTestEnv({ STALLED_INTERVAL_MS: '1000' });
    admission = createAdmission(env.config, env.redis);
    workers = await startWorkers({ config: env.config, redis: env.redis, pool: env.pool, logger: createLogger('silent') });
  });

  afterAll(async () => {
    await workers?.close();
    await admission?.close();
    await env?.cleanup();
  });

  it('one job per batch, idempotent, and its holds expire together, once each', async () => {
    const stock = new StockStore(env.redis, env.config.keyPrefix);
    const deal = await createDeal(env, stock, { stock: 10, limit: 1, holdSeconds: 1 });
    const jobs = await grabHolds(stock, deal, 6, 1, 'b');
    await admission.admitHolds(jobs);
    await admission.admitHolds(jobs); // a gateway retry: same job id, nothing new
    const counts = await admission.queues.forDeal(deal.dealId).orders.getJobCounts('waiting', 'active', 'completed');
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
    const data = (await admission.queues.forDeal(deal.dealId).orders.getJob(jobId.orderBatch(jobs)))!.data as OrderGroupsJob;
    // packed: one group (one grab batch: same deal, heldAt and expiresAt), rows back as admitted
    expect(data.groups).toHaveLength(1);
    expect(data.groups[0]!.holds).toEqual(jobs.map((j) => j.hold));
    expect(orderRowsOfJob(data)).toEqual(jobs);

    await waitFor(async () => (await count(env, 'orders WHERE deal_id = $1', [deal.dealId])) === 6, '6 orders');
    // the holds' time is 1 s: one expiry job gives all six back
    await waitFor(async () => (await stock.readDeal(deal.dealId))!.available === 10, 'stock back', 15_000);
    await waitFor(async () => (await count(env, "orders WHERE deal_id = $1 AND status = 'cancelled'", [deal.dealId])) === 6, 'orders cancelled');
    expect(await count(env, "stock_ledger WHERE deal_id = $1 AND reason = 'release'", [deal.dealId])).toBe(6);
    const done = await admission.queues.forDeal(deal.dealId).expiry.getJobs(['completed']);
    expect(done).toHaveLength(1);
    expect(done[0]!.returnvalue).toBe('released:6');
    const d = (await stock.readDeal(deal.dealId))!;
    expect(d).toMatchObject({ available: 10, held: 0, sold: 0 });
  });

  it('packs holds by grab batch and keeps their order', async () => {
    const stock = new StockStore(env.redis, env.config.keyPrefix);
    const a = await createDeal(env, stock, { stock: 10, limit: 5, holdSeconds: 600 });
    const b = await createDeal(env, stock, { stock: 10, limit: 5, holdSeconds: 600 });
    const a1 = await grabHolds(stock, a, 3, 1, 'pa');
    const b1 = await grabHolds(stock, b, 2, 1, 'pb');
    // a later grab batch of deal a has its own instant (two batches in one millisecond share it)
    const a2 = { ...a1[2]!, qty: 2, heldAt: a1[2]!.heldAt + 5, expiresAt: a1[2]!.expiresAt + 5 };
    const rows = [a1[0]!, b1[0]!, b1[1]!, a1[1]!, a2];
    const packed = packOrderGroups(rows);
    expect(packed.groups.map((g) => [g.dealId, g.holds.length])).toEqual([[a.dealId, 1], [b.dealId, 2], [a.dealId, 1], [a.dealId, 1]]);
    expect(orderRowsOfJob(packed)).toEqual(rows);
    const bad: OrderGroupsJob = { groups: [{ ...packed.groups[1]!, qty: [1] }] };
    expect(() => orderRowsOfJob(bad)).toThrow(/2 holds, 2 shoppers, 1 quantities/);
  });
});
