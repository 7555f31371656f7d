// A hold with no order row whose job under the hold's id is finished (failed, or completed
// without writing it) is re-admitted under an id of its own; the finished job stays for a
// person to inspect. (A job left active by a dead worker: reconcile-stuck-job.test.ts.)
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueues, jobId, type AdmissionQueues, type OrderJob } from '../../src/admission/queues.ts';
import { queuePrefix, shardOfDeal } from '../../src/admission/shards.ts';
import { createLogger } from '../../src/logger.ts';
import { createBlockingRedis } from '../../src/redis.ts';
import { reconcile } from '../../src/scheduler/reconcile.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { createDeal, grabHolds } from '../admission/helpers.ts';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';

describe('reconcile re-admits past finished jobs', () => {
  let env: TestEnv;
  let queues: AdmissionQueues;
  const logger = createLogger(process.env.SCHED_TEST_LOG ?? 'silent');

  beforeAll(async () => {
    env = await createTestEnv();
    queues = createQueues(env.config, env.redis);
  });
  afterAll(async () => {
    await queues.close();
    await env?.cleanup();
  });

  it('adds r1-<hold> when the job under the hold id failed or completed, and keeps that job', async () => {
    const stock = new StockStore(env.redis, env.config.keyPrefix);
    const deal = await createDeal(env, stock, { stock: 10, holdSeconds: 600 });
    const [failing, completing] = await grabHolds(stock, deal, 2);
    // jobs that end without writing their order row: one fails for good, one completes
    for (const h of [failing!, completing!]) await queues.forDeal(deal.dealId).orders.add('order', h, { jobId: jobId.order(h.hold), attempts: 1 });
    const connection = createBlockingRedis(env.config);
    const worker = new Worker<OrderJob>('orders', async (job) => {
      if (job.id === failing!.hold) throw new Error('postgres said no');
    }, { connection, prefix: queuePrefix(env.config.keyPrefix, shardOfDeal(deal.dealId, env.config.admissionShards), env.config.admissionShards) });
    try {
      await waitFor(async () => (await queues.forDeal(deal.dealId).orders.getJobState(failing!.hold)) === 'failed'
        && (await queues.forDeal(deal.dealId).orders.getJobState(completing!.hold)) === 'completed', 'both jobs finished');
    } finally {
      await worker.close();
      connection.disconnect();
    }

    const report = await reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger, queues, admitGraceMs: 0 });
    expect(report.readmitted).toBe(2);
    for (const h of [failing!, completing!]) {
      const again = await queues.forDeal(deal.dealId).orders.getJob(jobId.readmit(h.hold, 1));
      expect(again?.data).toEqual(h);
      expect(await again!.getState()).toBe('waiting');
    }
    expect(await queues.forDeal(deal.dealId).orders.getJobState(failing!.hold)).toBe('failed');
    expect(await queues.forDeal(deal.dealId).orders.getJobState(completing!.hold)).toBe('completed');

    // the re-admissions are waiting: a second run adds nothing
    expect((await reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger, queues, admitGraceMs: 0 })).readmitted).toBe(0);
  });
});
