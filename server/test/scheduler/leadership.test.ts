import { createRedis, type RedisClient } from '../../src/redis.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { createLogger } from '../../src/logger.ts';
import { schedulerKeys } from '../../src/scheduler/keys.ts';
import { startScheduler, type Scheduler } from '../../src/scheduler/scheduler.ts';
import { readFence } from '../../src/scheduler/fence.ts';
import { transitionDeal } from '../../src/db/deals-repo.ts';
import { insertDeal, dealEvents } from './fixtures.ts';

const LOCK_TTL = 1000;

describe('scheduler leadership', () => {
  let env: TestEnv;
  const conns: RedisClient[] = [];
  const schedulers: Scheduler[] = [];

  beforeAll(async () => {
    env = await createTestEnv({ LOCK_TTL_MS: String(LOCK_TTL), RECONCILE_INTERVAL_MS: '600000' });
  });
  afterAll(async () => {
    await Promise.all(schedulers.map((s) => s.close()));
    for (const c of conns) c.disconnect();
    await env.cleanup();
  });

  async function start(nodeId: string): Promise<Scheduler> {
    const redis = createRedis(env.config);
    conns.push(redis);
    const s = await startScheduler({ config: env.config, redis, pool: env.pool, logger: createLogger(process.env.SCHED_TEST_LOG ?? 'silent'), nodeId });
    schedulers.push(s);
    return s;
  }

  /** Samples both nodes every 10 ms for `ms`; fails if both ever claim to lead. */
  async function neverTwoLeaders(nodes: Scheduler[], ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      expect(nodes.filter((n) => n.isLeader()).length).toBeLessThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('elects exactly one leader, hands over on stop with a higher fence, and Postgres refuses the old token', async () => {
    const a = await start('node-a');
    const b = await start('node-b');
    await waitFor(() => a.isLeader() || b.isLeader(), 'a leader', 5_000);
    // several lock TTLs: auto-extension keeps the same leader, never two
    await neverTwoLeaders([a, b], 2.5 * LOCK_TTL);
    const [leader, follower] = a.isLeader() ? [a, b] : [b, a];
    expect(leader.isLeader()).toBe(true);
    expect(follower.isLeader()).toBe(false);

    const oldFence = leader.fence()!;
    expect(oldFence).toBeGreaterThan(0);
    expect((await readFence(env.pool))).toMatchObject({ token: oldFence, leader: leader.nodeId });
    await waitFor(async () => (await env.redis.get(schedulerKeys(env.config.keyPrefix).leader)) === leader.nodeId, 'leader announced');

    const stoppedAt = Date.now();
    await leader.close();
    expect(leader.isLeader()).toBe(false);
    await waitFor(() => follower.isLeader(), 'takeover', 3 * LOCK_TTL, 5);
    expect(Date.now() - stoppedAt).toBeLessThan(LOCK_TTL);
    const newFence = follower.fence()!;
    expect(newFence).toBeGreaterThan(oldFence);
    await waitFor(async () => (await readFence(env.pool))?.token === newFence, 'fence raised in Postgres');

    // a write with the old leader's token changes nothing; the new token's does
    const now = Date.now();
    const { dealId } = await insertDeal(env.pool, { startsAt: now + 3_600_000, endsAt: now + 7_200_000 });
    const stale = await transitionDeal(env.pool, { dealId, from: ['scheduled'], to: 'cancelled', fence: oldFence });
    expect(stale).toEqual({ ok: false, reason: 'fenced' });
    expect((await env.pool.query('SELECT state FROM deals WHERE id = $1', [dealId])).rows[0].state).toBe('scheduled');
    expect(await dealEvents(env.pool, dealId)).toEqual([]);
    const fresh = await transitionDeal(env.pool, { dealId, from: ['scheduled'], to: 'cancelled', fence: newFence });
    expect(fresh).toEqual({ ok: true, from: 'scheduled' });
    expect(await dealEvents(env.pool, dealId)).toEqual([{ from_state: 'scheduled', to_state: 'cancelled', fence: newFence }]);
  });

  it('stops leading when the lock is lost, and a node takes over with a higher fence', async () => {
    const c = await start('node-c');
    const live = schedulers.filter((s) => s.isLeader() || s === c);
    const leader = await waitFor(() => live.find((s) => s.isLeader()), 'a leader', 5_000);
    const oldFence = leader.fence()!;
    const lockKey = schedulerKeys(env.config.keyPrefix).lock;

    // someone else's value in the lock key: the leader's extension fails and it must stand down
    await env.redis.set(lockKey, 'intruder', 'PX', 3 * LOCK_TTL);
    await waitFor(() => !leader.isLeader(), 'leader to notice the lost lock', 2 * LOCK_TTL, 5);
    expect(live.some((s) => s.isLeader())).toBe(false);
    await env.redis.del(lockKey);

    const next = await waitFor(() => live.find((s) => s.isLeader()), 'a new leader', 3 * LOCK_TTL, 5);
    expect(next.fence()!).toBeGreaterThan(oldFence);
    await neverTwoLeaders(live, LOCK_TTL);
  });
});
