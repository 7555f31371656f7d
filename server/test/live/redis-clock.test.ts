// The Redis clock on one server and on a cluster: every master's TIME is read, the skew between
// masters is measured, and the local-answer margin stays above it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster, Redis } from 'ioredis';
import calculateSlot from 'cluster-key-slot';
import { createTestEnv, onCluster, type TestEnv } from '../helpers/test-env.ts';
import { RedisClock, redisNowFor } from '../../src/redis-clock.ts';
import { isCluster, redisNow } from '../../src/redis.ts';

/** TIME calls each server has answered since it started (parallel test files add to them). */
async function timeCalls(nodes: Redis[]): Promise<number[]> {
  return Promise.all(nodes.map(async (n) => Number(/cmdstat_time:calls=(\d+)/.exec(await n.info('commandstats'))?.[1] ?? 0)));
}

describe('Redis clock', () => {
  let env: TestEnv;
  let masters: Redis[];

  beforeAll(async () => {
    env = await createTestEnv();
    await env.redis.ping();
    masters = isCluster(env.redis) ? env.redis.nodes('master') : [env.redis];
    expect(masters.length).toBe(onCluster ? 3 : 1);
  });
  afterAll(async () => {
    await env?.cleanup();
  });

  it('reads TIME on every master, and keeps the local-answer margin above the measured skew', async () => {
    const clock = new RedisClock(env.redis);
    const before = await timeCalls(masters);
    await clock.sample(5);
    const after = await timeCalls(masters);
    after.forEach((n, i) => expect(n - before[i]!).toBeGreaterThanOrEqual(5));

    expect(clock.skew()).toBeGreaterThanOrEqual(0);
    if (!onCluster) expect(clock.skew()).toBe(0);
    // one machine's clocks: the masters agree to within the round trips
    expect(clock.skew()).toBeLessThan(50);
    expect(clock.margin()).toBeGreaterThanOrEqual(clock.skew() + 25);
    // now() sits between the masters' clocks
    const times = await Promise.all(masters.map((m) => redisNow(m)));
    const now = clock.now();
    expect(now).toBeGreaterThanOrEqual(Math.min(...times) - clock.margin());
    expect(now).toBeLessThanOrEqual(Math.max(...times) + clock.margin());
  });

  it('reads the clock of the master that owns a key', async () => {
    const key = `${env.config.keyPrefix}:{d:42}:deal`;
    const owner = isCluster(env.redis)
      ? masters.find((m) => `${m.options.host}:${m.options.port}` === (env.redis as Cluster).slots[calculateSlot(key)]?.[0])!
      : env.redis as Redis;
    expect(owner).toBeDefined();
    const [before] = await timeCalls([owner]);
    for (let i = 0; i < 20; i++) {
      const t = await redisNowFor(env.redis, key);
      expect(Math.abs(t - Date.now())).toBeLessThan(5_000);
    }
    const [after] = await timeCalls([owner]);
    expect(after! - before!).toBeGreaterThanOrEqual(20);
  });
});
