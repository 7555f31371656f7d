// A shopper's news (order admitted, paid, expired) travels worker -> Redis pub/sub -> every
// gateway -> the shopper's own sockets, as text rendered once in the worker. Here: the wire
// format's edges, and a real engine telling each shopper about their own order and nobody else's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSession, seedDeals, startEngine, warmNow, type RunningEngine } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { eachShopperFrame, encodeShopperNews, parseShopperNews, type ShopperNews } from '../../src/live/shopper-news.ts';
import type { ServerMessage } from '../../src/shared/protocol.ts';

describe('shopper news wire format', () => {
  // tabs, newlines and quotes inside a message's strings must not break a line
  const news: ShopperNews[] = [
    { shopper: 'shopper-a', msg: { t: 'expired', hold: 'h\t1', deal: 'd\n"2"' } as ServerMessage },
    { shopper: 'shopper-b', msg: { t: 'order', hold: 'd2-7', deal: 'd2', qty: 3, status: 'pending' } as ServerMessage },
  ];

  it('round-trips news, and hands the gateway the frame text JSON.stringify gives', () => {
    const raw = encodeShopperNews(news);
    expect(parseShopperNews(raw)).toEqual(news);
    const frames: [string, string][] = [];
    eachShopperFrame(raw, (shopper, frame) => frames.push([shopper, frame]));
    expect(frames).toEqual(news.map((n) => [n.shopper, JSON.stringify(n.msg)]));
  });

  it('refuses a shopper id that would break a line, and a malformed message before delivering any of it', () => {
    expect(() => encodeShopperNews([{ shopper: 'a\tb', msg: news[0]!.msg }])).toThrow(/tab or newline/);
    const delivered: string[] = [];
    const raw = `${encodeShopperNews(news)}\nno-tab-here`;
    expect(() => eachShopperFrame(raw, (shopper) => delivered.push(shopper))).toThrow(/<shopper>/);
    expect(() => eachShopperFrame('\t{"t":"order"}', (shopper) => delivered.push(shopper))).toThrow(/<shopper>/);
    expect(delivered).toEqual([]);
  });
});

describe('shopper news through a running engine', () => {
  let engine: RunningEngine;
  let dealId: string;
  const sockets: ShopperSocket[] = [];

  beforeAll(async () => {
    engine = await startEngine();
    const seeded = await seedDeals(engine.env.pool, [{ stock: 10, limit: 2, startsIn: -1_000 }]);
    dealId = seeded.dealIds[0]!;
    await warmNow(engine.env, [dealId]);
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await engine?.stop();
    await engine?.env.cleanup();
  });

  /** Two sockets of one shopper: the one that grabs, and another (a second tab) */
  const openShopper = async () => {
    const { token } = await newSession(engine.url);
    const pair = [await ShopperSocket.open(engine.wsUrl, token), await ShopperSocket.open(engine.wsUrl, token)] as const;
    sockets.push(...pair);
    return pair;
  };
  const orderNews = (s: ShopperSocket) => s.messages.filter((m) => m.t === 'order');
  /** Everything sent to `s` before this call has arrived: the pong comes behind it. */
  const settled = async (s: ShopperSocket) => {
    s.send({ t: 'ping', c: Date.now() });
    await s.waitFor((m) => m.t === 'pong');
  };

  it("tells each shopper's other sockets about their own order once it is written, and nobody else", async () => {
    const [a, aTab] = await openShopper();
    const [b, bTab] = await openShopper();
    a.send({ t: 'grab', deal: dealId, qty: 1, rid: 'a1' });
    const heldA = await a.answerTo('a1');
    expect(heldA).toMatchObject({ t: 'held', deal: dealId, qty: 1 });
    const holdA = (heldA as { hold: string }).hold;
    expect(await aTab.waitFor((m) => m.t === 'order')).toEqual({ t: 'order', hold: holdA, deal: dealId, qty: 1, status: 'pending' });

    // had A's news reached B, it would be in B's messages before B's own
    b.send({ t: 'grab', deal: dealId, qty: 2, rid: 'b1' });
    const holdB = ((await b.answerTo('b1')) as { hold: string }).hold;
    await bTab.waitFor((m) => m.t === 'order');
    expect(orderNews(bTab)).toEqual([{ t: 'order', hold: holdB, deal: dealId, qty: 2, status: 'pending' }]);
    expect(orderNews(aTab)).toEqual([{ t: 'order', hold: holdA, deal: dealId, qty: 1, status: 'pending' }]);
    // the sockets that grabbed had it all in their `held` answers
    await Promise.all([settled(a), settled(b)]);
    expect([...orderNews(a), ...orderNews(b)]).toEqual([]);
  }, 30_000);
});
