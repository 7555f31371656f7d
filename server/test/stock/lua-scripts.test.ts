// Every branch of every Lua script, against real Redis. Bad arguments are rejected before any
// write: the keys are compared byte for byte before and after.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { StockStore, type WarmDealInput } from '../../src/stock/stock-store.ts';

let env: TestEnv;
let stock: StockStore;
let seq = 0;

beforeAll(async () => {
  env = await createTestEnv();
  stock = new StockStore(env.redis, env.config.keyPrefix);
});
afterAll(async () => env?.cleanup());

function deal(over: Partial<WarmDealInput> = {}): WarmDealInput {
  const now = Date.now();
  return {
    id: String(++seq), festivalId: '1', stock: 5, limit: 2, holdSeconds: 60,
    startsAt: now - 1_000, endsAt: now + 60_000, unitPriceMinor: 1_500, currency: 'PKR', status: 'open', ...over,
  };
}

/** Everything stored under one deal's keys, for "nothing changed" checks. */
async function snapshot(dealId: string): Promise<Record<string, unknown>> {
  const k = stock.keys(dealId);
  return {
    deal: await env.redis.hgetall(k.deal), rids: await env.redis.hgetall(k.rids),
    per: await env.redis.hgetall(k.perShopper), holds: await env.redis.hgetall(k.holds),
    exp: await env.redis.zrange(k.expiries, '0', '-1', 'WITHSCORES'),
  };
}

async function balanced(dealId: string): Promise<void> {
  const d = (await stock.readDeal(dealId))!;
  expect(d.available + d.held + d.sold).toBe(d.stock);
  expect(Math.min(d.available, d.held, d.sold)).toBeGreaterThanOrEqual(0);
}

describe('warm-deal', () => {
  it('creates counters once and only updates the schedule after', async () => {
    const d = deal();
    expect(await stock.warmDeal(d)).toBe('created');
    await stock.grabBatch(d.id, [{ shopper: 'a', qty: 1, rid: 'r' }]);
    expect(await stock.warmDeal({ ...d, endsAt: d.endsAt + 1_000, stock: 999 })).toBe('updated');
    expect(await stock.readDeal(d.id)).toMatchObject({ stock: 5, available: 4, held: 1, endsAt: d.endsAt + 1_000 });
  });

  it('rejects bad arguments before any write', async () => {
    const d = deal();
    const k = stock.keys(d.id);
    // the last five: bucket, buckets, the bucket's share, its first seq - 1, create
    const one = [0, 1, 5, '0', '1'];
    const bad: (string | number)[][] = [
      [d.id, '1', 'x', 2, 60_000, d.startsAt, d.endsAt, 100, 'PKR', 'open', ...one],
      [d.id, '1', 0, 2, 60_000, d.startsAt, d.endsAt, 100, 'PKR', 'open', ...one],
      [d.id, '1', 5, 2, 60_000, d.endsAt, d.startsAt, 100, 'PKR', 'open', ...one],
      [d.id, '1', 5, 2, 60_000, d.startsAt, d.endsAt, 100, 'PKR', 'weird', ...one],
      [d.id, '1', 5, 2.5, 60_000, d.startsAt, d.endsAt, 100, 'PKR', 'open', ...one],
      [d.id, '1', 5, 2, 60_000, d.startsAt, d.endsAt, 100, 'PKR', 'open', 0, 0, 5, '0', '1'],
      [d.id, '1', 5, 2, 60_000, d.startsAt, d.endsAt, 100, 'PKR', 'open', 0, 1, 0, '0', '1'],
      [d.id, '1', 5, 2, 60_000, d.startsAt, d.endsAt, 100, 'PKR', 'open'],
      [d.id, '1', 5],
    ];
    for (const args of bad) await expect(env.redis.ffWarmDeal(k.deal, ...args)).rejects.toThrow(/warm-deal/);
    expect(await env.redis.exists(k.deal)).toBe(0);
  });
});

