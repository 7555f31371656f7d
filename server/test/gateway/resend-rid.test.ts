// A resend after a failover: the gateway that held the shopper's socket died after Redis made the
// hold and before the answer left; the shopper reconnects to another gateway and resends the
// same rid, marked `retry: true`. By then that gateway's cache says the deal is sold out (or
// ended), and a local answer would tell the shopper they lost a unit Redis holds for them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, startEngineIn, seedDeals, warmNow, newSession, type RunningEngine } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { waitFor } from '../helpers/test-env.ts';
import { StockStore } from '../../src/stock/stock-store.ts';

describe('a resent rid on another gateway gets its first answer', () => {
  let a: RunningEngine;
  let b: RunningEngine;
  let soldOutDeal: string;
  let festivalId: string;
  const sockets: ShopperSocket[] = [];

  beforeAll(async () => {
    a = await startEngine();
    b = await startEngineIn(a.env, { FF_ROLE: 'gateway' });
    const seeded = await seedDeals(a.env.pool, [{ stock: 3, limit: 1, startsIn: -1_000 }]);
    festivalId = seeded.festivalId;
    [soldOutDeal] = seeded.dealIds as [string];
    await warmNow(a.env, seeded.dealIds);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await b?.stop();
    await a?.stop();
    await a?.env.cleanup();
  });

  async function socketOn(engine: RunningEngine, token: string): Promise<ShopperSocket> {
    const s = await ShopperSocket.open(engine.wsUrl, token);
    sockets.push(s);
    return s;
  }

  /** Waits until gateway `engine`'s cache answers a fresh rid locally with `code`. */
  async function cacheSays(engine: RunningEngine, deal: string, code: string, festival = festivalId): Promise<void> {
    const probe = await socketOn(engine, (await newSession(engine.url)).token);
    probe.send({ t: 'sub', festival });
    let n = 0;
    await waitFor(async () => {
      const rid = `probe-${n++}`;
      probe.send({ t: 'grab', deal, qty: 1, rid });
      const answer = await probe.answerTo(rid);
      return answer.t === 'refused' && answer.code === code;
    }, `gateway cache to say ${code}`, 15_000, 100);
  }

  it('sold out: the held rid resent with retry on the other gateway gets its hold back, not sold_out', async () => {
    const shoppers = await Promise.all([1, 2, 3].map(() => newSession(a.url)));
    const held = [];
    for (const [i, s] of shoppers.entries()) {
      const ws = await socketOn(a, s.token);
      ws.send({ t: 'grab', deal: soldOutDeal, qty: 1, rid: `first-${i}` });
      const answer = await ws.answerTo(`first-${i}`);
      expect(answer).toMatchObject({ t: 'held' });
      held.push(answer);
    }
    await cacheSays(b, soldOutDeal, 'sold_out');

    for (const [i, s] of shoppers.entries()) {
      const ws = await socketOn(b, s.token);
      ws.send({ t: 'grab', deal: soldOutDeal, qty: 1, rid: `first-${i}`, retry: true });
      expect(await ws.answerTo(`first-${i}`)).toEqual(held[i]);
    }
    const stock = new StockStore(a.env.redis, a.config.keyPrefix);
    expect(await stock.listHolds(soldOutDeal)).toHaveLength(3);
    expect((await stock.readDeal(soldOutDeal))!).toMatchObject({ available: 0, held: 3 });
  });

  it('a fresh rid on a sold-out deal is still answered from the cache; retry on a fresh rid asks Redis', async () => {
    const s = await socketOn(b, (await newSession(b.url)).token);
    s.send({ t: 'grab', deal: soldOutDeal, qty: 1, rid: 'fresh-1' });
    expect(await s.answerTo('fresh-1')).toMatchObject({ t: 'refused', code: 'sold_out' });
    s.send({ t: 'grab', deal: soldOutDeal, qty: 1, rid: 'fresh-2', retry: true });
    expect(await s.answerTo('fresh-2')).toMatchObject({ t: 'refused', code: 'sold_out' });
  });

  it('ended: the held rid resent with retry after the end gets its hold back, not ended', async () => {
    // seeded here, not with the others: its few seconds must not be spent by the tests before it
    const { festivalId: endingFestival, dealIds: [endingDeal] } = await seedDeals(a.env.pool, [{ stock: 5, limit: 1, startsIn: -1_000, durationMs: 3_000 }]);
    await warmNow(a.env, [endingDeal!]);
    const session = await newSession(a.url);
    const ws = await socketOn(a, session.token);
    ws.send({ t: 'grab', deal: endingDeal!, qty: 1, rid: 'before-end' });
    const first = await ws.answerTo('before-end');
    expect(first).toMatchObject({ t: 'held' });
    await cacheSays(b, endingDeal!, 'ended', endingFestival);

    const again = await socketOn(b, session.token);
    again.send({ t: 'grab', deal: endingDeal!, qty: 1, rid: 'before-end', retry: true });
    expect(await again.answerTo('before-end')).toEqual(first);
  });

  it('retry must be exactly true', async () => {
    const s = await socketOn(b, (await newSession(b.url)).token);
    s.send({ t: 'grab', deal: soldOutDeal, qty: 1, rid: 'bad-retry', retry: 1 });
    expect(await s.answerTo('bad-retry')).toMatchObject({ t: 'refused', code: 'invalid' });
  });
});
