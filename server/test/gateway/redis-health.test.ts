// A command that only timed out is a suspicion, not an outage: under load a busy gateway reads a
// reply late, and counting that as "Redis down" refused every grab after it until a probe
// cleared it (a chaos run saw tens of seconds of `unavailable` after the outage had ended). A
// PING decides: Redis answering keeps it up; Redis silent too marks it down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectFailFast, RedisHealth } from '../../src/redis.ts';
import { createLogger } from '../../src/logger.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.ts';
import { waitFor } from '../helpers/test-env.ts';
import type { RedisClient } from '../../src/redis.ts';

describe('RedisHealth', () => {
  let server: PrivateRedis;
  let redis: RedisClient;
  const timeout = () => Object.assign(new Error('Command timed out'), { name: 'Error' });

  beforeAll(async () => {
    server = await startPrivateRedis();
    redis = await connectFailFast({ redisUrl: server.url, redisClusterNodes: [], redisTimeoutMs: 500 });
  });
  afterAll(async () => {
    server?.resume();
    redis?.disconnect();
    await server?.stop();
  });

  it('a timeout while Redis answers leaves it up: the caller alone answers unavailable', async () => {
    const health = new RedisHealth(redis, createLogger('silent'), 500);
    expect(health.failed(timeout(), 'grab batch')).toBe(true);
    expect(health.up).toBe(true);
    await new Promise((r) => setTimeout(r, 100)); // the probe's PING has answered by now
    expect(health.up).toBe(true);
    health.stop();
  });

  it('a timeout confirmed by a silent PING marks it down; it comes back up by itself', async () => {
    const health = new RedisHealth(redis, createLogger('silent'), 500, 50);
    server.pause();
    expect(health.failed(timeout(), 'grab batch')).toBe(true);
    await waitFor(() => !health.up, 'Redis counted down', 3_000);
    server.resume();
    await waitFor(() => health.up, 'Redis counted up again', 5_000);
    health.stop();
  });

  it('a refused connection marks it down at once', async () => {
    const health = new RedisHealth(redis, createLogger('silent'), 500, 50);
    expect(health.failed(new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'pay')).toBe(true);
    expect(health.up).toBe(false);
    await waitFor(() => health.up, 'Redis counted up again', 3_000);
    health.stop();
  });
});
