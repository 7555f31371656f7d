// A real worker process (main.ts, FF_ROLE=worker) is killed with kill -9 inside an expiry job:
// Redis has given the hold's stock back, Postgres has not heard (the order is still pending).
// The dead job stays active under the hold's own expiry id until its lock lapses and a stalled
// check moves it (a minute here, on purpose). Reconcile must queue the expiry again under an id
// of its own, so the order is cancelled and the release booked on the next run, not a minute on.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmission, startWorkers, type RunningWorkers } from '../../src/admission/index.ts';
import { scheduleExpiries } from '../../src/admission/expiry/index.ts';
import { jobId, type Admission } from '../../src/admission/queues.ts';
import { inTransaction, insertOrders } from '../../src/db/orders-repo.ts';
import { createLogger } from '../../src/logger.ts';
import { reconcile } from '../../src/scheduler/reconcile.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { count, createDeal, grabHolds } from '../admission/helpers.ts';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { killWorkerProcess, spawnWorkerProcess, waitUntilBlockedBehind } from '../helpers/worker-process.ts';

// The dead worker's lock lives this long, and a stalled check needs two intervals to move its
// job: far longer than this test runs, so only reconcile can finish the expiry.
const STALLED_INTERVAL_MS = '60000';

describe('reconcile after a worker died inside an expiry job', () => {
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

  it('queues the expiry again under its own id while the dead job is still active', async () => {
    const stock = new StockStore(env.redis, env.config.keyPrefix);
    const deal = await createDeal(env, stock, { stock: 5, limit: 1, holdSeconds: 1 });
    const [job] = await grabHolds(stock, deal, 1);
    const { hold } = job!;
    await inTransaction(env.pool, (c) => insertOrders(c, [job!]));
    await scheduleExpiries(admission.queues, [job!]);
    const expiryId = jobId.expiry(hold);

    // Hold the order row FOR UPDATE: the worker releases the hold in Redis, then its cancel
    // waits on the row, so it is caught between the two stores.
    const blocker = await env.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT hold_id FROM orders WHERE hold_id = $1 FOR UPDATE', [hold]);
      const { rows: [me] } = await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      child = await spawnWorkerProcess(env);
      await waitUntilBlockedBehind(env, me!.pid, 'the worker blocked on the order row');
      expect(await admission.queues.forDeal(deal.dealId).expiry.getJobState(expiryId)).toBe('active');
      await killWorkerProcess(child);
    } finally {
      await blocker.query('ROLLBACK').catch(() => {});
      blocker.release();
    }
    expect((await stock.readHold(hold))!.state).toBe('expired');
    expect(await count(env, "orders WHERE hold_id = $1 AND status = 'pending'", [hold])).toBe(1);
    expect(await admission.queues.forDeal(deal.dealId).expiry.getJobState(expiryId)).toBe('active');

    const run = () => reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger, admitGraceMs: 0, expiryGraceMs: 0 });
    expect((await run()).reexpired).toBe(1);

    workers = await startWorkers({ config: env.config, redis: env.redis, pool: env.pool, logger });
    await waitFor(async () => (await count(env, "orders WHERE hold_id = $1 AND status = 'cancelled'", [hold])) === 1,
      'the order cancelled', 15_000, 50);
    expect(await count(env, "stock_ledger WHERE hold_id = $1 AND reason = 'release'", [hold])).toBe(1);
    // the work came from the re-queued try: the dead job has not been moved yet
    expect(await admission.queues.forDeal(deal.dealId).expiry.getJobState(expiryId)).toBe('active');
    expect(await stock.readDeal(deal.dealId)).toMatchObject({ available: 5, held: 0, sold: 0 });

    // nothing is overdue any more: another run adds nothing, and finds no violation
    expect(await run()).toMatchObject({ reexpired: 0, violations: 0 });
  });
});
