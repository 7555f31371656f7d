// Reconcile settles orders whose hold Redis lost. A failover to a replica that had not received
// the master's last writes is played here exactly: the deal's keys are DUMPed (what the replica
// had), more grabs are made and their orders written, then the keys are RESTOREd (the replica
// promoted). Runs on a single Redis and on the cluster alike; cluster/failover.test.ts does the
// same with a real kill -9.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { createLogger } from '../../src/logger.ts';
import { redisNow } from '../../src/redis.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { createQueues, type AdmissionQueues } from '../../src/admission/queues.ts';
import { reconcile } from '../../src/scheduler/reconcile.ts';
import { inTransaction, insertLedger, insertOrders } from '../../src/db/orders-repo.ts';
import type { ShopperNews } from '../../src/live/shopper-news.ts';
import { NewsTap } from '../helpers/news-tap.ts';
import { insertDeal } from '../scheduler/fixtures.ts';

describe('reconcile: orders whose hold Redis lost', () => {
  let env: TestEnv;
  let stock: StockStore;
  let queues: AdmissionQueues;
  let tap: NewsTap;
  const news: ShopperNews[] = [];
  const logger = createLogger(process.env.SCHED_TEST_LOG ?? 'silent');
  const run = () => reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger, queues, admitGraceMs: 60_000 });

  beforeAll(async () => {
    env = await createTestEnv();
    stock = new StockStore(env.redis, env.config.keyPrefix);
    queues = createQueues(env.config, env.redis);
    // the shoppers this file's deals use
    tap = await NewsTap.open(env, (n) => news.push(n));
    await tap.watch(['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8']);
  });
  afterAll(async () => {
    await tap.close();
    await queues.close();
    await env.cleanup();
  });

  async function openDeal(units: number, limit: number) {
    const now = await redisNow(env.redis);
    const { dealId, festivalId } = await insertDeal(env.pool, { startsAt: now - 1_000, endsAt: now + 600_000, stock: units, limit });
    await stock.warmDeal({
      id: dealId, festivalId, stock: units, limit, holdSeconds: 60, startsAt: now - 1_000,
      endsAt: now + 600_000, unitPriceMinor: 99_900, currency: 'PKR', status: 'open',
    });
    return dealId;
  }

  /** Grabs one hold and writes its order, as the gateway and the order worker would. */
  async function holdWithOrder(dealId: string, shopper: string, qty: number, status: 'pending' | 'paid' = 'pending') {
    const g = await stock.grabBatch(dealId, [{ shopper, qty, rid: `${shopper}-r` }]);
    const d = g.decisions[0]!;
    if (!d.ok) throw new Error(`grab refused: ${d.code}`);
    if (status === 'paid') expect(await stock.confirmPayment(d.hold, shopper)).toMatchObject({ ok: true });
    await inTransaction(env.pool, async (c) => {
      await insertOrders(c, [{ hold: d.hold, dealId, shopper, qty, unitPriceMinor: 99_900, currency: 'PKR', heldAt: g.now, expiresAt: d.expiresAt }], status);
      if (status === 'paid') await insertLedger(c, 'sale', [{ hold: d.hold, dealId, qty }]);
    });
    return d.hold;
  }

  /** The deal's keys as they are now; calling the result puts them back (a replica promoted). */
  async function replicaOf(dealId: string): Promise<() => Promise<void>> {
    const keys = Object.values(stock.keys(dealId));
    const dumps = await Promise.all(keys.map((k) => env.redis.dumpBuffer(k)));
    return async () => {
      for (const [i, key] of keys.entries()) {
        const dump = dumps[i];
        if (dump) await env.redis.restore(key, 0, dump, 'REPLACE');
        else await env.redis.del(key);
      }
    };
  }

  async function orderStatus(hold: string) {
    const { rows } = await env.pool.query<{ status: string }>('SELECT status FROM orders WHERE hold_id = $1', [hold]);
    return rows[0]?.status;
  }

  it('puts back the holds the deal can still give, cancels the rest and tells their shoppers; nothing oversold, books balanced', async () => {
    const dealId = await openDeal(5, 2);
    const kept = await holdWithOrder(dealId, 's1', 1);
    const promote = await replicaOf(dealId);
    const pending = await holdWithOrder(dealId, 's2', 2);
    const overdue = await holdWithOrder(dealId, 's3', 1);
    const paid = await holdWithOrder(dealId, 's4', 1, 'paid');
    await promote();
    // s3's hold would have expired by now: it is not put back
    await env.pool.query(`UPDATE orders SET expires_at = now() - interval '1 second' WHERE hold_id = $1`, [overdue]);
    expect(await stock.readHold(pending)).toBeNull();

    const report = await run();
    expect(report.lostHolds).toEqual({ found: 3, restored: 1, restoredPaid: 1, cancelled: 1, unsettled: 0 });
    expect(await stock.readHold(pending)).toMatchObject({ shopper: 's2', qty: 2, state: 'held' });
    expect(await stock.readHold(paid)).toMatchObject({ shopper: 's4', qty: 1, state: 'paid' });
    expect(await stock.readHold(overdue)).toMatchObject({ shopper: 's3', state: 'expired' });
    expect(await stock.readDeal(dealId)).toMatchObject({ stock: 5, available: 1, held: 3, sold: 1 });
    expect([await orderStatus(kept), await orderStatus(pending), await orderStatus(overdue), await orderStatus(paid)])
      .toEqual(['pending', 'pending', 'cancelled', 'paid']);
    await waitFor(() => news.some((n) => n.shopper === 's3'), "s3's news");
    expect(news.filter((n) => n.shopper === 's3')).toEqual([
      { shopper: 's3', msg: { t: 'order', hold: overdue, deal: dealId, qty: 1, status: 'cancelled' } }]);

    // a second run finds every order matching Redis: counters, per-shopper counts and ledger
    const again = await run();
    expect(again.details).toEqual([]);
    expect(again.lostHolds.found).toBe(0);
    expect(again.perDeal[0]).toMatchObject({ stock: 5, available: 1, held: 3, sold: 1, ledgerHold: 5, ledgerSale: 1, ledgerRelease: 1 });
    // the lost holds' ids are never issued again
    const next = await stock.grabBatch(dealId, [{ shopper: 's5', qty: 1, rid: 'x' }]);
    expect(next.decisions[0]).toMatchObject({ ok: true, hold: `${dealId}-5` });
  });

  it('does not put back a hold the deal can no longer give: the shopper is at the limit, or no unit is left', async () => {
    const dealId = await openDeal(2, 1);
    const promote = await replicaOf(dealId);
    const lost = await holdWithOrder(dealId, 's1', 1);
    const lostToo = await holdWithOrder(dealId, 's2', 1);
    await promote();
    // meanwhile, under ids the lost holds did not have: s1 again, and the last unit
    await env.redis.hset(stock.keys(dealId).deal, 'seq', 10);
    expect((await stock.grabBatch(dealId, [{ shopper: 's1', qty: 1, rid: 'again' }, { shopper: 's3', qty: 1, rid: 'c' }])).decisions
      .every((d) => d.ok)).toBe(true);

    const report = await run();
    expect(report.lostHolds).toMatchObject({ found: 2, restored: 0, cancelled: 2 });
    expect(await stock.readDeal(dealId)).toMatchObject({ stock: 2, available: 0, held: 2, sold: 0 });
    expect([await orderStatus(lost), await orderStatus(lostToo)]).toEqual(['cancelled', 'cancelled']);
    expect((await run()).details).toEqual([]);
  });

  it('re-creates a deal whose hash Redis lost; cancels only the pending orders its stock cannot take', async () => {
    const dealId = await openDeal(3, 2);
    const hold = await holdWithOrder(dealId, 's1', 2);
    // an order Postgres has beyond the stock (a unit sold twice before the loss), the newest
    const extra = `${dealId}-7`;
    const now = await redisNow(env.redis);
    await insertOrders(env.pool, [{ hold: extra, dealId, shopper: 's6', qty: 2, unitPriceMinor: 99_900, currency: 'PKR', heldAt: now, expiresAt: now + 60_000 }]);
    await Promise.all(Object.values(stock.keys(dealId)).map((k) => env.redis.del(k)));

    const report = await run();
    expect(report.lostDeals).toMatchObject({ found: 1, restoredBuckets: 1, restoredHolds: 1, cancelled: 1 });
    expect(report.lostHolds).toMatchObject({ found: 0, cancelled: 0 });
    expect(await stock.readHold(hold)).toMatchObject({ shopper: 's1', qty: 2, state: 'held' });
    expect(await stock.readDeal(dealId)).toMatchObject({ stock: 3, held: 2, sold: 0, available: 1 });
    expect([await orderStatus(hold), await orderStatus(extra)]).toEqual(['pending', 'cancelled']);
    await waitFor(() => news.some((n) => n.shopper === 's6' && n.msg.t === 'order'), "s6's news");
    const { rows } = await env.pool.query<{ reason: string }>('SELECT reason FROM stock_ledger WHERE hold_id = $1 ORDER BY reason', [extra]);
    expect(rows.map((r) => r.reason)).toEqual(['hold', 'release']);
  });

  it('reports a lost hold whose id a later grab was given (the hazard GRAB_WAIT_REPLICAS removes)', async () => {
    const dealId = await openDeal(3, 2);
    const promote = await replicaOf(dealId);
    const lost = await holdWithOrder(dealId, 's1', 1);
    await promote();
    const again = await stock.grabBatch(dealId, [{ shopper: 's2', qty: 1, rid: 'b' }]);
    expect(again.decisions[0]).toMatchObject({ ok: true, hold: lost });

    const report = await run();
    expect(report.details.filter((v) => v.dealId === dealId)).toEqual([
      { dealId, kind: 'hold_id_reused', detail: `hold ${lost} is s2's in Redis, its order s1's` }]);
  });
});
