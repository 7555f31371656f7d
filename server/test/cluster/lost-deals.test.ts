// A deal whose hash (or one stock bucket's hash) Redis lost mid-sale: a failover to a replica
// that never had it, or a flush, played here by deleting the keys. The scheduler's warm path
// must not hand the stock out again beside the orders Postgres has, and reconcile re-creates the
// lost buckets from Postgres. Runs on a single Redis and on the cluster alike (buckets on
// different masters there).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { createLogger } from '../../src/logger.ts';
import { createRedis, redisNow, type RedisClient } from '../../src/redis.ts';
import { StockStore, type WarmDealInput } from '../../src/stock/stock-store.ts';
import { createQueues, type AdmissionQueues } from '../../src/admission/queues.ts';
import { expireHoldNow } from '../../src/admission/expiry/index.ts';
import { newStats } from '../../src/admission/deps.ts';
import { reconcile } from '../../src/scheduler/reconcile.ts';
import { startScheduler } from '../../src/scheduler/scheduler.ts';
import { inTransaction, insertLedger, insertOrders, markOrderPaid, type OrderRow } from '../../src/db/orders-repo.ts';
import { RESTORE_SEQ_GAP } from '../../src/stock/deal-restore.ts';
import { warmDealsKey } from '../../src/stock/keys.ts';
import { insertDeal, dealRow } from '../scheduler/fixtures.ts';

const PRICE = 99_900;

