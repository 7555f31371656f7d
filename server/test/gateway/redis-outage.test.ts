// A Redis outage is answered, not waited out: grabs and pays that cannot reach Redis within
// REDIS_TIMEOUT_MS are refused `unavailable`, /healthz says 503 within its bound, and once Redis
// is back the same gateway decides grabs again. Both kinds of outage: the process dead
// (kill -9: connections refused) and the process hung (SIGSTOP: sockets open, no answers).
// The bounds asserted are generous: this checks "answered, not hung", not speed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { startEngineIn, seedDeals, warmNow, newSession, type RunningEngine } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.ts';
import type { ServerMessage } from '../../src/shared/protocol.ts';
import { insertOrders } from '../../src/db/orders-repo.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import type { Socket } from 'node:net';

const TIMEOUT_MS = 1_000;
// the setting plus room for a busy machine; an answer later than this counts as hung
const ANSWERED_WITHIN_MS = 2_500;

describe('a Redis outage is answered unavailable, and the gateway recovers by itself', () => {
  let redis: PrivateRedis;
  let env: TestEnv;
  let engine: RunningEngine;
  let dealId: string;
  let shopper: ShopperSocket;

  beforeAll(async () => {
    // every write on disk before it is acknowledged: the restart after kill -9 keeps the deal
    redis = await startPrivateRedis({ aof: true, args: ['--appendfsync', 'always'] });
    env = await createTestEnv({ REDIS_URL: redis.url });
    env.redis.on('error', () => {});
    dealId = (await seedDeals(env.pool, [{ stock: 1_000, limit: 100, startsIn: -1_000 }])).dealIds[0]!;
    await warmNow(env, [dealId]);
    engine = await startEngineIn(env, { FF_ROLE: 'gateway', REDIS_TIMEOUT_MS: String(TIMEOUT_MS) });
    shopper = await ShopperSocket.open(engine.wsUrl, (await newSession(engine.url)).token);
  });
  afterAll(async () => {
    shopper?.close();
    redis?.resume();
    await engine?.stop();
    await env?.cleanup();
    await redis?.stop();
  });

  /** Sends a grab; resolves with its answer and how long it took. */
  async function grab(rid: string, timeoutMs = ANSWERED_WITHIN_MS): Promise<{ answer: ServerMessage; ms: number }> {
    shopper.messages.length = 0;
    const t0 = performance.now();
    shopper.send({ t: 'grab', deal: dealId, qty: 1, rid });
    const answer = await shopper.answerTo(rid, timeoutMs);
    return { answer, ms: performance.now() - t0 };
  }

  async function pay(hold: string, rid: string, timeoutMs = ANSWERED_WITHIN_MS): Promise<ServerMessage> {
    shopper.send({ t: 'pay', hold, rid });
    return shopper.waitFor((m) => (m.t === 'paid' || m.t === 'refused') && 'rid' in m && m.rid === rid, timeoutMs);
  }

  async function healthz(): Promise<{ status: number; ms: number; body: { redis: boolean } }> {
    const t0 = performance.now();
    const res = await fetch(`${engine.url}/healthz`, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, ms: performance.now() - t0, body: (await res.json()) as { redis: boolean } };
  }

  async function heldHold(rid: string): Promise<string> {
    const { answer } = await grab(rid);
    expect(answer).toMatchObject({ t: 'held', rid });
    return answer.t === 'held' ? answer.hold : '';
  }

  /** During the outage: grabs, a pay and /healthz are all answered within the bound. */
  async function expectAnsweredUnavailable(tag: string, hold: string): Promise<void> {
    // the first grab finds the outage, the later ones find it known
    for (let i = 1; i <= 3; i++) {
      const { answer, ms } = await grab(`${tag}-grab-${i}`);
      expect(answer).toMatchObject({ t: 'refused', code: 'unavailable' });
      expect(ms).toBeLessThan(ANSWERED_WITHIN_MS);
    }
    expect(await pay(hold, `${tag}-pay-1`)).toMatchObject({ t: 'refused', hold, code: 'unavailable' });
    const health = await healthz();
    expect(health.status).toBe(503);
    expect(health.body.redis).toBe(false);
    expect(health.ms).toBeLessThan(ANSWERED_WITHIN_MS);
  }

  /** After the outage, without restarting the gateway: the refused rid is decided, the hold paid. */
  async function expectRecovered(tag: string, hold: string): Promise<void> {
    // A resend of a refused rid gets Redis's answer: held (also when Redis ran the script
    // after the gateway gave up waiting, then it is that first answer).
    const again = await waitFor(async () => {
      const { answer } = await grab(`${tag}-grab-1`);
      return answer.t === 'held' ? answer : null;
    }, 'a grab held again after the outage', 15_000, 100);
    expect(again).toMatchObject({ t: 'held', rid: `${tag}-grab-1` });
    expect(await pay(hold, `${tag}-pay-2`, 8_000)).toMatchObject({ t: 'paid', hold });
    expect((await healthz()).status).toBe(200);
  }

  it('Redis killed (kill -9): refused unavailable within the bound, held again after the restart', async () => {
    const hold = await heldHold('kill-before');
    await redis.kill();
    try {
      await expectAnsweredUnavailable('kill', hold);
    } finally {
      await redis.restart();
    }
    await expectRecovered('kill', hold);
  });

  it("while Redis is known down a grab is refused in its own socket's turn, ahead of the frames after it", async () => {
    // Through the batcher the refusal waited for its batch to leave and was then written from
    // another socket's handler, uncorked: most of a flooded gateway's CPU during the chaos
    // suite's outage, which lengthened the poll phases its reconnect waited behind.
    await redis.kill();
    try {
      // the first grab finds the outage; from then on Redis is known down
      expect((await grab('turn-1')).answer).toMatchObject({ t: 'refused', code: 'unavailable' });
      shopper.messages.length = 0;
      // a grab and a ping in one write: the gateway reads them in one turn
      const socket = (shopper.ws as unknown as { _socket: Socket })._socket;
      socket.cork();
      shopper.send({ t: 'grab', deal: dealId, qty: 1, rid: 'turn-2' });
      shopper.send({ t: 'ping', c: 1 });
      socket.uncork();
      await shopper.answerTo('turn-2');
      await shopper.waitFor((m) => m.t === 'pong');
      expect(shopper.messages.map((m) => m.t)).toEqual(['refused', 'pong']);
    } finally {
      await redis.restart();
      await waitFor(async () => (await grab('turn-after')).answer.t === 'held', 'grabs held again', 15_000, 100);
    }
  });

  it('a page that subscribes while Redis is down gets its holds once Redis is back', async () => {
    const hold = await heldHold('sub-before');
    // this engine runs no worker: the order row a worker would write
    const record = (await new StockStore(env.redis, env.config.keyPrefix).readHold(hold))!;
    await insertOrders(env.pool, [{ hold, dealId, shopper: record.shopper, qty: 1, unitPriceMinor: 99_900, currency: 'PKR', heldAt: Date.now(), expiresAt: Date.now() + 60_000 }]);
    const festival = (await env.pool.query<{ festival_id: number }>('SELECT festival_id FROM deals WHERE id = $1', [dealId])).rows[0]!.festival_id;
    // the gateway has the festival cached: the view answers, the holds need Redis
    shopper.send({ t: 'sub', festival: String(festival) });
    await shopper.waitFor((m) => m.t === 'holds');
    shopper.messages.length = 0;
    await redis.kill();
    try {
      shopper.send({ t: 'sub', festival: String(festival) });
      await shopper.waitFor((m) => m.t === 'festival', 5_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(shopper.messages.some((m) => m.t === 'holds')).toBe(false);
    } finally {
      await redis.restart();
    }
    const holds = await shopper.waitFor((m) => m.t === 'holds', 10_000);
    expect(holds.t === 'holds' && holds.holds.map((h) => h.hold)).toContain(hold);
  });

  it('Redis hung (SIGSTOP): refused unavailable within the bound, held again after SIGCONT', async () => {
    const hold = await heldHold('stop-before');
    redis.pause();
    try {
      await expectAnsweredUnavailable('stop', hold);
    } finally {
      redis.resume();
    }
    await expectRecovered('stop', hold);
  });
});
