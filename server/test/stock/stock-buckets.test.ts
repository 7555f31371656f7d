// Stock buckets (stock/buckets.ts, stock/bucket-grab.ts, stock/stock-moves.ts) against a real
// Redis, or a real 3-master cluster under FF_REDIS_CLUSTER=1: where the buckets' keys land, the
// pinned shopper, moves into a dry bucket, and a mover killed with kill -9 in the middle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from 'ioredis';
import calculateSlot from 'cluster-key-slot';
import { createTestEnv, onCluster, type TestEnv } from '../helpers/test-env.ts';
import { killMoverAt } from '../helpers/stock-mover.ts';
import { StockStore, type WarmDealInput } from '../../src/stock/stock-store.ts';
import { bucketOfShopper, stockBucketsFor } from '../../src/stock/buckets.ts';
import { bucketOfHold } from '../../src/stock/keys.ts';
import type { GrabDecision } from '../../src/stock/decisions.ts';

let env: TestEnv;
let stock: StockStore;
let nextDeal = 1;

beforeAll(async () => {
  env = await createTestEnv();
  stock = new StockStore(env.redis, env.config.keyPrefix);
});
afterAll(async () => { await env?.cleanup(); });

function deal(o: Partial<WarmDealInput> = {}): WarmDealInput {
  const now = Date.now();
  return {
    id: String(nextDeal++), festivalId: '1', stock: 30, limit: 5, holdSeconds: 600, startsAt: now - 1_000,
    endsAt: now + 3_600_000, unitPriceMinor: 100, currency: 'PKR', status: 'open', buckets: 3, ...o,
  };
}

/** `n` shopper ids pinned to `bucket` of `buckets`. */
function shoppersOf(bucket: number, buckets: number, n: number, tag: string): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) if (bucketOfShopper(`${tag}${i}`, buckets) === bucket) out.push(`${tag}${i}`);
  return out;
}

const held = (ds: GrabDecision[]) => ds.filter((d): d is Extract<GrabDecision, { ok: true }> => d.ok);
const refusedWith = (ds: GrabDecision[], code: string) => ds.filter((d) => !d.ok && d.code === code).length;

/** Per bucket sold + held + available == its stock, and the buckets plus units in flight make
 *  the deal's stock. */
async function expectBalanced(dealId: string, total: number): Promise<void> {
  const snap = (await stock.snapshotDeal(dealId))!;
  let shares = 0;
  for (const b of snap.buckets) {
    expect(b.deal.sold + b.deal.held + b.deal.available, `bucket ${b.deal.bucket}`).toBe(b.deal.stock);
    expect(b.deal.available).toBeGreaterThanOrEqual(0);
    shares += b.deal.stock;
  }
  expect(shares + snap.inFlight).toBe(total);
  expect(snap.deal.sold + snap.deal.held + snap.deal.available).toBe(total);
}

describe('the bucket rule', () => {
  it('takes the deal\'s own number, else one bucket per STOCK_BUCKET_UNITS, within 1..16 and the stock', () => {
    expect(stockBucketsFor(10_000, null, 0)).toBe(1);
    expect(stockBucketsFor(10_000, null, 3_000)).toBe(3);
    expect(stockBucketsFor(2_999, null, 3_000)).toBe(1);
    expect(stockBucketsFor(1_000_000, null, 1_000)).toBe(16);
    expect(stockBucketsFor(10_000, 4, 3_000)).toBe(4);
    expect(stockBucketsFor(2, 3, 0)).toBe(2);
  });
});

describe('warming a bucketed deal', () => {
  it('splits the stock evenly over three buckets on three slots (three masters on a cluster)', async () => {
    const d = deal({ stock: 10 });
    expect(await stock.warmDeal(d)).toBe('created');
    const parts = await Promise.all([0, 1, 2].map((b) => stock.readBucket(d.id, b, 3)));
    expect(parts.map((p) => p!.stock)).toEqual([4, 3, 3]);
    expect(await stock.readDeal(d.id)).toMatchObject({ stock: 10, available: 10, held: 0, sold: 0, buckets: 3 });
    const slots = [0, 1, 2].map((b) => calculateSlot(stock.bucketKeys(d.id, b, 3).deal));
    expect(new Set(slots).size).toBe(3);
    if (onCluster) {
      const cluster = env.redis as Cluster;
      const masters = slots.map((s) => cluster.slots[s]![0]);
      expect(new Set(masters).size).toBe(3);
    }
    // warming again (an edit) keeps the counters and the buckets, whatever is asked now
    expect(await stock.warmDeal({ ...d, buckets: 5, endsAt: d.endsAt + 1_000 })).toBe('updated');
    expect(await stock.readDeal(d.id)).toMatchObject({ stock: 10, available: 10, buckets: 3, endsAt: d.endsAt + 1_000 });
  });

  it('places every deal\'s three buckets in three different thirds of the slots', () => {
    for (let id = 1; id <= 300; id++) {
      const thirds = [0, 1, 2].map((b) => Math.floor((calculateSlot(stock.bucketKeys(String(id), b, 3).deal) * 3) / 16_384));
      expect(new Set(thirds).size, `deal ${id}`).toBe(3);
    }
  });
});

