// A real worker process (main.ts, FF_ROLE=worker) is killed with kill -9 while it runs an order
// job, before any of the job's holds reached Postgres. The dead job stays in the orders queue's
// active list until its lock lapses and a stalled check moves it (a minute here, on purpose).
// Reconcile must re-admit every hold of that job, the first one too, although a job under that
// hold's id still exists: the order rows come on the next reconcile, not at the hold's expiry.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmission, startWorkers, type RunningWorkers } from '../../src/admission/index.ts';
import type { Admission } from '../../src/admission/queues.ts';
import { countOrdersByHold } from '../../src/db/orders-repo.ts';
import { createLogger } from '../../src/logger.ts';
import { reconcile } from '../../src/scheduler/reconcile.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { count, createDeal, grabHolds } from '../admission/helpers.ts';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { killWorkerProcess, spawnWorkerProcess, waitUntilBlockedBehind } from '../helpers/worker-process.ts';

const HOLDS = 20;
// The dead worker's lock lives this long, and a stalled check needs two intervals to move its
// job: far longer than this test runs, so only reconcile can bring the first hold's row.
const STALLED_INTERVAL_MS = '60000';

describe('reconcile after a worker died inside an order job', () => {
  let env: TestEnv;
  let admission: Admission;
  let workers: RunningWorkers | undefined;
  let child: ChildProcess | undefined;
  const logger = createLogger(process.env.SCHED_TEST_LOG ?? 'silent');

  beforeAll(async () => {
    env = await createTestEnv({ STALLED_INTERVAL_MS });
    admission = createAdmission(env.config, env.redis);
  });

  afterAll(async () => {
    await killWorkerProcess(child);
    await workers?.close();
    await admission?.close();
    await env?.cleanup();
  });

  it("re-admits the job's first hold too, while the dead job is still active", async () => {
    const stock = new StockStore(env.redis, env.config.keyPrefix);
    const deal = await createDeal(env, stock, { stock: HOLDS, limit: 1, holdSeconds: 600 });
    const holds = await grabHolds(stock, deal, HOLDS);
    await admission.admitHolds(holds); // one packed job, named by its first hold
    const jobId = holds[0]!.hold;

    // Hold the deal row FOR UPDATE: the worker's order write takes it FOR KEY SHARE first, so
    // the worker is caught inside the job with nothing written yet.
    const blocker = await env.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT id FROM deals WHERE id = $1 FOR UPDATE', [deal.dealId]);
      const { rows: [me] } = await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      child = await spawnWorkerProcess(env);
      await waitUntilBlockedBehind(env, me!.pid, 'the worker blocked on the deal row');
      expect(await admission.queues.forDeal(deal.dealId).orders.getJobState(jobId)).toBe('active');
      await killWorkerProcess(child);
      // The dead worker's write is one statement with no transaction around it: once unblocked,
      // its backend would finish and commit it without the client (harmless: the rows are
      // right, a re-run meets them). End it, as Postgres does once it sees the client gone, so
      // that nothing is written and only reconcile can bring the rows.
      await blocker.query('SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [me!.pid]);
    } finally {
      await blocker.query('ROLLBACK').catch(() => {});
      blocker.release();
    }
    expect(await countOrdersByHold(env.pool, deal.dealId)).toBe(0);
    expect(await admission.queues.forDeal(deal.dealId).orders.getJobState(jobId)).toBe('active');

    const report = await reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger, admitGraceMs: 0 });
    expect(report.readmitted).toBe(HOLDS);

    workers = await startWorkers({ config: env.config, redis: env.redis, pool: env.pool, logger });
    await waitFor(async () => (await countOrdersByHold(env.pool, deal.dealId)) === HOLDS, 'every hold has its order row', 15_000, 50);
    // the rows came from the re-admission: the dead job has not been moved yet
    expect(await admission.queues.forDeal(deal.dealId).orders.getJobState(jobId)).toBe('active');
    expect(await count(env, "orders WHERE deal_id = $1 AND status = 'pending'", [deal.dealId])).toBe(HOLDS);
    expect(await count(env, "stock_ledger WHERE deal_id = $1 AND reason = 'hold'", [deal.dealId])).toBe(HOLDS);

    // the re-admissions are pending no more: another run adds nothing, and finds no violation
    const again = await reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger, admitGraceMs: 0 });
    expect(again).toMatchObject({ readmitted: 0, violations: 0 });
  });
});
