// A shopper's news (`paid`, `expired`) travels over pub/sub, which delivers at most once: what a
// gateway misses while its subscriber connection is down, or while the shopper's route entry is
// missing from Redis, is gone. Both happen around a Redis restart (issue 13's chaos run: the
// surviving gateway re-subscribed 18 s after Redis was back, and 2,892 holds' shoppers were
// never told how they ended). The gateway catches up: once its subscriptions are back it sends
// every socket its holds again, and once its connection is back it writes every route entry
// again (a restart from an append-only file may have lost the last ones) and tells those
// shoppers their holds.
//
// A private Redis (the shared one must not lose its subscribers or be restarted), a gateway
// without workers: the test expires holds itself, at the moment it needs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { newSession, seedDeals, startEngineIn, warmNow, type RunningEngine } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.ts';
import { expireHoldNow } from '../../src/admission/index.ts';
import { newStats } from '../../src/admission/deps.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { routeKey } from '../../src/live/shopper-routes.ts';
import { channels } from '../../src/channels.ts';
import type { HoldsMsg, ServerMessage } from '../../src/shared/protocol.ts';

describe('news a gateway missed while cut off from Redis still reaches the shopper', () => {
  let redis: PrivateRedis;
  let env: TestEnv;
  let engine: RunningEngine;
  let stock: StockStore;
  let festivalId: string;
  let dealId: string;
  const sockets: ShopperSocket[] = [];

  beforeAll(async () => {
    // every write on disk before it is acknowledged: what the restart below loses is only what
    // the test deletes on purpose
    redis = await startPrivateRedis({ aof: true, args: ['--appendfsync', 'always'] });
    env = await createTestEnv({ REDIS_URL: redis.url });
    env.redis.on('error', () => {});
    stock = new StockStore(env.redis, env.config.keyPrefix);
    const seeded = await seedDeals(env.pool, [{ stock: 100, limit: 10, startsIn: -1_000, holdSeconds: 5 }]);
    festivalId = seeded.festivalId;
    dealId = seeded.dealIds[0]!;
    await warmNow(env, [dealId]);
    engine = await startEngineIn(env, { FF_ROLE: 'gateway' });
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await engine?.stop();
    await env?.cleanup();
    await redis?.stop();
  });

  const expireDeps = () => ({ config: env.config, redis: env.redis, pool: env.pool, stock, stats: newStats() });

  /** A subscribed shopper socket holding one unit; resolves once the hold is past its expiry. */
  async function shopperWithHold(rid: string): Promise<{ socket: ShopperSocket; shopper: string; hold: string }> {
    const session = await newSession(engine.url);
    const socket = await ShopperSocket.open(engine.wsUrl, session.token);
    sockets.push(socket);
    socket.send({ t: 'sub', festival: festivalId });
    await socket.waitFor((m) => m.t === 'holds');
    socket.send({ t: 'grab', deal: dealId, qty: 1, rid });
    const answer = await socket.answerTo(rid);
    if (answer.t !== 'held') throw new Error(`not held: ${JSON.stringify(answer)}`);
    await new Promise((r) => setTimeout(r, Math.max(0, answer.expiresAt - Date.now() + 100)));
    return { socket, shopper: session.shopperId, hold: answer.hold };
  }

  const told = (hold: string) => (m: ServerMessage) =>
    (m.t === 'expired' && m.hold === hold) || (m.t === 'holds' && (m as HoldsMsg).holds.some((h) => h.hold === hold && h.status === 'cancelled'));

  it('a news published while the gateway\'s subscription was down is told once it is back', async () => {
    const { socket, hold } = await shopperWithHold('sub-gap-1');
    // The hold ends and its news is lost: released without its publish (a second run finishes
    // Postgres and tells no one), which is what the shopper sees of a news published while the
    // gateway's subscriber connection was down, however quickly it comes back ...
    expect(await stock.releaseExpiredHold(hold)).toMatchObject({ released: true });
    expect(await expireHoldNow(expireDeps(), hold)).toMatchObject({ released: false, reason: 'already_released' });
    // ... and that connection drops (as when Redis restarts or the network blips)
    await env.redis.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await socket.waitFor(told(hold), 10_000);
  }, 30_000);

  it('a route entry lost with a Redis restart is written again, and the news that follows reaches the shopper', async () => {
    const { socket, shopper, hold } = await shopperWithHold('route-lost-1');
    const key = routeKey(env.config.keyPrefix, shopper);
    expect(await env.redis.zcard(key)).toBe(1);
    // Redis comes back without the entry: with appendfsync everysec a kill -9 loses up to the
    // last second or two of writes, and a gateway taking over a dead one's shoppers writes
    // thousands of entries in that second
    await env.redis.del(key);
    await redis.kill();
    await redis.restart();
    await waitFor(async () => (await env.redis.zcard(key).catch(() => 0)) === 1, 'the route entry written again', 10_000);
    // and the gateway listens on its channel again (a news published before that is told by
    // the holds the gateway sends once it does: the first test)
    const [gateway] = await env.redis.zrange(key, '0', '-1');
    const channel = channels(env.config.keyPrefix).gateway(gateway!);
    await waitFor(async () => Number(((await env.redis.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number])[1]) > 0, 'the gateway subscribed again');
    const before = socket.messages.length;
    await expireHoldNow(expireDeps(), hold);
    await socket.waitFor((m) => socket.messages.indexOf(m) >= before && m.t === 'expired' && m.hold === hold, 10_000);
  }, 30_000);
});
