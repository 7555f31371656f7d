// A shopper's news goes only to the gateways that hold a socket of that shopper (the route
// directory, live/shopper-routes.ts), and follows a shopper who reconnects to another gateway.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSession, seedDeals, startEngine, startEngineIn, warmNow, type RunningEngine } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { onCluster, waitFor } from '../helpers/test-env.ts';
import calculateSlot from 'cluster-key-slot';
import { NewsTap } from '../helpers/news-tap.ts';
import { channels, createSubscriber, Subscription } from '../../src/channels.ts';
import { gatewaysOf, routeKey, ROUTE_TTL_MS, ShopperRoutes } from '../../src/live/shopper-routes.ts';
import { createLogger } from '../../src/logger.ts';
import type { Redis } from 'ioredis';
import { parseShopperNews, publishShopperNews } from '../../src/live/shopper-news.ts';
import type { HoldsMsg, ServerMessage } from '../../src/shared/protocol.ts';
import type { RedisClient } from '../../src/redis.ts';

describe('shopper news routed to the gateways holding the shopper', () => {
  let a: RunningEngine;
  let b: RunningEngine;
  let festivalId: string;
  let dealId: string;
  let shortDealId: string;
  let spyConnection: RedisClient;
  let spy: Subscription;
  /** shoppers whose news each gateway's channel carried */
  const heard = new Map<string, string[]>();
  const sockets: ShopperSocket[] = [];

  beforeAll(async () => {
    a = await startEngine();
    b = await startEngineIn(a.env, { FF_ROLE: 'gateway' });
    const seeded = await seedDeals(a.env.pool, [
      { stock: 50, limit: 5, startsIn: -1_000 },
      { stock: 10, limit: 1, startsIn: -1_000, holdSeconds: 5 },
    ]);
    festivalId = seeded.festivalId;
    [dealId, shortDealId] = seeded.dealIds as [string, string];
    await warmNow(a.env, seeded.dealIds);
    spyConnection = createSubscriber(a.env.config);
    spy = await Subscription.open(spyConnection, [], (channel, raw) => {
      heard.set(channel, [...(heard.get(channel) ?? []), ...parseShopperNews(raw).map((n) => n.shopper)]);
    });
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await spy?.close();
    spyConnection?.disconnect();
    await b?.stop();
    await a?.stop();
    await a?.env.cleanup();
  });

  const open = async (engine: RunningEngine, token: string) => {
    const s = await ShopperSocket.open(engine.wsUrl, token);
    sockets.push(s);
    return s;
  };
  const routesOf = (shopper: string) => a.env.redis.zrange(routeKey(a.config.keyPrefix, shopper), '0', '-1');
  const grab = async (s: ShopperSocket, deal: string, rid: string) => {
    s.send({ t: 'grab', deal, qty: 1, rid });
    const answer = await s.answerTo(rid);
    if (answer.t !== 'held') throw new Error(`not held: ${JSON.stringify(answer)}`);
    return answer.hold;
  };
  const orderOf = (hold: string) => (m: ServerMessage) => m.t === 'order' && m.hold === hold;

  it('each gateway hears only the news of shoppers with a socket on it', async () => {
    const [sa, sb] = [await newSession(a.url), await newSession(b.url)];
    const onA = await open(a, sa.token);
    const onB = await open(b, sb.token);
    const [gwA] = await waitFor(async () => { const r = await routesOf(sa.shopperId); return r.length ? r : null; }, 'route of the shopper on A');
    const [gwB] = await waitFor(async () => { const r = await routesOf(sb.shopperId); return r.length ? r : null; }, 'route of the shopper on B');
    expect(gwA).not.toBe(gwB);
    const ch = channels(a.config.keyPrefix);
    await spy.add(ch.gateway(gwA!));
    await spy.add(ch.gateway(gwB!));

    await grab(onA, dealId, 'a1');
    await grab(onB, dealId, 'b1');
    await waitFor(() => heard.get(ch.gateway(gwA!))?.length && heard.get(ch.gateway(gwB!))?.length, 'both channels');
    expect(heard.get(ch.gateway(gwA!))).toEqual([sa.shopperId]);
    expect(heard.get(ch.gateway(gwB!))).toEqual([sb.shopperId]);
  }, 30_000);

  it("a hold's order news reaches the shopper's other sockets on both gateways, not the socket answered `held`", async () => {
    const s = await newSession(a.url);
    const onA = await open(a, s.token);
    const alsoOnA = await open(a, s.token);
    const onB = await open(b, s.token);
    await waitFor(async () => (await routesOf(s.shopperId)).length === 2, 'two routes');
    const hold = await grab(onA, dealId, 'both-1');
    await alsoOnA.waitFor(orderOf(hold));
    await onB.waitFor(orderOf(hold));
    // the news left gateway A for both of its sockets in one turn: a pong asked for after it
    // comes behind anything sent then
    onA.send({ t: 'ping', c: 1 });
    await onA.waitFor((m) => m.t === 'pong');
    expect(onA.messages.filter(orderOf(hold))).toEqual([]);
  }, 30_000);

  it("the order news of a hold whose grabbing socket closed at once reaches the shopper's socket that is left", async () => {
    // whether the news comes before or after the close (told-holds.test.ts has the closed
    // socket on its own), the socket left hears it
    const s = await newSession(a.url);
    const grabbing = await open(a, s.token);
    const left = await open(a, s.token);
    await waitFor(async () => (await routesOf(s.shopperId)).length === 1, 'the route');
    const hold = await grab(grabbing, dealId, 'closed-1');
    grabbing.close();
    await left.waitFor(orderOf(hold));
  }, 30_000);

  it('a shopper who moves to another gateway learns there what happened meanwhile, and gets the news that follows', async () => {
    const s = await newSession(a.url);
    const first = await open(a, s.token);
    const hold = await grab(first, shortDealId, 'move-1');
    await waitFor(async () => (await a.env.pool.query('SELECT 1 FROM orders WHERE hold_id = $1', [hold])).rowCount === 1, 'the order row');
    first.close();
    await waitFor(async () => (await routesOf(s.shopperId)).length === 0, 'the route of the closed socket removed');

    const again = await open(b, s.token);
    again.send({ t: 'sub', festival: festivalId });
    const holds = await again.waitFor((m) => m.t === 'holds') as HoldsMsg;
    expect(holds.holds).toEqual([expect.objectContaining({ hold, status: 'pending' })]);
    // the unpaid hold expires a few seconds later: the news reaches the socket on B
    await again.waitFor((m) => m.t === 'expired' && m.hold === hold, 15_000);
  }, 30_000);

  it('a route is written before `registered` resolves, removed with the last socket, and skipped once stale', async () => {
    const tap = await NewsTap.open(a.env);
    try {
      const shopper = 'route-unit';
      tap.routes.opened(shopper);
      tap.routes.opened(shopper);
      await tap.routes.registered(shopper);
      expect(await routesOf(shopper)).toEqual([tap.routes.gatewayId]);
      expect(await gatewaysOf(a.env.redis, a.config.keyPrefix, [shopper])).toEqual([[tap.routes.gatewayId]]);
      // a gateway that died without removing itself stops counting after ROUTE_TTL_MS
      expect(await gatewaysOf(a.env.redis, a.config.keyPrefix, [shopper], Date.now() + ROUTE_TTL_MS + 1_000)).toEqual([[]]);

      await publishShopperNews(a.env.redis, a.config.keyPrefix, [{ shopper, msg: { t: 'expired', hold: 'h', deal: 'd' } as ServerMessage }]);
      await waitFor(() => tap.news.length === 1, 'the news on the tap');

      tap.routes.closed(shopper);
      expect(await routesOf(shopper)).toEqual([tap.routes.gatewayId]); // one socket is still open
      tap.routes.closed(shopper);
      await waitFor(async () => (await routesOf(shopper)).length === 0, 'the route removed');
    } finally {
      await tap.close();
    }
  });

  it("a batch's lookup answers each shopper its own live gateways, in order, in a few script calls", async () => {
    // the worker looks up every shopper of an order batch: a command per shopper cost it more
    // than anything else it did per order
    const redis = (a.env.redis as Redis).duplicate();
    const prefix = a.config.keyPrefix;
    const now = Date.now();
    const shoppers = Array.from({ length: 600 }, (_, i) => `lookup-${i}`);
    const expected = shoppers.map((_, i) => (i % 4 === 0 ? [] : i % 4 === 1 ? ['gw-a'] : i % 4 === 2 ? ['gw-a', 'gw:b.1'] : ['gw:b.1']));
    try {
      for (const [i, s] of shoppers.entries()) {
        const key = routeKey(prefix, s);
        for (const gw of expected[i]!) await redis.zadd(key, now - (gw === 'gw-a' ? 2 : 1), gw);
        // a gateway that went away: too old to count
        if (i % 3 === 0) await redis.zadd(key, now - ROUTE_TTL_MS - 1, 'gw-gone');
      }
      await gatewaysOf(redis, prefix, ['lookup-none']); // defines the script on this connection
      let calls = 0;
      const call = redis.ffGatewaysOf.bind(redis);
      redis.ffGatewaysOf = ((...args: Parameters<typeof call>) => { calls++; return call(...args); }) as typeof call;
      expect(await gatewaysOf(redis, prefix, shoppers, now)).toEqual(expected);
      expect(calls).toBeLessThanOrEqual(onCluster ? new Set(shoppers.map((s) => calculateSlot(routeKey(prefix, s)))).size : 3);
      // one shopper alone: the plain command
      calls = 0;
      expect(await gatewaysOf(redis, prefix, [shoppers[2]!], now)).toEqual([expected[2]]);
      expect(calls).toBe(0);
      expect(await gatewaysOf(redis, prefix, [], now)).toEqual([]);
      // the script answers ids joined by spaces and newlines: a gateway id never holds them
      for (const id of ['', 'gw a', 'gw\nb', 'gw\tc']) {
        expect(() => new ShopperRoutes(redis, prefix, id, createLogger('silent'))).toThrow(/white space/);
      }
    } finally {
      await Promise.all(shoppers.map((s) => redis.del(routeKey(prefix, s))));
      redis.disconnect();
    }
  });

  it('sockets opened in one turn are registered in a few script calls, each written before `registered` resolves', async () => {
    // a gateway taking over a dead one's shoppers opens thousands of sockets at once, and writes
    // every entry again when its connection comes back: a pipeline per socket was most of what
    // a connection cost it, and three commands per shopper in one pipeline were still a command
    // object, an encoding and a reply each
    const redis = (a.env.redis as Redis).duplicate();
    // the connection's own hand-shake is not what is counted
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
    let commands = 0;
    const sendCommand = redis.sendCommand.bind(redis);
    redis.sendCommand = ((...args: Parameters<typeof sendCommand>) => { commands++; return sendCommand(...args); }) as typeof redis.sendCommand;
    const routes = new ShopperRoutes(redis, a.config.keyPrefix, 'batch-gw', createLogger('silent'));
    try {
      const shoppers = Array.from({ length: 600 }, (_, i) => `batch-${i}`);
      for (const s of shoppers) routes.opened(s);
      // one closed before its batch left: no entry for it
      routes.closed(shoppers[599]!);
      await Promise.all(shoppers.slice(0, 599).map((s) => routes.registered(s)));
      // at most 3 batches, a script call each (twice when Redis did not know the script yet:
      // EVALSHA, then EVAL), and the ZREM of the closed one; on a cluster a call may only touch
      // one slot, so the bound there is a call per shopper at most
      expect(commands).toBeLessThanOrEqual(onCluster ? 2 * shoppers.length : 3 * 2 + 1);
      const written = await Promise.all(shoppers.map(routesOf));
      expect(written.slice(0, 599).every((r) => r.length === 1 && r[0] === 'batch-gw')).toBe(true);
      await waitFor(async () => (await routesOf(shoppers[599]!)).length === 0, 'no entry for the closed one');
    } finally {
      routes.stop();
      redis.disconnect();
    }
  });
});