describe('restore-bucket', () => {
  /** ARGV of restore-bucket-6.lua for an unbucketed deal of stock 5 with these holds. */
  function args(d: WarmDealInput, bucketStock: number, holds: (string | number)[][], perMs = 0, ceiling = 100_000): (string | number)[] {
    return [d.id, '1', d.stock, d.limit, 60_000, d.startsAt, d.endsAt, 1_500, 'PKR', 'open', 0, 1, bucketStock,
      '7', '1', 1_000, perMs, ceiling, 1, 0, holds.length, ...holds.flat()];
  }
  const restore = (d: WarmDealInput, a: (string | number)[]) => {
    const k = stock.keys(d.id);
    return env.redis.ffRestoreBucket(k.deal, k.perShopper, k.holds, k.expiries, k.movesOut, k.movesIn, ...a);
  };

  it('writes a missing bucket from the record: counters, holds, shoppers, expiry entries, seq past the gap', async () => {
    const d = deal();
    const exp = Date.now() + 60_000;
    expect(await restore(d, args(d, 5, [[`${d.id}-3`, 'a', 2, exp, 1, 'held'], [`${d.id}-7`, 'a', 1, exp, 1, 'paid']])))
      .toEqual([1, 2, 1, 2, 1_007]);
    expect(await stock.readDeal(d.id)).toMatchObject({ stock: 5, available: 2, held: 2, sold: 1, holds: 1_007 });
    expect(await stock.readHold(`${d.id}-3`)).toMatchObject({ shopper: 'a', qty: 2, state: 'held', expiresAt: exp });
    expect(await env.redis.hgetall(stock.keys(d.id).perShopper)).toEqual({ a: '3' });
    expect(await env.redis.zrange(stock.keys(d.id).expiries, '0', '-1')).toEqual(['3-3']);
    await balanced(d.id);
  });

  it('moves seq on with the time since the deal opened, within the span', async () => {
    const d = deal();
    // opened 1 s ago: at 10 seqs per ms, at least 10,000 past the gap
    const [, , , , seq] = await restore(d, args(d, 5, [], 10));
    expect(seq).toBeGreaterThanOrEqual(7 + 1_000 + 10_000);
    expect(seq).toBeLessThan(7 + 1_000 + 10 * 60_000);
    // an ended deal's window stops at endsAt: no hold is given after it
    const now = Date.now();
    const ended = deal({ startsAt: now - 10_000, endsAt: now - 5_000 });
    expect((await restore(ended, args(ended, 5, [], 10)))[4]).toBe(7 + 1_000 + 10 * 5_000);
    // where the time term would leave the span, the gap alone
    const e = deal();
    expect((await restore(e, args(e, 5, [], 10, 2_000)))[4]).toBe(1_007);
  });

  it('leaves a bucket that exists as it is', async () => {
    const d = deal();
    await stock.warmDeal(d);
    await stock.grabBatch(d.id, [{ shopper: 'a', qty: 1, rid: 'r' }]);
    const before = await snapshot(d.id);
    expect((await restore(d, args(d, 5, [])))[0]).toBe(0);
    expect(await snapshot(d.id)).toEqual(before);
  });

  it('rejects bad arguments, a bad hold and a stock below sold + held before any write', async () => {
    const d = deal();
    const exp = Date.now() + 60_000;
    const bad: (string | number)[][] = [
      args(d, 5, [[`${d.id}-3`, 'a', 6, exp, 1, 'held']]),
      args(d, 5, [[`${d.id}-3`, 'a', 0, exp, 1, 'held']]),
      args(d, 5, [['nope', 'a', 1, exp, 1, 'held']]),
      args(d, 5, [[`${d.id}-3`, 'a', 1, exp, 1, 'expired']]),
      args(d, 5, [[`${d.id}-3`, 'a', 1, exp, 1]]),
      args(d, -1, []),
      // the gap alone would leave the span
      args(d, 5, [], 0, 1_007),
    ];
    for (const a of bad) await expect(restore(d, a)).rejects.toThrow(/restore-bucket/);
    expect(await snapshot(d.id)).toEqual({ deal: {}, rids: {}, per: {}, holds: {}, exp: [] });
  });
});

