// A shopper whose socket was down when their hold was paid or expired missed that push; the
// next `sub` (every page sends one after each reconnect) answers with the state of their holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, seedDeals, warmNow, newSession, type RunningEngine } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { waitFor } from '../helpers/test-env.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import type { HoldsMsg, ServerMessage } from '../../src/shared/protocol.ts';

describe('holds on (re)subscribe', () => {
  let engine: RunningEngine;
  let festivalId: string;
  let dealId: string;
  let stock: StockStore;
  const sockets: ShopperSocket[] = [];

  beforeAll(async () => {
    engine = await startEngine();
    const seeded = await seedDeals(engine.env.pool, [{ stock: 10, limit: 3, startsIn: -1_000, holdSeconds: 5 }]);
    festivalId = seeded.festivalId;
    dealId = seeded.dealIds[0]!;
    await warmNow(engine.env, [dealId]);
    stock = new StockStore(engine.env.redis, engine.config.keyPrefix);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await engine?.stop();
    await engine?.env.cleanup();
  });

  async function open(token: string): Promise<ShopperSocket> {
    const s = await ShopperSocket.open(engine.wsUrl, token);
    sockets.push(s);
    return s;
  }
  const isHolds = (m: ServerMessage): m is HoldsMsg => m.t === 'holds';
  const orderStatus = async (hold: string) =>
    (await engine.env.pool.query<{ status: string }>('SELECT status FROM orders WHERE hold_id = $1', [hold])).rows[0]?.status;

  async function holdOne(ws: ShopperSocket, rid: string): Promise<string> {
    ws.send({ t: 'grab', deal: dealId, qty: 1, rid });
    const answer = await ws.answerTo(rid);
    if (answer.t !== 'held') throw new Error(`not held: ${JSON.stringify(answer)}`);
    return answer.hold;
  }

  it('a reconnecting shopper learns that one hold was paid and another expired while away', async () => {
    const session = await newSession(engine.url);
    const first = await open(session.token);
    const paid = await holdOne(first, 'h-paid');
    const expired = await holdOne(first, 'h-expired');
    first.send({ t: 'pay', hold: paid, rid: 'p-1' });
    await first.waitFor((m) => m.t === 'paid' && m.hold === paid);
    first.close();
    await waitFor(async () => (await orderStatus(expired)) === 'cancelled', 'the unpaid hold to expire', 20_000, 100);

    const again = await open(session.token);
    again.send({ t: 'sub', festival: festivalId });
    const msg = await again.waitFor(isHolds) as HoldsMsg;
    expect(msg.holds).toEqual(expect.arrayContaining([
      expect.objectContaining({ hold: paid, deal: dealId, qty: 1, status: 'paid' }),
      expect.objectContaining({ hold: expired, deal: dealId, qty: 1, status: 'cancelled' }),
    ]));
    expect(msg.holds).toHaveLength(2);
  });

  it('Redis decides a pending order row: a hold released in Redis is cancelled, not pending', async () => {
    const session = await newSession(engine.url);
    const ws = await open(session.token);
    const hold = await holdOne(ws, 'h-redis');
    await waitFor(async () => (await orderStatus(hold)) === 'pending', 'the order row', 10_000, 50);
    // the release as the expiry worker's first step makes it, before Postgres hears of it
    await stock.releaseExpiredHold(hold, true);
    ws.send({ t: 'sub', festival: festivalId });
    const msg = await ws.waitFor(isHolds) as HoldsMsg;
    expect(msg.holds.find((h) => h.hold === hold)).toMatchObject({ status: 'cancelled' });
  });

  it('another shopper sees none of them', async () => {
    const ws = await open((await newSession(engine.url)).token);
    ws.send({ t: 'sub', festival: festivalId });
    expect(await ws.waitFor(isHolds)).toEqual({ t: 'holds', holds: [] });
  });
});
