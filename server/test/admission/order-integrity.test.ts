// Orders and the stock ledger carry no per-row foreign key to deals (migration 003); what the
// FK guaranteed still holds: an order for a deal missing from Postgres fails alone (23503, as
// the FK did) while its batch neighbours are written, and a deal with orders cannot be deleted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmission } from '../../src/admission/index.ts';
import { newStats } from '../../src/admission/deps.ts';
import { createOrderBatcher } from '../../src/admission/order-worker.ts';
import type { Admission } from '../../src/admission/queues.ts';
import { insertOrders, inTransaction } from '../../src/db/orders-repo.ts';
import { createLogger } from '../../src/logger.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { count, createDeal, grabHolds } from './helpers.ts';

describe('order integrity without per-row foreign keys', () => {
  let env: TestEnv;
  let admission: Admission;
  let stock: StockStore;

  beforeAll(async () => {
    env = await createTestEnv();
    admission = createAdmission(env.config, env.redis);
    stock = new StockStore(env.redis, env.config.keyPrefix);
  });

  afterAll(async () => {
    await admission?.close();
    await env?.cleanup();
  });

  it('a hold of a deal missing from Postgres fails alone; its batch neighbours are written once', async () => {
    const deal = await createDeal(env, stock, { stock: 10, limit: 1, holdSeconds: 300 });
    const jobs = await grabHolds(stock, deal, 4, 1, 'fk');
    const ghost = { ...jobs[0]!, hold: '987654321-1', dealId: '987654321' };
    const stats = newStats();
    const batcher = createOrderBatcher({
      config: env.config, redis: env.redis, pool: env.pool, logger: createLogger('silent'), stock, admission, stats,
    });

    const settled = await Promise.allSettled([...jobs.slice(0, 2), ghost, ...jobs.slice(2)].map((j) => batcher.add(j)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(((settled[2] as PromiseRejectedResult).reason as { code?: string }).code).toBe('23503');
    expect(stats.ordersWritten).toBe(4);
    expect(await count(env, 'orders WHERE deal_id = $1', [deal.dealId])).toBe(4);
    expect(await count(env, "stock_ledger WHERE deal_id = $1 AND reason = 'hold'", [deal.dealId])).toBe(4);
    expect(await count(env, 'orders WHERE hold_id = $1', [ghost.hold])).toBe(0);
    expect(await count(env, 'stock_ledger WHERE hold_id = $1', [ghost.hold])).toBe(0);

    // the same batch again (a retried job): nothing new, nothing reported as inserted
    const again = await inTransaction(env.pool, (c) => insertOrders(c, jobs));
    expect(again).toEqual([]);
    expect(await count(env, 'orders WHERE deal_id = $1', [deal.dealId])).toBe(4);
    expect(await count(env, 'stock_ledger WHERE deal_id = $1', [deal.dealId])).toBe(4);
  });

  it('a deal with orders cannot be deleted or renumbered; one without can', async () => {
    const sold = await createDeal(env, stock, { stock: 5, limit: 1, holdSeconds: 300 });
    const jobs = await grabHolds(stock, sold, 1, 1, 'keep');
    await inTransaction(env.pool, (c) => insertOrders(c, jobs));
    await expect(env.pool.query('DELETE FROM deals WHERE id = $1', [sold.dealId])).rejects.toMatchObject({ code: '23503' });
    await expect(env.pool.query('UPDATE deals SET id = id + 1000000 WHERE id = $1', [sold.dealId])).rejects.toMatchObject({ code: '23503' });
    await env.pool.query("UPDATE deals SET title = 'Earbuds Pro' WHERE id = $1", [sold.dealId]); // other columns: as before
    expect(await count(env, 'deals WHERE id = $1', [sold.dealId])).toBe(1);

    const unsold = await createDeal(env, stock, { stock: 5, limit: 1, holdSeconds: 300 });
    await env.pool.query('DELETE FROM deals WHERE id = $1', [unsold.dealId]);
    expect(await count(env, 'deals WHERE id = $1', [unsold.dealId])).toBe(0);
  });

  it('a delete racing an uncommitted order batch waits for it, then is refused', async () => {
    const deal = await createDeal(env, stock, { stock: 5, limit: 1, holdSeconds: 300 });
    const jobs = await grabHolds(stock, deal, 2, 1, 'race');
    const writer = await env.pool.connect();
    try {
      await writer.query('BEGIN');
      await insertOrders(writer, jobs); // holds the deal FOR KEY SHARE until commit
      let settled = false;
      const del = env.pool.query('DELETE FROM deals WHERE id = $1', [deal.dealId]).finally(() => { settled = true; });
      del.catch(() => {}); // observed below
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false); // blocked on the batch's lock
      await writer.query('COMMIT');
      await expect(del).rejects.toMatchObject({ code: '23503' });
    } finally {
      writer.release();
    }
    expect(await count(env, 'orders WHERE deal_id = $1', [deal.dealId])).toBe(2);
    expect(await count(env, 'deals WHERE id = $1', [deal.dealId])).toBe(1);
  });
});