describe('a deal whose hash Redis lost', () => {
  let env: TestEnv;
  let stock: StockStore;
  let queues: AdmissionQueues;
  const logger = createLogger(process.env.SCHED_TEST_LOG ?? 'silent');
  const run = () => reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger, queues, admitGraceMs: 60_000 });

  beforeAll(async () => {
    env = await createTestEnv({ RECONCILE_INTERVAL_MS: '600000', LOCK_TTL_MS: '1000' });
    stock = new StockStore(env.redis, env.config.keyPrefix);
    queues = createQueues(env.config, env.redis);
  });
  afterAll(async () => {
    await queues.close();
    await env.cleanup();
  });

  /** A deal open by Redis time, in Postgres in `state`. */
  async function openDeal(units: number, limit: number,
    opts: { state?: string; buckets?: number; holdSeconds?: number; openMs?: number } = {}) {
    const now = await redisNow(env.redis);
    const holdSeconds = opts.holdSeconds ?? 60;
    const startsAt = now - 1_000;
    const endsAt = now + (opts.openMs ?? 600_000);
    const { dealId, festivalId } = await insertDeal(env.pool, { startsAt, endsAt, stock: units, limit, holdSeconds });
    await env.pool.query('UPDATE deals SET state = $2, stock_buckets = $3 WHERE id = $1', [dealId, opts.state ?? 'live', opts.buckets ?? null]);
    const input: WarmDealInput = {
      id: dealId, festivalId, stock: units, limit, holdSeconds, startsAt, endsAt,
      unitPriceMinor: PRICE, currency: 'PKR', status: 'open', buckets: opts.buckets ?? null,
    };
    expect(await stock.warmDeal(input)).toBe('created');
    return dealId;
  }

  /** Grabs for these shoppers, and the order rows of the holds, as the gateway and the order
   *  worker would write them. Returns the holds. */
  async function storm(dealId: string, shoppers: readonly string[], qty: number, tag = 'r') {
    const g = await stock.grabBatch(dealId, shoppers.map((s) => ({ shopper: s, qty, rid: `${s}-${tag}` })));
    const rows: OrderRow[] = [];
    g.decisions.forEach((d, i) => {
      if (d.ok && !d.repeat) {
        rows.push({ hold: d.hold, dealId, shopper: shoppers[i]!, qty: d.qty, unitPriceMinor: PRICE, currency: 'PKR', heldAt: g.now, expiresAt: d.expiresAt });
      }
    });
    await insertOrders(env.pool, rows);
    return { decisions: g.decisions, rows };
  }

  async function pay(row: OrderRow) {
    expect(await stock.confirmPayment(row.hold, row.shopper)).toMatchObject({ ok: true });
    await inTransaction(env.pool, async (c) => {
      expect(await markOrderPaid(c, row, Date.now())).toBe('paid');
      await insertLedger(c, 'sale', [{ hold: row.hold, dealId: row.dealId, qty: row.qty }]);
    });
  }

  /** Units Postgres records as held (pending) and sold (paid). */
  async function recorded(dealId: string) {
    const { rows } = await env.pool.query<{ status: string; units: number }>(
      `SELECT status, sum(qty)::int AS units FROM orders WHERE deal_id = $1 GROUP BY status`, [dealId]);
    const by = Object.fromEntries(rows.map((r) => [r.status, r.units]));
    return { held: by.pending ?? 0, sold: by.paid ?? 0, cancelled: by.cancelled ?? 0 };
  }

  /** Every key of the deal's bucket(s) gone, as after a failover to a replica that never had them. */
  async function lose(dealId: string, buckets: readonly number[], of = 1, warmSetToo = false) {
    for (const b of buckets) {
      for (const key of Object.values(stock.bucketKeys(dealId, b, of))) await env.redis.del(key);
    }
    if (warmSetToo) await env.redis.srem(warmDealsKey(env.config.keyPrefix), dealId);
  }

  async function maxSeq(dealId: string) {
    const { rows } = await env.pool.query<{ m: string }>(
      `SELECT max(substr(hold_id, length($1::bigint::text) + 2)::bigint)::text AS m FROM orders WHERE deal_id = $1::bigint`, [dealId]);
    return Number(rows[0]!.m);
  }

  it('the scheduler opening a deal whose hash is gone does not sell its held and sold units again', async () => {
    // Redis opened the deal by its clock while Postgres still says warming; the grabs sold it out
    const dealId = await openDeal(10, 2, { state: 'warming' });
    const first = await storm(dealId, ['a1', 'a2', 'a3', 'a4', 'a5'], 2);
    expect(first.rows).toHaveLength(5);
    await pay(first.rows[0]!);
    await pay(first.rows[1]!);
    await lose(dealId, [0]);

    const redis: RedisClient = createRedis(env.config);
    const scheduler = await startScheduler({ config: env.config, redis, pool: env.pool, logger, nodeId: 'lost-a' });
    try {
      await waitFor(async () => (await dealRow(env.pool, dealId)).state === 'live', 'the deal opened', 10_000);
    } finally {
      await scheduler.close();
      redis.disconnect();
    }
    // another storm: nothing left to give. Re-warmed at full stock, the deal gave 10 units
    // again, under the hold ids of the first storm (whose orders then hide the new ones)
    const before = await recorded(dealId);
    expect(before.held + before.sold).toBe(10);
    const second = await storm(dealId, ['b1', 'b2', 'b3', 'b4', 'b5'], 2);
    const granted = second.decisions.reduce((n, d) => n + (d.ok ? d.qty : 0), 0);
    expect(before.held + before.sold + granted).toBeLessThanOrEqual(10);
    const pg = await recorded(dealId);
    expect(pg.held + pg.sold).toBeLessThanOrEqual(10);
    expect(second.decisions.every((d) => !d.ok && d.code === 'sold_out')).toBe(true);
    expect(await stock.readDeal(dealId)).toMatchObject({ stock: 10, sold: 4, held: 6, available: 0 });
    // the restored holds are payable
    await pay(first.rows[2]!);
    expect(await stock.readDeal(dealId)).toMatchObject({ sold: 6, held: 4, available: 0 });
  });

  it('reconcile re-creates a lost deal (and its warm-set entry) from Postgres: counters, holds, limit, seq, expiry', async () => {
    const dealId = await openDeal(10, 2, { holdSeconds: 5 });
    const sale = await storm(dealId, ['c1', 'c2', 'c3'], 2);
    const single = await storm(dealId, ['c4'], 1);
    await pay(sale.rows[0]!);
    const lastBefore = await maxSeq(dealId);
    await lose(dealId, [0], 1, true);
    expect(await stock.hasDeal(dealId)).toBe(false);

    // two runs at once: one restores, the other waits its turn or finds it done
    const [r1, r2] = await Promise.all([run(), run()]);
    expect(await stock.readDeal(dealId)).toMatchObject({ stock: 10, sold: 2, held: 5, available: 3 });
    expect(r1.lostDeals.restoredBuckets + r2.lostDeals.restoredBuckets).toBe(1);
    const report = r1.lostDeals.restoredBuckets ? r1 : r2;
    expect(report.lostDeals).toMatchObject({ found: 1, unlisted: 1, restoredBuckets: 1, restoredHolds: 4, cancelled: 0 });
    expect(report.lostHolds).toMatchObject({ found: 0, cancelled: 0 });
    expect(await stock.warmDealIds()).toContain(dealId);
    expect(await stock.readDeal(dealId)).toMatchObject({ stock: 10, sold: 2, held: 5, available: 3 });
    expect(await recorded(dealId)).toEqual({ held: 5, sold: 2, cancelled: 0 });

    // limit exact: c1..c3 have 2 each
    const limited = await stock.grabBatch(dealId, [{ shopper: 'c2', qty: 1, rid: 'more' }]);
    expect(limited.decisions[0]).toEqual({ ok: false, code: 'limit_reached' });
    // a pending hold is payable
    await pay(sale.rows[1]!);
    // one expires at its own time and its units come back
    const expiring = single.rows[0]!;
    await waitFor(async () => (await redisNow(env.redis)) >= expiring.expiresAt, 'the hold due', 8_000);
    const expireDeps = { config: env.config, redis: env.redis, pool: env.pool, stock, stats: newStats() };
    expect(await expireHoldNow(expireDeps, expiring.hold)).toMatchObject({ released: true });
    expect(await stock.readDeal(dealId)).toMatchObject({ sold: 4, held: 2, available: 4 });

    // a further storm sells exactly the rest, under hold ids never given before
    const rest = await storm(dealId, ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'], 1);
    expect(rest.rows).toHaveLength(4);
    for (const r of rest.rows) expect(Number(r.hold.split('-')[1])).toBeGreaterThan(lastBefore + RESTORE_SEQ_GAP);
    const pg = await recorded(dealId);
    expect(pg.held + pg.sold).toBe(10);
    expect(await stock.readDeal(dealId)).toMatchObject({ stock: 10, available: 0 });

    const clean = await run();
    expect(clean.details.filter((v) => v.dealId === dealId)).toEqual([]);
    expect(clean.lostDeals.found).toBe(0);
    expect(clean.perDeal.find((p) => p.dealId === dealId)).toMatchObject({ stock: 10, sold: 4, held: 6, available: 0 });
  });

  // bucket 0 carries the deal's config and its number of buckets: lost, the others cannot be
  // named from Redis (the hold ids in Postgres say it)
  it.each([1, 0])('reconcile re-creates lost stock bucket %i beside the others; the deal then sells exactly its stock', async (bucket) => {
    const dealId = await openDeal(30, 2, { buckets: 3 });
    const shoppers = Array.from({ length: 9 }, (_, i) => `e${i}`);
    const first = await storm(dealId, shoppers, 1);
    expect(first.rows).toHaveLength(9);
    await pay(first.rows[0]!);
    await pay(first.rows[4]!);
    const beforeLoss = await stock.readBucket(dealId, bucket, 3);
    expect(beforeLoss!.held + beforeLoss!.sold).toBeGreaterThan(0);
    await lose(dealId, [bucket], 3);
    expect(await stock.readBucket(dealId, bucket, 3)).toBeNull();

    const report = await run();
    expect(report.lostDeals).toMatchObject({ found: 1, unlisted: 0, restoredBuckets: 1, cancelled: 0 });
    expect(report.lostHolds).toMatchObject({ found: 0, cancelled: 0 });
    expect(await stock.readBucket(dealId, bucket, 3)).toMatchObject({
      held: beforeLoss!.held, sold: beforeLoss!.sold, stock: beforeLoss!.stock, available: beforeLoss!.available,
    });
    expect(await stock.readDeal(dealId)).toMatchObject({ stock: 30, sold: 2, held: 7, available: 21 });

    // everyone again: the first shoppers past the limit; then exactly the rest is sold
    const again = await storm(dealId, shoppers, 2, 'again');
    expect(again.decisions.every((d) => !d.ok && d.code === 'limit_reached')).toBe(true);
    const more = Array.from({ length: 30 }, (_, i) => `f${i}`);
    const second = await storm(dealId, more, 1);
    expect(second.rows).toHaveLength(21);
    const pg = await recorded(dealId);
    expect(pg.held + pg.sold).toBe(30);
    expect(await stock.readDeal(dealId)).toMatchObject({ stock: 30, available: 0, held: 28, sold: 2 });
    const holds = (await stock.listHolds(dealId)).map((h) => h.hold);
    expect(new Set(holds).size).toBe(holds.length);

    const clean = await run();
    expect(clean.details.filter((v) => v.dealId === dealId)).toEqual([]);
    expect(clean.lostDeals.found).toBe(0);
  });

  it('a bucket lost while stock moves into it were open: those units are credited once, by recovery', async () => {
    const dealId = await openDeal(30, 2, { buckets: 3 });
    const first = await storm(dealId, Array.from({ length: 9 }, (_, i) => `g${i}`), 1);
    expect(first.rows).toHaveLength(9);
    // into bucket 1: a move taken and never credited, and one credited and never closed
    expect((await stock.moves.take(dealId, 3, 2, 1, 'open-move', 2)).taken).toBeGreaterThan(0);
    expect((await stock.moves.take(dealId, 3, 0, 1, 'credited-move', 2)).taken).toBeGreaterThan(0);
    const credited = (await stock.openMoves(dealId)).find((m) => m.moveId === 'credited-move')!;
    expect(await stock.moves.credit(dealId, 3, 1, 'credited-move', 0, credited.units, 0)).toBe(1);
    await lose(dealId, [1], 3);

    const report = await run();
    expect(report.lostDeals).toMatchObject({ found: 1, restoredBuckets: 1, cancelled: 0 });
    expect(report.movesFinished).toBe(2);
    expect(report.details.filter((v) => v.dealId === dealId)).toEqual([]);
    expect(await stock.readDeal(dealId)).toMatchObject({ stock: 30, held: 9, available: 21, moving: 0 });
    const shares = await Promise.all([0, 1, 2].map((b) => stock.readBucket(dealId, b, 3)));
    expect(shares.reduce((n, b) => n + b!.stock, 0)).toBe(30);

    const second = await storm(dealId, Array.from({ length: 30 }, (_, i) => `h${i}`), 1);
    expect(second.rows).toHaveLength(21);
    const pg = await recorded(dealId);
    expect(pg.held + pg.sold).toBe(30);
    expect((await run()).details.filter((v) => v.dealId === dealId)).toEqual([]);
  });

  it('grabs and a payment racing the restore: unknown until the deal is back, then never more than the stock', async () => {
    const dealId = await openDeal(40, 1);
    const first = await storm(dealId, Array.from({ length: 20 }, (_, i) => `k${i}`), 1);
    await lose(dealId, [0]);
    const pause = () => new Promise((r) => setTimeout(r, 5));
    let unknown = 0;
    const grabbing = (async () => {
      let todo = Array.from({ length: 60 }, (_, i) => `m${i}`);
      while (todo.length) {
        const g = await storm(dealId, todo, 1);
        todo = todo.filter((_, i) => { const d = g.decisions[i]!; return !d.ok && d.code === 'unknown_deal'; });
        unknown += todo.length;
        await pause();
      }
    })();
    const paid = first.rows[0]!;
    const paying = (async () => {
      for (;;) {
        const r = await stock.confirmPayment(paid.hold, paid.shopper);
        if (r.ok) return;
        expect(r).toEqual({ ok: false, code: 'unknown_hold' });
        await pause();
      }
    })();
    await pause();
    const report = await run();
    await Promise.all([grabbing, paying]);
    await inTransaction(env.pool, async (c) => {
      expect(await markOrderPaid(c, paid, Date.now())).toBe('paid');
      await insertLedger(c, 'sale', [{ hold: paid.hold, dealId, qty: 1 }]);
    });
    expect(unknown).toBeGreaterThan(0);
    expect(report.lostDeals).toMatchObject({ found: 1, restoredBuckets: 1, restoredHolds: 20 });
    const pg = await recorded(dealId);
    expect(pg).toEqual({ held: 39, sold: 1, cancelled: 0 });
    expect(await stock.readDeal(dealId)).toMatchObject({ stock: 40, available: 0, held: 39, sold: 1 });
    expect((await run()).details.filter((v) => v.dealId === dealId)).toEqual([]);
  });

  it('a bucket lost twice, its holds since the first restore not yet in Postgres: no hold id is given again', async () => {
    const dealId = await openDeal(20, 2);
    await storm(dealId, ['n1', 'n2'], 1);
    await lose(dealId, [0]);
    expect((await run()).lostDeals.restoredBuckets).toBe(1);
    // holds whose orders are still in the admission queue when the bucket is lost again
    const unwritten = await stock.grabBatch(dealId, ['p1', 'p2', 'p3'].map((s) => ({ shopper: s, qty: 1, rid: 'r' })));
    const given = unwritten.decisions.map((d) => (d.ok ? d.hold : ''));
    expect(given.every(Boolean)).toBe(true);
    await lose(dealId, [0]);
    expect((await run()).lostDeals.restoredBuckets).toBe(1);
    const after = await stock.grabBatch(dealId, ['q1', 'q2', 'q3'].map((s) => ({ shopper: s, qty: 1, rid: 'r' })));
    for (const d of after.decisions) {
      expect(d.ok).toBe(true);
      if (d.ok) expect(given).not.toContain(d.hold);
    }
  });

  it('an ended deal whose holds can still be paid, lost with its warm-set entry: found by Postgres, restored, payable', async () => {
    const dealId = await openDeal(5, 2, { openMs: 1_000 });
    const { rows } = await storm(dealId, ['t1', 't2'], 2);
    await pay(rows[0]!);
    await waitFor(async () => (await redisNow(env.redis)) > (await stock.readDeal(dealId))!.endsAt, 'the deal ended', 5_000);
    await env.pool.query(`UPDATE deals SET state = 'ended' WHERE id = $1`, [dealId]);
    await lose(dealId, [0], 1, true);

    const report = await run();
    expect(report.lostDeals).toMatchObject({ found: 1, unlisted: 1, restoredBuckets: 1, restoredHolds: 2 });
    expect(await stock.readDeal(dealId)).toMatchObject({ stock: 5, sold: 2, held: 2, available: 1 });
    // the window is over for grabs, not for the hold
    expect((await stock.grabBatch(dealId, [{ shopper: 't3', qty: 1, rid: 'late' }])).decisions[0]).toEqual({ ok: false, code: 'ended' });
    await pay(rows[1]!);
    expect((await run()).details.filter((v) => v.dealId === dealId)).toEqual([]);
  });

  it("the leader's own reconcile brings a live deal back, with its bucket-wise counters, on its next run", async () => {
    const dealId = await openDeal(12, 2, { buckets: 2 });
    const first = await storm(dealId, ['u1', 'u2', 'u3'], 2);
    await pay(first.rows[0]!);
    await lose(dealId, [0, 1], 2, true);

    const redis: RedisClient = createRedis(env.config);
    const scheduler = await startScheduler({
      config: { ...env.config, reconcileIntervalMs: 300 }, redis, pool: env.pool, logger, nodeId: 'lost-b',
    });
    try {
      await waitFor(() => stock.hasDeal(dealId), 'the deal back in Redis', 10_000);
    } finally {
      await scheduler.close();
      redis.disconnect();
    }
    expect(await stock.readDeal(dealId)).toMatchObject({ stock: 12, buckets: 2, sold: 2, held: 4, available: 6 });
    const rest = await storm(dealId, Array.from({ length: 10 }, (_, i) => `w${i}`), 1);
    expect(rest.rows).toHaveLength(6);
    const pg = await recorded(dealId);
    expect(pg.held + pg.sold).toBe(12);
  });

  it('a mover that took units out of a bucket before it was lost cannot credit them after the restore counted them back', async () => {
    const dealId = await openDeal(30, 2, { buckets: 3 });
    await storm(dealId, Array.from({ length: 6 }, (_, i) => `x${i}`), 1);
    const took = await stock.moves.take(dealId, 3, 1, 2, 'stalled-move', 3);
    expect(took.taken).toBeGreaterThan(0);
    await lose(dealId, [1], 3);

    expect((await run()).lostDeals).toMatchObject({ found: 1, restoredBuckets: 1 });
    // the mover wakes up: its credit is refused, the units are bucket 1's again
    expect(await stock.moves.credit(dealId, 3, 2, 'stalled-move', 1, took.taken, took.epoch)).toBe(-2);
    const shares = await Promise.all([0, 1, 2].map((b) => stock.readBucket(dealId, b, 3)));
    expect(shares.reduce((n, b) => n + b!.stock, 0)).toBe(30);
    expect((await run()).details.filter((v) => v.dealId === dealId)).toEqual([]);
    // moves of the restored bucket's new epoch go through, and the deal sells exactly its stock
    const rest = await storm(dealId, Array.from({ length: 30 }, (_, i) => `y${i}`), 1);
    expect(rest.rows).toHaveLength(24);
    const pg = await recorded(dealId);
    expect(pg.held + pg.sold).toBe(30);
    expect((await run()).details.filter((v) => v.dealId === dealId)).toEqual([]);
  });
});