describe('grab-batch', () => {
  it('holds in order, then limit_reached, then sold_out; counters balance', async () => {
    const d = deal({ stock: 3, limit: 2 });
    await stock.warmDeal(d);
    const r = await stock.grabBatch(d.id, [
      { shopper: 'a', qty: 2, rid: '1' },
      { shopper: 'a', qty: 1, rid: '2' },
      { shopper: 'b', qty: 2, rid: '1' },
      { shopper: 'c', qty: 1, rid: '1' },
    ]);
    expect(r.decisions.map((x) => (x.ok ? 'held' : x.code))).toEqual(['held', 'limit_reached', 'sold_out', 'held']);
    expect(r.available).toBe(0);
    const first = r.decisions[0]!;
    expect(first.ok && first.hold).toBe(`${d.id}-1`);
    expect(first.ok && first.expiresAt - r.now).toBe(60_000);
    expect(await stock.readDeal(d.id)).toMatchObject({ available: 0, held: 3, sold: 0 });
    expect(await env.redis.hgetall(stock.keys(d.id).perShopper)).toEqual({ a: '2', c: '1' });
    // the expiry index: one entry for the batch's holds (seqs 1 and 2), scored by their expiry
    expect(await env.redis.zrange(stock.keys(d.id).expiries, '0', '-1', 'WITHSCORES')).toEqual(['1-2', String(first.ok && first.expiresAt)]);
    // the ops counters: every grab decided, refusals by code
    expect(await env.redis.hmget(stock.keys(d.id).deal, 'grabs', 'rej:-5', 'rej:-4', 'rej:-2')).toEqual(['4', '1', '1', null]);
    await balanced(d.id);
  });

  it('a repeated rid gets its first answer, held or refused', async () => {
    const d = deal({ stock: 2, limit: 1 });
    await stock.warmDeal(d);
    const first = await stock.grabBatch(d.id, [{ shopper: 'a', qty: 1, rid: 'x' }, { shopper: 'a', qty: 1, rid: 'y' }]);
    const again = await stock.grabBatch(d.id, [{ shopper: 'a', qty: 1, rid: 'x' }, { shopper: 'a', qty: 1, rid: 'y' }]);
    expect(again.decisions[0]).toEqual({ ...first.decisions[0], repeat: true });
    expect(again.decisions[1]).toEqual({ ok: false, code: 'limit_reached' });
    expect(await stock.readDeal(d.id)).toMatchObject({ available: 1, held: 1 });
    // repeats are counted as grabs and as refusals again: the counters count answers
    expect(await env.redis.hmget(stock.keys(d.id).deal, 'grabs', 'rej:-5')).toEqual(['4', '2']);
  });

  it('a rid repeated inside ONE batch gets the answer given earlier in that batch', async () => {
    const d = deal({ stock: 1, limit: 1 });
    await stock.warmDeal(d);
    const r = await stock.grabBatch(d.id, [
      { shopper: 'a', qty: 1, rid: 'x' }, { shopper: 'b', qty: 1, rid: 'x' },
      { shopper: 'a', qty: 1, rid: 'x' }, { shopper: 'b', qty: 1, rid: 'x' },
      { shopper: 'c', qty: 0, rid: 'z' }, { shopper: 'c', qty: 1, rid: 'z' },
    ]);
    const [a1, b1, a2, b2, c1, c2] = r.decisions;
    expect(a1).toMatchObject({ ok: true, hold: `${d.id}-1`, repeat: false });
    expect(a2).toEqual({ ...a1, repeat: true });
    expect(b1).toEqual({ ok: false, code: 'sold_out' });
    expect(b2).toEqual({ ok: false, code: 'sold_out' });
    // an invalid qty is not recorded, so the same rid with a valid qty is decided afresh
    expect(c1).toEqual({ ok: false, code: 'invalid' });
    expect(c2).toEqual({ ok: false, code: 'sold_out' });
    expect(await stock.readDeal(d.id)).toMatchObject({ available: 0, held: 1 });
    expect(await env.redis.hgetall(stock.keys(d.id).perShopper)).toEqual({ a: '1' });
    await balanced(d.id);
  });

  it('decides a batch larger than one Redis call takes (chunked reads and writes) exactly', async () => {
    const d = deal({ stock: 2_000, limit: 3 });
    await stock.warmDeal(d);
    // 1,500 shoppers x 2 grabs of 1 each = 3,000 grabs in ONE script call: 2,000 held,
    // then sold out; every shopper's count is the number of their holds.
    const grabs = Array.from({ length: 3_000 }, (_, i) => ({ shopper: `s${i % 1_500}`, qty: 1, rid: `r${i}` }));
    const r = await stock.grabBatch(d.id, grabs);
    const held = r.decisions.filter((x) => x.ok);
    expect(held).toHaveLength(2_000);
    expect(r.decisions.slice(2_000).every((x) => !x.ok && x.code === 'sold_out')).toBe(true);
    expect(new Set(held.map((x) => (x.ok ? x.hold : ''))).size).toBe(2_000);
    const k = stock.keys(d.id);
    expect(await env.redis.hlen(k.holds)).toBe(2_000);
    expect(await env.redis.zrange(k.expiries, '0', '-1')).toEqual(['1-2000']);
    expect(await env.redis.hlen(k.rids)).toBe(3_000);
    const per = await env.redis.hgetall(k.perShopper);
    expect(Object.values(per).reduce((a, v) => a + Number(v), 0)).toBe(2_000);
    expect(per.s0).toBe('2');
    expect(per.s600).toBe('1');
    await balanced(d.id);
  });

  it('judges the window by Redis TIME: not_open before, ended after, stopped and cancelled', async () => {
    const now = Date.now();
    const early = deal({ startsAt: now + 60_000, endsAt: now + 120_000 });
    const late = deal({ startsAt: now - 120_000, endsAt: now - 60_000 });
    const stopped = deal({ status: 'stopped' });
    const cancelled = deal({ status: 'cancelled' });
    for (const d of [early, late, stopped, cancelled]) await stock.warmDeal(d);
    const g = [{ shopper: 'a', qty: 1, rid: 'r' }];
    expect((await stock.grabBatch(early.id, g)).decisions[0]).toEqual({ ok: false, code: 'not_open' });
    expect((await stock.grabBatch(late.id, g)).decisions[0]).toEqual({ ok: false, code: 'ended' });
    expect((await stock.grabBatch(stopped.id, g)).decisions[0]).toEqual({ ok: false, code: 'ended' });
    expect((await stock.grabBatch(cancelled.id, g)).decisions[0]).toEqual({ ok: false, code: 'ended' });
    expect(await env.redis.hmget(stock.keys(early.id).deal, 'grabs', 'rej:-2')).toEqual(['1', '1']);
    expect(await env.redis.hmget(stock.keys(late.id).deal, 'grabs', 'rej:-3')).toEqual(['1', '1']);
    // window refusals are not recorded: the same rid may succeed once the deal opens
    expect(await env.redis.hlen(stock.keys(early.id).rids)).toBe(0);
    expect(await stock.setStatus(stopped.id, 'open')).toBe(true);
    expect((await stock.grabBatch(stopped.id, g)).decisions[0]).toMatchObject({ ok: true });
  });

  it('a rid decided inside the window keeps its first answer after the deal is stopped', async () => {
    const d = deal({ stock: 1, limit: 1 });
    await stock.warmDeal(d);
    const first = await stock.grabBatch(d.id, [{ shopper: 'a', qty: 1, rid: 'won' }, { shopper: 'b', qty: 1, rid: 'lost' }]);
    expect(first.decisions[1]).toEqual({ ok: false, code: 'sold_out' });
    expect(await stock.setStatus(d.id, 'stopped')).toBe(true);
    const again = await stock.grabBatch(d.id, [
      { shopper: 'a', qty: 1, rid: 'won' }, { shopper: 'b', qty: 1, rid: 'lost' }, { shopper: 'c', qty: 1, rid: 'new' },
    ]);
    expect(again.decisions).toEqual([{ ...first.decisions[0], repeat: true }, { ok: false, code: 'sold_out' }, { ok: false, code: 'ended' }]);
    expect(await stock.readDeal(d.id)).toMatchObject({ available: 0, held: 1 });
    expect(await env.redis.hmget(stock.keys(d.id).deal, 'grabs', 'rej:-4', 'rej:-3')).toEqual(['5', '2', '1']);
  });

  it('answers unknown_deal for a deal not warmed, writing nothing', async () => {
    const r = await stock.grabBatch('987654', [{ shopper: 'a', qty: 1, rid: 'r' }]);
    expect(r.decisions[0]).toEqual({ ok: false, code: 'unknown_deal' });
    expect(await env.redis.exists(stock.keys('987654').deal, stock.keys('987654').rids)).toBe(0);
    expect(await stock.setStatus('987654', 'stopped')).toBe(false);
    expect(await env.redis.exists(stock.keys('987654').deal)).toBe(0);
  });

  it('refuses an invalid qty as invalid and bad argument counts before any write', async () => {
    const d = deal();
    await stock.warmDeal(d);
    const r = await stock.grabBatch(d.id, [{ shopper: 'a', qty: 0, rid: '1' }, { shopper: 'a', qty: 1.5, rid: '2' }, { shopper: 'a', qty: Number.NaN, rid: '3' }]);
    expect(r.decisions.every((x) => !x.ok && x.code === 'invalid')).toBe(true);
    const k = stock.keys(d.id);
    // only the counters moved: no rid, hold or shopper count for an invalid qty
    expect(await env.redis.hmget(k.deal, 'grabs', 'rej:-6', 'available')).toEqual(['3', '3', '5']);
    expect(await env.redis.exists(k.rids, k.perShopper, k.holds)).toBe(0);
    const before = await snapshot(d.id);
    await expect(env.redis.ffGrabBatch(k.deal, k.rids, k.perShopper, k.holds, k.expiries, d.id, 2, 1, '1', 'a', 1, 'r')).rejects.toThrow(/grab-batch/);
    await expect(env.redis.ffGrabBatch(k.deal, k.rids, k.perShopper, k.holds, k.expiries, d.id, 0, 1, '1')).rejects.toThrow(/grab-batch/);
    await expect(env.redis.ffGrabBatch(k.deal, k.rids, k.perShopper, k.holds, k.expiries, d.id, 'x', 1, '1', 'a', 1, 'r')).rejects.toThrow(/grab-batch/);
    expect(await snapshot(d.id)).toEqual(before);
  });
});

