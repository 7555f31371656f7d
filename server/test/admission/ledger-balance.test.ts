// The stock ledger is the record: every order row is its hold's 'hold' entry (migration 010),
// whichever path writes the order first (the order job, a payment, an expiry), and every ended
// order has exactly one 'sale' or 'release' move. A crashed worker's order job may
// come late or never (its holds are re-admitted): the ledger must balance without it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expireHoldNow } from '../../src/admission/index.ts';
import { newStats } from '../../src/admission/deps.ts';
import { settlePayment } from '../../src/admission/payment-worker.ts';
import { inTransaction, insertOrders } from '../../src/db/orders-repo.ts';
import { createLogger } from '../../src/logger.ts';
import { redisNow } from '../../src/redis.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { count, createDeal, grabHolds } from './helpers.ts';

describe('stock ledger balance', () => {
  let env: TestEnv;
  let stock: StockStore;
  const logger = createLogger('silent');
  const ledger = (hold: string) => env.pool.query<{ reason: string; qty: number }>(
    'SELECT reason, qty FROM stock_ledger WHERE hold_id = $1 ORDER BY reason', [hold]).then((r) => r.rows);
  const orderStatus = async (hold: string) =>
    (await env.pool.query<{ status: string }>('SELECT status FROM orders WHERE hold_id = $1', [hold])).rows[0]?.status;

  beforeAll(async () => {
    env = await createTestEnv();
    stock = new StockStore(env.redis, env.config.keyPrefix);
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('a payment settled before the order job books the hold and the sale; the late order job adds nothing', async () => {
    const deal = await createDeal(env, stock, { stock: 10, holdSeconds: 60 });
    const [job] = await grabHolds(stock, deal, 1, 2, 'paid-first');
    const { hold } = job!;
    const status = await settlePayment({ config: env.config, redis: env.redis, pool: env.pool, logger, stats: newStats() },
      { ...job!, provider: 'demo', providerRef: 'demo-1', paidAt: Date.now() });
    expect(status).toBe('paid');
    expect(await ledger(hold)).toEqual([{ reason: 'hold', qty: 2 }, { reason: 'sale', qty: 2 }]);

    expect(await inTransaction(env.pool, (c) => insertOrders(c, [job!]))).toEqual([]);
    expect(await orderStatus(hold)).toBe('paid');
    expect(await ledger(hold)).toEqual([{ reason: 'hold', qty: 2 }, { reason: 'sale', qty: 2 }]);
  });

  it('an expiry before the order job books the hold and the release; a repeat adds nothing', async () => {
    const deal = await createDeal(env, stock, { stock: 10, holdSeconds: 1 });
    const [job] = await grabHolds(stock, deal, 1, 3, 'expired-first');
    const { hold } = job!;
    await waitFor(async () => (await redisNow(env.redis)) > job!.expiresAt, 'the hold is due', 5_000, 50);
    const deps = { config: env.config, redis: env.redis, pool: env.pool, stock, stats: newStats() };
    expect(await expireHoldNow(deps, hold)).toMatchObject({ released: true, qty: 3 });
    expect(await orderStatus(hold)).toBe('cancelled');
    expect(await ledger(hold)).toEqual([{ reason: 'hold', qty: 3 }, { reason: 'release', qty: 3 }]);

    expect(await expireHoldNow(deps, hold)).toMatchObject({ released: false, reason: 'already_released' });
    expect(await inTransaction(env.pool, (c) => insertOrders(c, [job!]))).toEqual([]);
    expect(await ledger(hold)).toEqual([{ reason: 'hold', qty: 3 }, { reason: 'release', qty: 3 }]);
    expect(await count(env, 'orders WHERE hold_id = $1', [hold])).toBe(1);
  });

  it('an expiry racing the order job still cancels the order it books a release for', async () => {
    const deal = await createDeal(env, stock, { stock: 10, holdSeconds: 1 });
    const [job] = await grabHolds(stock, deal, 1, 1, 'race');
    const { hold } = job!;
    await waitFor(async () => (await redisNow(env.redis)) > job!.expiresAt, 'the hold is due', 5_000, 50);
    // the order job's insert is in flight (not yet committed) when the expiry finds no pending
    // row: the expiry's own insert waits on it, then meets ON CONFLICT
    const batch = await env.pool.connect();
    try {
      await batch.query('BEGIN');
      await insertOrders(batch, [job!]);
      const deps = { config: env.config, redis: env.redis, pool: env.pool, stock, stats: newStats() };
      const expiring = expireHoldNow(deps, hold);
      await new Promise((r) => setTimeout(r, 300));
      await batch.query('COMMIT');
      expect(await expiring).toMatchObject({ released: true, qty: 1 });
    } finally {
      batch.release();
    }
    expect(await orderStatus(hold)).toBe('cancelled');
    expect(await ledger(hold)).toEqual([{ reason: 'hold', qty: 1 }, { reason: 'release', qty: 1 }]);
  });
});