describe('grabs on a bucketed deal', () => {
  it('pins a shopper: the limit and the rid stay exact across concurrent batches', async () => {
    const d = deal({ stock: 30, limit: 2 });
    await stock.warmDeal(d);
    const batches = await Promise.all(Array.from({ length: 8 }, (_, i) => stock.grabBatch(d.id, [{ shopper: 'pinned', qty: 1, rid: `r${i}` }])));
    const all = batches.flatMap((b) => b.decisions);
    expect(held(all).length).toBe(2);
    expect(refusedWith(all, 'limit_reached')).toBe(6);
    const again = await stock.grabBatch(d.id, [{ shopper: 'pinned', qty: 1, rid: 'r0' }]);
    expect(again.decisions[0]).toEqual(all[0]!.ok ? { ...all[0], repeat: true } : all[0]);
    const bucket = bucketOfShopper('pinned', 3);
    for (const h of held(all)) expect(bucketOfHold(h.hold)).toEqual({ bucket, buckets: 3 });
    await expectBalanced(d.id, 30);
  });

  it('moves stock into a dry bucket: every unit is sold to one bucket\'s shoppers, no sold_out before the last', async () => {
    const d = deal({ stock: 30, limit: 1 });
    await stock.warmDeal(d);
    const hot = shoppersOf(1, 3, 30, 'hot');
    // six batches at once, all into bucket 1 (its share: 10)
    const batches = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      stock.grabBatch(d.id, hot.slice(i * 5, i * 5 + 5).map((s) => ({ shopper: s, qty: 1, rid: 'x' })))));
    const all = batches.flatMap((b) => b.decisions);
    expect(refusedWith(all, 'sold_out')).toBe(0);
    const holds = held(all);
    expect(holds.length).toBe(30);
    expect(new Set(holds.map((h) => h.hold)).size).toBe(30);
    const snap = (await stock.snapshotDeal(d.id))!;
    expect(Object.keys(snap.buckets[1]!.movesIn).length).toBeGreaterThan(0);
    expect(snap.buckets.map((b) => b.deal.available)).toEqual([0, 0, 0]);
    expect(snap.buckets[1]!.deal).toMatchObject({ stock: 30, held: 30 });
    await expectBalanced(d.id, 30);
    // now every bucket is dry: sold_out, in any bucket
    const late = await stock.grabBatch(d.id, [0, 1, 2].map((b) => ({ shopper: shoppersOf(b, 3, 1, 'late')[0]!, qty: 1, rid: 'x' })));
    expect(refusedWith(late.decisions, 'sold_out')).toBe(3);
    expect(await stock.readDeal(d.id)).toMatchObject({ stock: 30, held: 30, available: 0 });
  });

  it('a store that has not seen the deal learns its buckets from the first answer', async () => {
    const d = deal({ stock: 9 });
    await stock.warmDeal(d);
    const fresh = new StockStore(env.redis, env.config.keyPrefix);
    const shopper = shoppersOf(2, 3, 1, 'fresh')[0]!;
    const r = await fresh.grabBatch(d.id, [{ shopper, qty: 1, rid: 'x' }]);
    expect(r.buckets).toBe(3);
    const [h] = held(r.decisions);
    expect(bucketOfHold(h!.hold)).toEqual({ bucket: 2, buckets: 3 });
    expect((await stock.readBucket(d.id, 2, 3))!.held).toBe(1);
  });

  it('payment and expiry find a hold\'s bucket from its id, and the counters sum the buckets', async () => {
    const d = deal({ stock: 9 });
    await stock.warmDeal(d);
    const [a, b] = [shoppersOf(1, 3, 1, 'pay')[0]!, shoppersOf(2, 3, 1, 'rel')[0]!];
    const r = await stock.grabBatch(d.id, [{ shopper: a, qty: 2, rid: 'x' }, { shopper: b, qty: 1, rid: 'x' }]);
    const [pay, rel] = held(r.decisions);
    expect(await stock.readHold(pay!.hold)).toMatchObject({ shopper: a, qty: 2, state: 'held' });
    expect(await stock.confirmPayment(pay!.hold, a)).toMatchObject({ ok: true, qty: 2 });
    expect(await stock.releaseExpiredHold(rel!.hold, true)).toMatchObject({ released: true, qty: 1 });
    expect(await stock.readDeal(d.id)).toMatchObject({ stock: 9, sold: 2, held: 0, available: 7 });
    expect((await stock.readCounters([d.id])).get(d.id)).toEqual({ sold: 2, held: 0, available: 7, buckets: 3 });
    const [polled] = await stock.pollDeals([d.id]);
    expect(polled).toMatchObject({ stock: 9, sold: 2, held: 0, available: 7, holds: 2, grabs: 2 });
    await expectBalanced(d.id, 9);
  });
});