describe('release-expired-hold', () => {
  it('gives stock back once, lowers the shopper count, and not before it is due', async () => {
    const d = deal({ holdSeconds: 1, stock: 2, limit: 2 });
    await stock.warmDeal(d);
    const r = await stock.grabBatch(d.id, [{ shopper: 'a', qty: 2, rid: 'r' }]);
    const hold = r.decisions[0]!.ok ? (r.decisions[0] as { hold: string }).hold : '';
    expect(await stock.releaseExpiredHold(hold)).toEqual({ released: false, reason: 'not_due', shopper: 'a', qty: 2 });
    await new Promise((res) => setTimeout(res, 1_100));
    expect(await stock.dueHolds(d.id, Date.now() + 5)).toEqual([hold]);
    const [one, two] = await Promise.all([stock.releaseExpiredHold(hold), stock.releaseExpiredHold(hold)]);
    expect([one, two].filter((x) => x.released)).toHaveLength(1);
    expect([one, two].filter((x) => !x.released && x.reason === 'already_released')).toHaveLength(1);
    expect(await stock.readDeal(d.id)).toMatchObject({ available: 2, held: 0, sold: 0 });
    expect(await env.redis.hget(stock.keys(d.id).perShopper, 'a')).toBeNull();
    // the released hold's index entry goes at the next look for due holds
    expect(await env.redis.zcard(stock.keys(d.id).expiries)).toBe(1);
    expect(await stock.dueHolds(d.id, Date.now() + 5)).toEqual([]);
    expect(await env.redis.zcard(stock.keys(d.id).expiries)).toBe(0);
    expect((await stock.readHold(hold))?.state).toBe('expired');
    // the shopper may grab again
    expect((await stock.grabBatch(d.id, [{ shopper: 'a', qty: 2, rid: 'again' }])).decisions[0]).toMatchObject({ ok: true });
  });

  it('due holds are the held ones of a due batch entry; the entry goes once none is held', async () => {
    const d = deal({ holdSeconds: 1, stock: 5, limit: 5 });
    await stock.warmDeal(d);
    const r = await stock.grabBatch(d.id, ['a', 'b', 'c'].map((shopper) => ({ shopper, qty: 1, rid: 'r' })));
    const [ha, hb, hc] = r.decisions.map((x) => (x.ok ? x.hold : ''));
    const later = await stock.grabBatch(d.id, [{ shopper: 'e', qty: 1, rid: 'r' }]);
    expect(await stock.dueHolds(d.id, r.now)).toEqual([]);
    expect((await stock.confirmPayment(ha!, 'a')).ok).toBe(true);
    await new Promise((res) => setTimeout(res, 1_100));
    const k = stock.keys(d.id);
    expect((await stock.releaseExpiredHold(hb!)).released).toBe(true);
    // the first batch: a paid, b released, c still held; the later batch: e held; max applies
    expect(await stock.dueHolds(d.id, Date.now() + 5)).toEqual([hc, (later.decisions[0] as { hold: string }).hold]);
    expect(await stock.dueHolds(d.id, Date.now() + 5, 1)).toEqual([hc]);
    expect(await env.redis.zcard(k.expiries)).toBe(2);
    expect((await stock.releaseExpiredHold(hc!)).released).toBe(true);
    expect(await stock.dueHolds(d.id, Date.now() + 5, 1)).toEqual([(later.decisions[0] as { hold: string }).hold]);
    expect(await env.redis.zrange(k.expiries, '0', '-1')).toEqual(['4-4']);
  });

  it('force releases a hold early (deal cancelled); refuses paid and unknown holds; rejects bad args', async () => {
    const d = deal();
    await stock.warmDeal(d);
    const r = await stock.grabBatch(d.id, [{ shopper: 'a', qty: 1, rid: '1' }, { shopper: 'b', qty: 1, rid: '1' }]);
    const [h1, h2] = r.decisions.map((x) => (x.ok ? x.hold : ''));
    expect(await stock.releaseExpiredHold(h1!, true)).toMatchObject({ released: true, qty: 1, shopper: 'a' });
    expect((await stock.confirmPayment(h2!, 'b')).ok).toBe(true);
    expect(await stock.releaseExpiredHold(h2!, true)).toMatchObject({ released: false, reason: 'paid' });
    expect(await stock.releaseExpiredHold(`${d.id}-999`)).toEqual({ released: false, reason: 'unknown' });
    expect(await stock.releaseExpiredHold('garbage')).toEqual({ released: false, reason: 'unknown' });
    const k = stock.keys(d.id);
    const before = await snapshot(d.id);
    await expect(env.redis.ffReleaseExpiredHold(k.deal, k.perShopper, k.holds, h1!, '2' as '1')).rejects.toThrow(/release-expired-hold/);
    expect(await snapshot(d.id)).toEqual(before);
    await balanced(d.id);
  });
});

