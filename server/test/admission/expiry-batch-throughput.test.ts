// The holds of one admitted order job share one delayed expiry job. When Postgres answers slowly
// (a loaded machine: the chaos run's), that job must still give every hold back within about
// one hold's time, not one Postgres round trip after another per hold: the chaos suite saw such
// jobs active for minutes, holds still `held` long after their end, and the leader re-queueing
// expiries for holds a running batch had not reached yet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { createAdmission, startWorkers, type RunningWorkers } from '../../src/admission/index.ts';
import type { Admission } from '../../src/admission/queues.ts';
import { createLogger } from '../../src/logger.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { count, createDeal, delayedExpiryCoverage, grabHolds } from './helpers.ts';

const HOLDS = 300;
// each statement the workers send waits this long first, as on a busy shared machine
const PG_DELAY_MS = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pool, with every query (on the pool and on its clients) answered PG_DELAY_MS later. */
function slowPool(pool: pg.Pool): pg.Pool {
  const slowQuery = (target: { query: (...a: unknown[]) => unknown }) =>
    async (...args: unknown[]) => { await sleep(PG_DELAY_MS); return target.query(...args); };
  const wrap = <T extends object>(target: T, extra: (prop: string | symbol) => unknown): T => new Proxy(target, {
    get(t, prop) {
      const own = extra(prop);
      if (own !== undefined) return own;
      const v = Reflect.get(t, prop, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
  return wrap(pool, (prop) => {
    if (prop === 'query') return slowQuery(pool as never);
    if (prop === 'connect') {
      return async () => {
        const client = await pool.connect();
        return wrap(client, (p) => (p === 'query' ? slowQuery(client as never) : undefined));
      };
    }
    return undefined;
  });
}

describe('a batch of expiries on a slow Postgres', () => {
  let env: TestEnv;
  let admission: Admission;
  let workers: RunningWorkers | undefined;
  const logger = createLogger(process.env.ADMISSION_TEST_LOG ?? 'silent');

  beforeAll(async () => {
    env = await createTestEnv();
    admission = createAdmission(env.config, env.redis);
    workers = await startWorkers({ config: env.config, redis: env.redis, pool: slowPool(env.pool), logger });
  });

  afterAll(async () => {
    await workers?.close();
    await admission?.close();
    await env?.cleanup();
  });

  it('gives every hold of the batch back soon after their end', async () => {
    const stock = new StockStore(env.redis, env.config.keyPrefix);
    const deal = await createDeal(env, stock, { stock: HOLDS, limit: 1, holdSeconds: 3 });
    const holds = await grabHolds(stock, deal, HOLDS);
    await admission.admitHolds(holds);
    await waitFor(async () => (await count(env, 'orders WHERE deal_id = $1', [deal.dealId])) === HOLDS, 'order rows', 15_000, 50);
    // one delayed job covers the whole admitted job (scheduled once the job's rows are written
    // and their news sent, so a moment after the last row shows)
    await waitFor(async () => {
      const covered = await delayedExpiryCoverage(admission.queues.forDeal(deal.dealId).expiry);
      return holds.every((h) => covered.get(h.hold) === 1);
    }, 'one delayed expiry job covering every hold', 5_000, 20);
    expect(await admission.queues.forDeal(deal.dealId).expiry.getDelayedCount()).toBe(1);

    const end = Math.max(...holds.map((h) => h.expiresAt));
    await waitFor(async () => (await stock.readDeal(deal.dealId))!.held === 0, 'every hold released in Redis',
      Math.max(0, end - Date.now()) + 8_000, 50);
    await waitFor(async () => (await count(env, "orders WHERE deal_id = $1 AND status = 'cancelled'", [deal.dealId])) === HOLDS,
      'every order cancelled', 5_000, 50);
    expect(await count(env, "stock_ledger WHERE deal_id = $1 AND reason = 'release'", [deal.dealId])).toBe(HOLDS);
    expect(await stock.readDeal(deal.dealId)).toMatchObject({ available: HOLDS, held: 0, sold: 0 });
  });
});
