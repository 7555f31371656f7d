import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { createLogger } from '../../src/logger.ts';
import { createRedis, redisNow, type RedisClient } from '../../src/redis.ts';
import { channels, createSubscriber, Subscription } from '../../src/channels.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { startScheduler, type Scheduler } from '../../src/scheduler/scheduler.ts';
import { insertDeal, dealRow, dealEvents, redisOffset } from './fixtures.ts';

const ON_TIME_MS = 250;

describe('scheduler deal life cycle (two schedulers running)', () => {
  let env: TestEnv;
  let stock: StockStore;
  const conns: RedisClient[] = [];
  const schedulers: Scheduler[] = [];
  /** dealId -> Redis-clock times at which a dealChanged message arrived */
  const published = new Map<string, number[]>();
  let offset = 0;

  beforeAll(async () => {
    env = await createTestEnv({ LOCK_TTL_MS: '1000', PREWARM_SECONDS: '2', RECONCILE_INTERVAL_MS: '300' });
    stock = new StockStore(env.redis, env.config.keyPrefix);
    offset = await redisOffset(env.redis);
    const sub = createSubscriber(env.config);
    conns.push(sub);
    await Subscription.open(sub, [channels(env.config.keyPrefix).dealChanged], (_ch, raw) => {
      const at = Date.now() + offset;
      const { dealId } = JSON.parse(raw) as { dealId: string };
      published.set(dealId, [...(published.get(dealId) ?? []), at]);
    });
    for (const nodeId of ['node-a', 'node-b']) {
      const redis = createRedis(env.config);
      conns.push(redis);
      schedulers.push(await startScheduler({ config: env.config, redis, pool: env.pool, logger: createLogger(process.env.SCHED_TEST_LOG ?? 'silent'), nodeId }));
    }
    await waitFor(() => schedulers.some((s) => s.isLeader()), 'a leader', 5_000);
  });
  afterAll(async () => {
    await Promise.all(schedulers.map((s) => s.close()));
    for (const c of conns) c.disconnect();
    await env.cleanup();
  });

  it('pre-warms, opens on its second exactly once, marks sold out, and closes with final counters', async () => {
    const now = await redisNow(env.redis);
    const startsAt = Math.ceil((now + 3_000) / 1000) * 1000; // on a whole second, like a real sale
    const endsAt = startsAt + 2_000;
    const { dealId } = await insertDeal(env.pool, { startsAt, endsAt, stock: 5, limit: 2 });
    const single = await insertDeal(env.pool, { startsAt, endsAt: endsAt + 60_000, stock: 1, limit: 1 });

    // warmed before the start (PREWARM_SECONDS=2), and grabs are refused as not open yet
    await waitFor(async () => (await dealRow(env.pool, dealId)).state === 'warming', 'warming', 5_000);
    const warmed = await stock.readDeal(dealId);
    expect(warmed).toMatchObject({ stock: 5, available: 5, held: 0, sold: 0, limit: 2, startsAt, endsAt, status: 'open' });
    expect(await redisNow(env.redis)).toBeLessThan(startsAt);
    const early = await stock.grabBatch(dealId, [{ shopper: 's1', qty: 1, rid: 'early' }]);
    expect(early.decisions[0]).toEqual({ ok: false, code: 'not_open' });

    // opened within ON_TIME_MS of its second, by Postgres and by the broadcast
    await waitFor(async () => (await dealRow(env.pool, dealId)).state === 'live', 'live', 5_000, 5);
    const opened = await dealRow(env.pool, dealId);
    expect(opened.opened_ms! - startsAt).toBeGreaterThanOrEqual(0);
    expect(opened.opened_ms! - startsAt).toBeLessThan(ON_TIME_MS);
    const openNews = await waitFor(() => published.get(dealId)?.find((t) => t >= startsAt - 50), 'live broadcast');
    expect(openNews - startsAt).toBeGreaterThanOrEqual(-5);
    expect(openNews - startsAt).toBeLessThan(ON_TIME_MS);

    const grab = await stock.grabBatch(dealId, [{ shopper: 's1', qty: 2, rid: 'r1' }]);
    expect(grab.decisions[0]).toMatchObject({ ok: true, qty: 2 });

    // the one-unit deal: grabbed and paid -> nothing available, nothing held -> sold_out
    await waitFor(async () => (await dealRow(env.pool, single.dealId)).state === 'live', 'single live', 5_000);
    const g = await stock.grabBatch(single.dealId, [{ shopper: 's2', qty: 1, rid: 'r1' }]);
    const hold = g.decisions[0]!;
    if (!hold.ok) throw new Error(`grab refused: ${hold.code}`);
    expect((await stock.confirmPayment(hold.hold, 's2')).ok).toBe(true);
    await waitFor(async () => (await dealRow(env.pool, single.dealId)).state === 'sold_out', 'sold_out', 3_000);

    // closed at its end, with the counters Redis had
    await waitFor(async () => (await dealRow(env.pool, dealId)).state === 'ended', 'ended', 5_000, 5);
    const closed = await dealRow(env.pool, dealId);
    expect(closed.closed_ms! - endsAt).toBeGreaterThanOrEqual(0);
    expect(closed.closed_ms! - endsAt).toBeLessThan(ON_TIME_MS);
    expect(closed).toMatchObject({ final_held: 2, final_sold: 0, final_available: 3 });
    const late = await stock.grabBatch(dealId, [{ shopper: 's3', qty: 1, rid: 'late' }]);
    expect(late.decisions[0]).toEqual({ ok: false, code: 'ended' });

    // exactly one row per transition, although two schedulers ran all along
    const events = await dealEvents(env.pool, dealId);
    expect(events.map((e) => `${e.from_state}->${e.to_state}`)).toEqual(['scheduled->warming', 'warming->live', 'live->ended']);
    expect(new Set(events.map((e) => e.fence)).size).toBe(1);
    const singleEvents = await dealEvents(env.pool, single.dealId);
    expect(singleEvents.map((e) => e.to_state)).toEqual(['warming', 'live', 'sold_out']);
    expect(schedulers.filter((s) => s.isLeader()).length).toBe(1);

    // a hold that lapses after the close gives its units back; the leader's reconcile keeps
    // the final counters true
    const held = grab.decisions[0]!;
    if (!held.ok) throw new Error(held.code);
    expect((await stock.releaseExpiredHold(held.hold, true)).released).toBe(true);
    await waitFor(async () => (await dealRow(env.pool, dealId)).final_available === 5, 'final counters refreshed', 3_000);
    expect(await dealRow(env.pool, dealId)).toMatchObject({ final_held: 0, final_sold: 0, final_available: 5 });
    const leader = schedulers.find((s) => s.isLeader())!;
    expect(leader.lastReconcile()).toMatchObject({ violations: 0 });
  });

  it('warms and opens at once a deal whose start passed while no scheduler acted', async () => {
    const now = await redisNow(env.redis);
    const { dealId } = await insertDeal(env.pool, { startsAt: now - 1_000, endsAt: now + 60_000 });
    await waitFor(async () => (await dealRow(env.pool, dealId)).state === 'live', 'live', 3_000);
    expect((await dealEvents(env.pool, dealId)).map((e) => e.to_state)).toEqual(['warming', 'live']);
    const grab = await stock.grabBatch(dealId, [{ shopper: 's1', qty: 1, rid: 'r' }]);
    expect(grab.decisions[0]).toMatchObject({ ok: true });
  });

  it('ends without opening a deal whose whole window passed while no scheduler acted', async () => {
    const now = await redisNow(env.redis);
    const { dealId } = await insertDeal(env.pool, { startsAt: now - 60_000, endsAt: now - 1_000, stock: 7 });
    await waitFor(async () => (await dealRow(env.pool, dealId)).state === 'ended', 'ended', 3_000);
    expect(await dealRow(env.pool, dealId)).toMatchObject({ final_held: 0, final_sold: 0, final_available: 7 });
    expect((await dealEvents(env.pool, dealId)).map((e) => e.to_state)).toEqual(['ended']);
  });
});