describe('a stock move killed with kill -9', () => {
  it('after the take: the units are in flight, counted, and recovery credits them once', async () => {
    const d = deal({ stock: 30 });
    await stock.warmDeal(d);
    const { moveId } = await killMoverAt(env, d.id, 3, 0, 1, 2, 'take');
    // take-stock-2.lua takes at least the 2 asked, up to half the donor's 10
    const snap = (await stock.snapshotDeal(d.id))!;
    expect(snap.inFlight).toBe(5);
    expect(snap.buckets.map((b) => b.deal.stock)).toEqual([5, 10, 10]);
    expect(snap.buckets[0]!.deal.moving).toBe(5);
    expect(snap.deal.available).toBe(30);
    await expectBalanced(d.id, 30);
    expect(await stock.openMoves(d.id)).toEqual([{ moveId, from: 0, to: 1, units: 5 }]);

    expect(await stock.finishMoves(d.id)).toBe(1);
    expect(await stock.finishMoves(d.id)).toBe(0);
    const after = (await stock.snapshotDeal(d.id))!;
    expect(after.inFlight).toBe(0);
    expect(after.buckets.map((b) => [b.deal.stock, b.deal.available, b.deal.moving])).toEqual([[5, 5, 0], [15, 15, 0], [10, 10, 0]]);
    await expectBalanced(d.id, 30);
  });

  it('after the credit: recovery only closes the move, the receiver is not credited twice', async () => {
    const d = deal({ stock: 30 });
    await stock.warmDeal(d);
    const { moveId } = await killMoverAt(env, d.id, 3, 2, 0, 4, 'credit');
    let snap = (await stock.snapshotDeal(d.id))!;
    expect(snap.inFlight).toBe(0);
    expect(snap.buckets.map((b) => b.deal.stock)).toEqual([15, 10, 5]);
    await expectBalanced(d.id, 30);
    // the same move id again, as a retrying mover would: nothing more is taken or credited
    expect(await stock.moves.move(d.id, 3, 2, 0, 4, {}, moveId)).toMatchObject({ taken: 5, repeat: true });
    expect(await stock.finishMoves(d.id)).toBe(0);
    snap = (await stock.snapshotDeal(d.id))!;
    expect(snap.buckets.map((b) => [b.deal.stock, b.deal.moving])).toEqual([[15, 0], [10, 0], [5, 0]]);
    await expectBalanced(d.id, 30);
  });

  it('a dry bucket finishes a dead mover\'s move before it answers sold_out', async () => {
    const d = deal({ stock: 3, limit: 1 });
    await stock.warmDeal(d);
    // bucket 0's one unit is taken towards bucket 2 and the mover dies
    await killMoverAt(env, d.id, 3, 0, 2, 1, 'take');
    const three = shoppersOf(0, 3, 3, 'dry');
    const r = await stock.grabBatch(d.id, three.map((s) => ({ shopper: s, qty: 1, rid: 'x' })));
    expect(held(r.decisions).length).toBe(3);
    expect(await stock.openMoves(d.id)).toEqual([]);
    await expectBalanced(d.id, 3);
  });
});
