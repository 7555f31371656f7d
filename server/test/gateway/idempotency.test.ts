// A repeated rid gets its first answer: ten concurrent sends make one hold and ten identical
// answers, also from a second socket of the same shopper (a reconnect resending in-flight grabs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, seedDeals, warmNow, newSession, type RunningEngine } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { StockStore } from '../../src/stock/stock-store.ts';

describe('idempotent grabs', () => {
  let engine: RunningEngine;
  let dealId: string;
  let stock: StockStore;

  beforeAll(async () => {
    engine = await startEngine();
    dealId = (await seedDeals(engine.env.pool, [{ stock: 10, limit: 3, startsIn: -1_000 }])).dealIds[0]!;
    await warmNow(engine.env, [dealId]);
    stock = new StockStore(engine.env.redis, engine.config.keyPrefix);
  });
  afterAll(async () => {
    await engine?.stop();
    await engine?.env.cleanup();
  });

  it('the same rid sent 10 times concurrently gives one hold and ten identical answers', async () => {
    const session = await newSession(engine.url);
    const a = await ShopperSocket.open(engine.wsUrl, session.token);
    const b = await ShopperSocket.open(engine.wsUrl, session.token);
    const rid = 'same-rid-1';
    for (let i = 0; i < 10; i++) a.send({ t: 'grab', deal: dealId, qty: 2, rid });
    await a.waitFor(() => a.messages.filter((m) => 'rid' in m && m.rid === rid).length === 10);
    const answers = a.messages.filter((m) => 'rid' in m && m.rid === rid);
    expect(answers).toHaveLength(10);
    expect(answers[0]).toMatchObject({ t: 'held', rid, deal: dealId, qty: 2 });
    for (const m of answers) expect(m).toEqual(answers[0]);

    // the same shopper on another socket (after a reconnect) resends: same answer again
    b.send({ t: 'grab', deal: dealId, qty: 2, rid });
    expect(await b.answerTo(rid)).toEqual(answers[0]);

    const deal = (await stock.readDeal(dealId))!;
    expect(deal).toMatchObject({ available: 8, held: 2 });
    expect(await stock.listHolds(dealId)).toHaveLength(1);

    // another shopper may use the same rid string: idempotency is per shopper
    const other = await ShopperSocket.open(engine.wsUrl, (await newSession(engine.url)).token);
    other.send({ t: 'grab', deal: dealId, qty: 1, rid });
    const theirs = await other.answerTo(rid);
    expect(theirs).toMatchObject({ t: 'held', qty: 1 });
    expect(theirs.t === 'held' && answers[0]!.t === 'held' && theirs.hold !== answers[0].hold).toBe(true);
    for (const s of [a, b, other]) s.close();
  });

  it('a refusal is repeated too: a rid refused for the limit stays refused', async () => {
    const s = await ShopperSocket.open(engine.wsUrl, (await newSession(engine.url)).token);
    s.send({ t: 'grab', deal: dealId, qty: 2, rid: 'r-first' });
    expect(await s.answerTo('r-first')).toMatchObject({ t: 'held' });
    s.send({ t: 'grab', deal: dealId, qty: 2, rid: 'r-over' });
    expect(await s.answerTo('r-over')).toMatchObject({ t: 'refused', code: 'limit_reached' });
    s.messages.length = 0;
    s.send({ t: 'grab', deal: dealId, qty: 2, rid: 'r-over' });
    expect(await s.answerTo('r-over')).toMatchObject({ t: 'refused', code: 'limit_reached' });
    s.close();
  });
});
