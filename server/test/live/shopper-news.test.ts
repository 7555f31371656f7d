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

  const openShopper = async () => {
    const s = await ShopperSocket.open(engine.wsUrl, (await newSession(engine.url)).token);
    sockets.push(s);
    return s;
  };
  const orderNews = (s: ShopperSocket) => s.messages.filter((m) => m.t === 'order');

  it('tells each shopper about their own order once it is written, and nobody else', async () => {
    const [a, b] = [await openShopper(), await openShopper()];
    a.send({ t: 'grab', deal: dealId, qty: 1, rid: 'a1' });
    const heldA = await a.answerTo('a1');
    expect(heldA).toMatchObject({ t: 'held', deal: dealId, qty: 1 });
    const holdA = (heldA as { hold: string }).hold;
    expect(await a.waitFor((m) => m.t === 'order')).toEqual({ t: 'order', hold: holdA, deal: dealId, qty: 1, status: 'pending' });

    // had A's news reached B, it would be in B's messages before B's own
    b.send({ t: 'grab', deal: dealId, qty: 2, rid: 'b1' });
    const holdB = ((await b.answerTo('b1')) as { hold: string }).hold;
    await b.waitFor((m) => m.t === 'order');
    expect(orderNews(b)).toEqual([{ t: 'order', hold: holdB, deal: dealId, qty: 2, status: 'pending' }]);
    expect(orderNews(a)).toEqual([{ t: 'order', hold: holdA, deal: dealId, qty: 1, status: 'pending' }]);
  }, 30_000);
});
