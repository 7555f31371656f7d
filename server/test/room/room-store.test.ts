// The room's Lua against real Redis (single and Cluster): places, the draw, FIFO, stock-aware
// admission, abandonment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { RoomStore } from '../../src/room/room-store.ts';
import { commitOf, drawOrder } from '../../src/room/draw.ts';

let env: TestEnv;
let stock: StockStore;
let rooms: RoomStore;
let seq = 100;

beforeAll(async () => {
  // one tick per call: every tick() here moves the line (the Lua admits once per interval)
  env = await createTestEnv({ ROOM_TICK_MS: '20', ROOM_OUTFLOW: '1000', ROOM_HELD_RETURN: '0' });
  stock = new StockStore(env.redis, env.config.keyPrefix);
  rooms = new RoomStore(env.redis, env.config.keyPrefix, env.config.room);
});
afterAll(async () => env?.cleanup());

const settings = { mode: 'on' as const, outflow: 1000, windowSeconds: 60, graceSeconds: 30, autoMultiple: 3 };

async function newDeal(opts: { stock?: number; startsIn?: number; limit?: number; holdSeconds?: number } = {}): Promise<string> {
  const id = String(++seq);
  const now = Date.now();
  await stock.warmDeal({
    id, festivalId: '1', stock: opts.stock ?? 100, limit: opts.limit ?? 1, holdSeconds: opts.holdSeconds ?? 60,
    startsAt: now + (opts.startsIn ?? -1_000), endsAt: now + 600_000, unitPriceMinor: 100, currency: 'PKR', status: 'open',
  });
  await rooms.warm(id, settings);
  return id;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** one tick that moves the line (waits out the tick interval first) */
async function tick(dealId: string) {
  await pause(25);
  return rooms.tick(dealId, 'gw-test', 0);
}

describe('room store', () => {
  it('one place per shopper: a second join gives the first place back; no place without the proof of work', async () => {
    const id = await newDeal();
    await tick(id); // opens (empty pre-queue)
    expect((await rooms.join(id, 'nopow', false)).status).toBe('pow');
    const a = await rooms.join(id, 'alice', true);
    const again = await rooms.join(id, 'alice', true);
    expect(a).toMatchObject({ status: 'waiting', number: 1 });
    expect(again).toMatchObject({ status: 'waiting', number: 1 });
    expect(await rooms.join(id, 'alice', false)).toMatchObject({ status: 'waiting', number: 1 });
  });

  it('pre-queue: every member gets exactly one place, in the order the revealed seed gives', async () => {
    const id = await newDeal({ startsIn: 1_500 });
    const shoppers = Array.from({ length: 300 }, (_, i) => `p${i}`);
    const tickets = new Map<string, number>();
    for (const s of shoppers) {
      const r = await rooms.join(id, s, true);
      expect(r.status).toBe('pre');
      if (r.status === 'pre') tickets.set(s, r.ticket);
    }
    await rooms.leave(id, 'p7'); // a hole in the draw
    const before = await tick(id);
    expect(before.state).toBe('pre');
    expect(before.commit).toMatch(/^[0-9a-f]{64}$/);
    expect(before.seed).toBe('');
    await pause(1_600);
    const t = await rooms.tick(id, 'gw-test', 0);
    expect(t.state).toBe('drawing');
    expect(t.draw).toBe(true);
    expect((await rooms.tick(id, 'gw-other', 0)).draw).toBe(false); // one drawer
    // a late arrival during the draw joins the back
    expect(await rooms.join(id, 'late', true)).toMatchObject({ status: 'waiting', number: 301 });
    await rooms.draw(id);
    const open = await tick(id);
    expect(open.state).toBe('open');
    expect(commitOf(open.seed)).toBe(before.commit);
    const order = drawOrder(open.seed, 300);
    const numbers = await rooms.numbersOf(id, shoppers);
    const seen = new Set<number>();
    shoppers.forEach((s, i) => {
      if (s === 'p7') return expect(numbers[i]).toBeNull();
      const n = numbers[i]!;
      expect(seen.has(n)).toBe(false);
      seen.add(n);
      expect(order[n - 1]).toBe(tickets.get(s));
    });
    expect(seen.size).toBe(299);
  });

  it('a join after the opening second, before any tick, takes a number after the pre-queue, not a ticket', async () => {
    const id = await newDeal({ startsIn: 600 });
    for (const s of ['early1', 'early2']) expect((await rooms.join(id, s, true)).status).toBe('pre');
    await pause(700); // the opening passed; nobody has ticked the room since
    expect(await rooms.join(id, 'after', true)).toMatchObject({ status: 'waiting', number: 3 });
    const t = await rooms.tick(id, 'gw-test', 0);
    expect(t).toMatchObject({ state: 'drawing', draw: true, entries: 2 });
    await rooms.draw(id);
    expect((await tick(id)).state).toBe('open');
    expect((await rooms.numbersOf(id, ['early1', 'early2', 'after'])).sort()).toEqual([1, 2, 3]);
  });

  it('an empty pre-queue at a late first join opens the line at once', async () => {
    const id = await newDeal({ startsIn: -100 });
    expect(await rooms.join(id, 'first', true)).toMatchObject({ status: 'waiting', number: 1 });
    const t = await tick(id);
    expect(t).toMatchObject({ state: 'open', entries: 0 });
    expect(commitOf(t.seed)).toBe(t.commit);
  });

  it('FIFO after the opening, and stock-aware: stops at the stock, resumes when holds expire', async () => {
    const id = await newDeal({ stock: 3, holdSeconds: 5 });
    await rooms.warm(id, { ...settings, windowSeconds: 1 });
    await tick(id);
    for (let i = 1; i <= 8; i++) await rooms.join(id, `f${i}`, true);
    let t = await tick(id);
    // 3 units available, nobody holds anything: 3 admitted, in arrival order
    expect(t.serving).toBe(3);
    expect(await rooms.windowsOf(id, ['f1', 'f2', 'f3', 'f4'])).toEqual([expect.any(Number), expect.any(Number), expect.any(Number), 0]);
    t = await tick(id);
    expect(t.serving).toBe(3); // they have not grabbed: pending = 3 = available
    const grabbed = await stock.grabBatch(id, [1, 2, 3].map((i) => ({ shopper: `f${i}`, qty: 1, rid: `r${i}` })));
    expect(grabbed.decisions.every((d) => d.ok)).toBe(true);
    await pause(1_100); // their windows are over: nobody waits for a unit any more
    t = await tick(id);
    // yet nothing is available (held units count 0 with ROOM_HELD_RETURN=0): nobody more is
    // admitted, and the room stays open since the holds may come back
    expect(t.serving).toBe(3);
    expect(t.state).toBe('open');
    // two holds expire: two more, from the front
    const holds = grabbed.decisions.flatMap((d) => (d.ok ? [d.hold] : []));
    await stock.releaseExpiredHold(holds[0]!, true);
    await stock.releaseExpiredHold(holds[1]!, true);
    t = await tick(id);
    expect(t.serving).toBe(5);
    expect((await rooms.join(id, 'f4', false)).status).toBe('admitted');
    expect((await rooms.join(id, 'f6', false))).toMatchObject({ status: 'waiting', number: 6 });
  });

  it('closes sold out when nothing is available or held, and says why', async () => {
    const id = await newDeal({ stock: 1 });
    await tick(id);
    await rooms.join(id, 'x1', true);
    await rooms.join(id, 'x2', true);
    await tick(id);
    const g = await stock.grabBatch(id, [{ shopper: 'x1', qty: 1, rid: 'a' }]);
    expect(g.decisions[0]!.ok).toBe(true);
    if (g.decisions[0]!.ok) await stock.confirmPayment(g.decisions[0]!.hold, 'x1');
    const t = await tick(id);
    expect(t).toMatchObject({ state: 'closed', reason: 'sold_out' });
    expect(t.soldOutAt).toBeGreaterThan(0);
    expect(await rooms.join(id, 'x3', true)).toMatchObject({ status: 'closed', reason: 'sold_out' });
  });

  it('an abandoned place is skipped without stalling the line; a present one keeps it', async () => {
    const id = await newDeal({ stock: 50 });
    await rooms.warm(id, { ...settings, graceSeconds: 1 });
    await tick(id);
    await rooms.control(id, { paused: true });
    for (const s of ['a1', 'gone1', 'gone2', 'a2']) await rooms.join(id, s, true);
    await pause(1_100);
    // the gateway still sees a1 and a2; gone1 and gone2 dropped their sockets
    const now = (await rooms.tick(id, 'gw', 0)).now;
    await rooms.markPresent(id, ['a1', 'a2'], now);
    await rooms.control(id, { paused: false, outflow: 2 });
    let t = await tick(id);
    for (let i = 0; i < 40 && t.serving < 4; i++) t = await tick(id);
    expect(t.serving).toBe(4);
    expect(t.abandoned).toBe(2);
    expect(t.admitted).toBe(2);
    expect((await rooms.windowsOf(id, ['a1', 'gone1', 'gone2', 'a2'])).map((w) => w > 0)).toEqual([true, false, false, true]);
    // the abandoned shopper's place is spent: coming back takes a new one at the back
    expect((await rooms.join(id, 'gone1', false)).status).toBe('pow');
  });

  it('pause holds the line; the ops outflow is per second', async () => {
    const id = await newDeal({ stock: 100 });
    await tick(id);
    await rooms.control(id, { paused: true });
    for (let i = 0; i < 5; i++) await rooms.join(id, `q${i}`, true);
    expect((await tick(id)).serving).toBe(0);
    await rooms.control(id, { paused: false });
    expect((await tick(id)).serving).toBeGreaterThan(0);
  });
});
