// Orders and the stock ledger carry no per-row foreign key to deals (migration 003); what the
// FK guaranteed still holds: an order for a deal missing from Postgres fails alone (23503, as
// the FK did) while its batch neighbours are written, and a deal with orders cannot be deleted.
// The order worker's write (db/orders-repo.ts insertFreshOrders) is one statement per batch, a
// plain insert first and ON CONFLICT only when some hold is already written, its own commit not
// waiting for the WAL flush. What must not change: every order row with exactly one 'hold'
// ledger row, a re-run writes nothing twice and reports nothing as new, a missing deal writes
// nothing, and nobody else's transaction or session loses its durable commit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmission } from '../../src/admission/index.ts';
import { newStats } from '../../src/admission/deps.ts';
import { createOrderBatcher } from '../../src/admission/order-worker.ts';
import type { Admission } from '../../src/admission/queues.ts';
import { countOrdersByHold, inTransaction, insertFreshOrders, insertOrders, ledgerBalance, numberArray, orderTotals, textArray } from '../../src/db/orders-repo.ts';
import { createLogger } from '../../src/logger.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { count, createDeal, grabHolds } from './helpers.ts';

describe('order integrity without per-row foreign keys; the order worker\'s write', () => {
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

  const ledgerHolds = (dealId: string) => count(env, "stock_ledger WHERE deal_id = $1 AND reason = 'hold'", [dealId]);

  it('fresh holds: one order and one hold row each, all reported as inserted', async () => {
    const deal = await createDeal(env, stock, { stock: 50, limit: 1, holdSeconds: 300 });
    const jobs = await grabHolds(stock, deal, 40, 1, 'fresh');
    expect((await insertFreshOrders(env.pool, jobs)).sort()).toEqual(jobs.map((j) => j.hold).sort());
    expect(await count(env, "orders WHERE deal_id = $1 AND status = 'pending'", [deal.dealId])).toBe(40);
    expect(await ledgerHolds(deal.dealId)).toBe(40);
    const { rows: [row] } = await env.pool.query<{ shopper_id: string; qty: number; unit_price_minor: number; currency: string; held_at: Date; expires_at: Date }>(
      'SELECT shopper_id, qty, unit_price_minor, currency, held_at, expires_at FROM orders WHERE hold_id = $1', [jobs[0]!.hold]);
    expect(row).toEqual({
      shopper_id: jobs[0]!.shopper, qty: 1, unit_price_minor: deal.unitPriceMinor, currency: deal.currency,
      held_at: new Date(jobs[0]!.heldAt), expires_at: new Date(jobs[0]!.expiresAt),
    });
  });

  it('a batch with holds already written (a re-run, an expiry first) writes only the others, once', async () => {
    const deal = await createDeal(env, stock, { stock: 50, limit: 1, holdSeconds: 300 });
    const jobs = await grabHolds(stock, deal, 10, 1, 'rerun');
    await inTransaction(env.pool, (c) => insertOrders(c, jobs.slice(0, 3))); // an earlier run
    await inTransaction(env.pool, (c) => insertOrders(c, jobs.slice(3, 4), 'cancelled')); // an expiry came first

    const inserted = await insertFreshOrders(env.pool, jobs);
    expect(inserted.sort()).toEqual(jobs.slice(4).map((j) => j.hold).sort());
    expect(await count(env, 'orders WHERE deal_id = $1', [deal.dealId])).toBe(10);
    expect(await count(env, "orders WHERE hold_id = $1 AND status = 'cancelled'", [jobs[3]!.hold])).toBe(1);
    expect(await ledgerHolds(deal.dealId)).toBe(10);
    // and the whole batch again: nothing new
    expect(await insertFreshOrders(env.pool, jobs)).toEqual([]);
    expect(await count(env, 'orders WHERE deal_id = $1', [deal.dealId])).toBe(10);
    expect(await count(env, 'stock_ledger WHERE deal_id = $1', [deal.dealId])).toBe(10);
  });

  it('a batch with a deal missing from Postgres writes nothing and fails with 23503 naming it', async () => {
    const deal = await createDeal(env, stock, { stock: 5, limit: 1, holdSeconds: 300 });
    const jobs = await grabHolds(stock, deal, 2, 1, 'ghost');
    const ghost = { ...jobs[0]!, hold: '987654322-1', dealId: '987654322' };
    for (const write of [() => insertFreshOrders(env.pool, [...jobs, ghost]), () => inTransaction(env.pool, (c) => insertOrders(c, [...jobs, ghost]))]) {
      await expect(write()).rejects.toMatchObject({ code: '23503', message: 'no deal 987654322 in Postgres' });
      expect(await count(env, 'orders WHERE deal_id = $1', [deal.dealId])).toBe(0);
      expect(await count(env, 'stock_ledger WHERE deal_id = $1', [deal.dealId])).toBe(0);
    }
    // one deal spelt two ways is one deal, not a missing one
    expect(await insertFreshOrders(env.pool, [jobs[0]!, { ...jobs[1]!, dealId: `0${deal.dealId}` }])).toHaveLength(2);
  });

  it("the write's commit skips the WAL flush for its own transaction only", async () => {
    const deal = await createDeal(env, stock, { stock: 5, limit: 1, holdSeconds: 300 });
    const jobs = await grabHolds(stock, deal, 2, 1, 'durable');
    const client = await env.pool.connect();
    try {
      await insertFreshOrders(client, jobs.slice(0, 1));
      // the same connection afterwards (a payment's transaction, say) commits durably again
      expect((await client.query('SHOW synchronous_commit')).rows[0]).toEqual({ synchronous_commit: 'on' });
      // inside a caller's transaction insertOrders leaves the setting alone
      await client.query('BEGIN');
      await insertOrders(client, jobs.slice(1));
      expect((await client.query('SHOW synchronous_commit')).rows[0]).toEqual({ synchronous_commit: 'on' });
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await count(env, 'orders WHERE deal_id = $1', [deal.dealId])).toBe(2);
  });

  it('array literals: ids pass as they are, quotes and backslashes escaped, non-numbers refused', async () => {
    expect(textArray([])).toBe('{}');
    expect(textArray(['7-1', 'a_b'])).toBe('{"7-1","a_b"}');
    const odd = ['say "hi"', 'back\\slash', 'NULL', 'comma, {brace}', ''];
    const { rows: [r] } = await env.pool.query<{ a: string[] }>('SELECT $1::text[] AS a', [textArray(odd)]);
    expect(r!.a).toEqual(odd);
    expect(numberArray([1, 2.5, -3])).toBe('{1,2.5,-3}');
    expect(() => numberArray([1, Number.NaN])).toThrow(/finite/);
  });
  it("a deal's rows are its hold ids' key range (no deal index): exact beside a deal whose id extends its own, and kept so", async () => {
    const deal = await createDeal(env, stock, { stock: 5, limit: 1, holdSeconds: 300 });
    // a second deal whose id starts with the first one's digits: 7 and 71, say
    const neighbour = `${deal.dealId}1`;
    await env.pool.query(
      `INSERT INTO deals (id, festival_id, brand_id, title, list_price_minor, deal_price_minor, currency, stock, per_shopper_limit,
                          hold_seconds, starts_at, ends_at, state)
       SELECT $2, festival_id, brand_id, title, list_price_minor, deal_price_minor, currency, stock, per_shopper_limit,
              hold_seconds, starts_at, ends_at, state FROM deals WHERE id = $1`, [deal.dealId, neighbour]);
    const jobs = await grabHolds(stock, deal, 3, 1, 'range');
    const row = (hold: string, dealId: string) => ({ ...jobs[0]!, hold, dealId });
    await insertFreshOrders(env.pool, jobs);
    await insertFreshOrders(env.pool, [row(`${neighbour}-1`, neighbour), row(`${neighbour}-2`, neighbour)]);
    await insertOrders(env.pool, [row(`${neighbour}-3`, neighbour)], 'cancelled');

    expect(await countOrdersByHold(env.pool, deal.dealId)).toBe(3);
    expect(await countOrdersByHold(env.pool, neighbour)).toBe(3);
    expect(await orderTotals(env.pool, neighbour)).toEqual({ pending: 2, paid: 0, cancelled: 1 });
    const balance = await ledgerBalance(env.pool, deal.dealId);
    expect({ orders: balance.orders, holdUnits: balance.holdUnits, problems: balance.problems }).toEqual({ orders: 3, holdUnits: 3, problems: [] });
    // a row whose hold id is not its deal's would sit outside every range: refused
    await expect(insertOrders(env.pool, [row(`${neighbour}-9`, deal.dealId)])).rejects.toMatchObject({ code: '23514' });
    await expect(env.pool.query("INSERT INTO stock_moves (deal_id, hold_id, reason, qty) VALUES ($1, $2, 'release', 1)", [deal.dealId, 'h-1']))
      .rejects.toMatchObject({ code: '23514' });
    // the neighbour's rows keep it from deletion; they do not keep the first deal once its own go
    await expect(env.pool.query('DELETE FROM deals WHERE id = $1', [neighbour])).rejects.toMatchObject({ code: '23503' });
    await env.pool.query('DELETE FROM stock_moves WHERE hold_id = ANY($1)', [jobs.map((j) => j.hold)]);
    await env.pool.query('DELETE FROM orders WHERE hold_id = ANY($1)', [jobs.map((j) => j.hold)]);
    await env.pool.query('DELETE FROM deals WHERE id = $1', [deal.dealId]);
  });
});
