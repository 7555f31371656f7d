// Checkout's server side: a `pay` names a method; the provider must offer it and the deal must
// accept it (cash on delivery only where the brand allows it), else it is refused with its own
// code and nothing is charged. The answer and the order list carry the readable order number.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, seedDeals, warmNow, newSession, type RunningEngine } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { waitFor } from '../helpers/test-env.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { orderNumber } from '../../src/shared/order-number.ts';
import type { OrderView, ServerMessage } from '../../src/shared/protocol.ts';

describe('payment methods', () => {
  let engine: RunningEngine;
  let prepaidDeal: string;
  let codDeal: string;
  let stock: StockStore;
  let ws: ShopperSocket;
  let token: string;

  beforeAll(async () => {
    engine = await startEngine();
    const seeded = await seedDeals(engine.env.pool, [
      { title: 'Phone', stock: 5, limit: 2, startsIn: -1_000 },
      { title: 'Spice box', stock: 5, limit: 5, startsIn: -1_000, paymentMethods: ['wallet', 'card', 'cod'] },
    ]);
    [prepaidDeal, codDeal] = seeded.dealIds as [string, string];
    await warmNow(engine.env, seeded.dealIds);
    stock = new StockStore(engine.env.redis, engine.config.keyPrefix);
    token = (await newSession(engine.url)).token;
    ws = await ShopperSocket.open(engine.wsUrl, token);
  });
  afterAll(async () => {
    ws?.close();
    await engine?.stop();
    await engine?.env.cleanup();
  });

  async function holdOne(deal: string, rid: string): Promise<string> {
    ws.send({ t: 'grab', deal, qty: 1, rid });
    const answer = await ws.answerTo(rid);
    if (answer.t !== 'held') throw new Error(`not held: ${JSON.stringify(answer)}`);
    return answer.hold;
  }
  const answerTo = (rid: string) =>
    ws.waitFor((m: ServerMessage) => (m.t === 'paid' || m.t === 'refused') && 'rid' in m && m.rid === rid);
  const payments = async (hold: string) =>
    (await engine.env.pool.query<{ method: string | null; provider_ref: string }>(
      'SELECT method, provider_ref FROM payments WHERE hold_id = $1', [hold])).rows;

  async function expectNothingCharged(deal: string, hold: string) {
    expect((await stock.readHold(hold))?.state).toBe('held');
    expect(await engine.env.redis.hlen(stock.keys(deal).charges)).toBe(0);
    expect(await engine.env.redis.exists(`${engine.config.keyPrefix}:payments:p-${hold}`)).toBe(0);
    expect(await payments(hold)).toEqual([]);
  }

  it('cash on delivery on a deal that does not accept it is refused method_not_allowed, nothing charged', async () => {
    const hold = await holdOne(prepaidDeal, 'g-cod-refused');
    ws.send({ t: 'pay', hold, rid: 'p-cod-refused', method: 'cod' });
    expect(await answerTo('p-cod-refused')).toMatchObject({ t: 'refused', hold, code: 'method_not_allowed' });
    expect((await answerTo('p-cod-refused') as { message: string }).message).toMatch(/nothing was charged/);
    await expectNothingCharged(prepaidDeal, hold);

    // the same hold can still be paid with a method the deal accepts
    ws.send({ t: 'pay', hold, rid: 'p-card', method: 'card' });
    expect(await answerTo('p-card')).toMatchObject({ t: 'paid', hold, method: 'card', orderNo: orderNumber(hold) });
    const rows = await waitFor(async () => ((await payments(hold)).length ? payments(hold) : null), 'payment row');
    expect(rows).toEqual([{ method: 'card', provider_ref: expect.stringMatching(/^demo-card-/) }]);
  });

  it('a method the provider does not offer is refused unknown_method; a malformed one invalid', async () => {
    const hold = await holdOne(prepaidDeal, 'g-unknown');
    ws.send({ t: 'pay', hold, rid: 'p-bitcoin', method: 'bitcoin' });
    expect(await answerTo('p-bitcoin')).toMatchObject({ t: 'refused', hold, code: 'unknown_method' });
    ws.send({ t: 'pay', hold, rid: 'p-bad', method: 'Card; DROP' });
    expect(await answerTo('p-bad')).toMatchObject({ t: 'refused', hold, code: 'invalid' });
    await expectNothingCharged(prepaidDeal, hold);
  });

  it('cash on delivery where the deal accepts it confirms the order; the order list shows number and method', async () => {
    const hold = await holdOne(codDeal, 'g-cod');
    ws.send({ t: 'pay', hold, rid: 'p-cod', method: 'cod' });
    expect(await answerTo('p-cod')).toMatchObject({ t: 'paid', hold, method: 'cod' });
    await waitFor(async () => (await payments(hold))[0]?.method === 'cod', 'cod payment row');

    const res = await fetch(`${engine.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } });
    const { orders } = (await res.json()) as { orders: OrderView[] };
    const mine = orders.find((o) => o.hold === hold);
    expect(mine).toMatchObject({ orderNo: orderNumber(hold), status: 'paid', method: 'cod' });
    expect(mine!.orderNo).toMatch(/^FF-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  });

  it('ops find an order by the number its shopper quotes (typed loosely); a typo is refused, not guessed', async () => {
    const hold = await holdOne(codDeal, 'g-lookup');
    ws.send({ t: 'pay', hold, rid: 'p-lookup', method: 'wallet' });
    await answerTo('p-lookup');
    await waitFor(async () => (await payments(hold)).length === 1, 'payment row');
    const no = orderNumber(hold)!;
    const lookUp = (path: string, auth = `Bearer ${engine.config.opsToken}`) =>
      fetch(`${engine.url}/api/ops/orders/${path}`, { headers: { authorization: auth } });

    const res = await lookUp(encodeURIComponent(no.toLowerCase().replace(/-/g, ' ')));
    expect(res.status).toBe(200);
    expect((await res.json() as { order: unknown }).order).toMatchObject({
      hold, orderNo: no, status: 'paid', method: 'wallet', brand: 'Test Brand', title: 'Spice box', provider: 'demo',
    });
    const last = no.at(-1) === '0' ? '1' : '0';
    const typo = await lookUp(no.slice(0, -1) + last);
    expect(typo.status).toBe(400);
    expect(await typo.json()).toMatchObject({ code: 'invalid' });
    expect((await lookUp(orderNumber(`${codDeal}-999`)!)).status).toBe(404);
    expect((await lookUp(no, 'Bearer wrong-token-wrong-token')).status).toBe(401);
  });

  it('a pay without a method (clients before checkout) pays by card', async () => {
    const hold = await holdOne(codDeal, 'g-default');
    ws.send({ t: 'pay', hold, rid: 'p-default' });
    expect(await answerTo('p-default')).toMatchObject({ t: 'paid', hold, method: 'card' });
  });

  it('the festival lists each deal with the methods it accepts', async () => {
    const res = await fetch(`${engine.url}/api/festivals/current`);
    const festival = (await res.json()) as { deals: { id: string; paymentMethods: string[] }[] };
    expect(festival.deals.find((d) => d.id === prepaidDeal)?.paymentMethods).toEqual(['wallet', 'card']);
    expect(festival.deals.find((d) => d.id === codDeal)?.paymentMethods).toEqual(['wallet', 'card', 'cod']);
  });
});
