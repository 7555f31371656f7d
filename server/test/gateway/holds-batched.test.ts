// The `holds` frames a gateway sends many sockets at once are read in batches: the `sub`s of a
// dead gateway's shoppers arriving together, and every socket again once the gateway's
// subscription is back after a Redis restart (missed-news.test.ts). Issue 13's chaos run: the
// surviving gateway, with 6,000 sockets, read each one's holds on its own (a Postgres query and a
// Redis read per pending hold, eight at a time) right when the retried grabs came back.
//
// A private Redis: MONITOR shows every read of the holds hashes, and killing the gateway's
// subscriber connection must not touch the shared one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { seedDeals, startEngineIn, warmNow, type RunningEngine } from '../helpers/engine.ts';
import { SessionSigner } from '../../src/gateway/session.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.ts';
import type { HoldsMsg, ServerMessage } from '../../src/shared/protocol.ts';

const SHOPPERS = 120;

describe('holds frames for many sockets at once are read in batches', () => {
  let redis: PrivateRedis;
  let env: TestEnv;
  let engine: RunningEngine;
  let festivalId: string;
  let dealId: string;
  const shoppers: { token: string; hold: string }[] = [];
  const sockets: ShopperSocket[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    env = await createTestEnv({ REDIS_URL: redis.url });
    // holds that outlive the test: every one is pending in Postgres and read from Redis
    const seeded = await seedDeals(env.pool, [{ stock: 1_000, limit: 5, startsIn: -1_000, holdSeconds: 300 }]);
    festivalId = seeded.festivalId;
    dealId = seeded.dealIds[0]!;
    await warmNow(env, [dealId]);
    engine = await startEngineIn(env);
    // each shopper holds one unit, its order row written
    const signer = new SessionSigner(env.config.sessionSecret, 600);
    await Promise.all(Array.from({ length: SHOPPERS }, async (_, i) => {
      const session = signer.issue(Date.now(), `batched-shopper-${i}`);
      const s = await ShopperSocket.open(engine.wsUrl, session.token);
      s.send({ t: 'grab', deal: dealId, qty: 1, rid: `batched-${i}` });
      const answer = await s.answerTo(`batched-${i}`);
      if (answer.t !== 'held') throw new Error(`not held: ${JSON.stringify(answer)}`);
      await waitFor(async () => (await env.pool.query('SELECT 1 FROM orders WHERE hold_id = $1', [answer.hold])).rowCount === 1, `the order row of ${answer.hold}`, 30_000, 100);
      s.close();
      shoppers.push({ token: session.token, hold: answer.hold });
    }));
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await engine?.stop();
    await env?.cleanup();
    await redis?.stop();
  });

  /** Reads of the holds hashes (HGET, HMGET) while `during` runs. */
  async function holdsReads(during: () => Promise<void>): Promise<{ commands: number; holds: number }> {
    const monitor = await new Redis(redis.url).monitor();
    const seen = { commands: 0, holds: 0 };
    monitor.on('monitor', (_time: string, args: string[]) => {
      const cmd = args[0]!.toLowerCase();
      if ((cmd === 'hget' || cmd === 'hmget') && args[1]!.endsWith(':holds')) {
        seen.commands++;
        seen.holds += args.length - 2;
      }
    });
    try {
      await during();
    } finally {
      monitor.disconnect();
    }
    return seen;
  }

  const holdsWith = (hold: string, after: number, messages: ServerMessage[]) => (m: ServerMessage) =>
    messages.indexOf(m) >= after && m.t === 'holds' && (m as HoldsMsg).holds.some((h) => h.hold === hold && h.status === 'pending');

  it("many sockets' `sub`s, and their holds sent again once the subscription is back, each take a few reads", async () => {
    const subs = await holdsReads(async () => {
      sockets.push(...await Promise.all(shoppers.map((s) => ShopperSocket.open(engine.wsUrl, s.token))));
      for (const s of sockets) s.send({ t: 'sub', festival: festivalId });
      await Promise.all(sockets.map((s, i) => s.waitFor(holdsWith(shoppers[i]!.hold, 0, s.messages))));
    });
    // every pending hold read, and in a handful of commands (one per batch), not one per socket
    expect(subs.holds).toBeGreaterThanOrEqual(SHOPPERS);
    expect(subs.commands).toBeLessThanOrEqual(SHOPPERS / 4);

    const marks = sockets.map((s) => s.messages.length);
    const resync = await holdsReads(async () => {
      // the gateway's subscriber connection drops: news published meanwhile is lost, so every
      // socket is sent its holds again once it is back
      await env.redis.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await waitFor(async () => {
        const found = await Promise.all(sockets.map((s, i) =>
          s.messages.slice(marks[i]).some(holdsWith(shoppers[i]!.hold, marks[i]!, s.messages))));
        return found.every(Boolean);
      }, 'every socket sent its holds again', 20_000);
    });
    expect(resync.holds).toBeGreaterThanOrEqual(SHOPPERS);
    expect(resync.commands).toBeLessThanOrEqual(SHOPPERS / 10);
  }, 60_000);
});