describe('confirm-payment', () => {
  it('moves held to sold once; a retry answers the same; another shopper cannot pay', async () => {
    const d = deal({ stock: 3 });
    await stock.warmDeal(d);
    const r = await stock.grabBatch(d.id, [{ shopper: 'a', qty: 2, rid: '1' }]);
    const hold = (r.decisions[0] as { hold: string }).hold;
    expect(await stock.confirmPayment(hold, 'mallory')).toEqual({ ok: false, code: 'unknown_hold' });
    const paid = await stock.confirmPayment(hold, 'a');
    expect(paid).toMatchObject({ ok: true, repeat: false, qty: 2, unitPriceMinor: 1_500, currency: 'PKR' });
    expect(await stock.confirmPayment(hold, 'a')).toMatchObject({ ok: true, repeat: true });
    expect(await stock.readDeal(d.id)).toMatchObject({ available: 1, held: 0, sold: 2 });
    // a paid hold is never due; its index entry goes once it would have been
    expect(await stock.dueHolds(d.id, Date.now() + 120_000)).toEqual([]);
    expect(await env.redis.zcard(stock.keys(d.id).expiries)).toBe(0);
    // the shopper's count keeps bought units: the limit covers held + bought
    expect((await stock.grabBatch(d.id, [{ shopper: 'a', qty: 1, rid: '2' }])).decisions[0]).toEqual({ ok: false, code: 'limit_reached' });
  });

  it('refuses a payment after expiry, before and after the release ran', async () => {
    const d = deal({ holdSeconds: 1 });
    await stock.warmDeal(d);
    const r = await stock.grabBatch(d.id, [{ shopper: 'a', qty: 1, rid: '1' }, { shopper: 'b', qty: 1, rid: '1' }]);
    const [h1, h2] = r.decisions.map((x) => (x.ok ? x.hold : ''));
    await new Promise((res) => setTimeout(res, 1_100));
    expect(await stock.confirmPayment(h1!, 'a')).toEqual({ ok: false, code: 'hold_expired' });
    expect(await stock.readDeal(d.id)).toMatchObject({ held: 2, sold: 0 });
    await stock.releaseExpiredHold(h2!);
    expect(await stock.confirmPayment(h2!, 'b')).toEqual({ ok: false, code: 'hold_expired' });
    expect(await stock.readDeal(d.id)).toMatchObject({ available: 4, held: 1, sold: 0 });
  });

  it('rejects bad arguments before any write', async () => {
    const d = deal();
    await stock.warmDeal(d);
    await stock.grabBatch(d.id, [{ shopper: 'a', qty: 1, rid: '1' }]);
    const before = await snapshot(d.id);
    const k = stock.keys(d.id);
    await expect(env.redis.ffConfirmPayment(k.deal, k.holds, `${d.id}-1`, '')).rejects.toThrow(/confirm-payment/);
    expect(await snapshot(d.id)).toEqual(before);
  });
});
