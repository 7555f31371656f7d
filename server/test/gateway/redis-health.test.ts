// A command that only timed out is a suspicion, not an outage: under load a busy gateway reads a
// reply late, and counting that as "Redis down" refused every grab after it until a probe
// cleared it (a chaos run saw tens of seconds of `unavailable` after the outage had ended). A
// PING decides: Redis answering keeps it up; Redis silent too marks it down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectFailFast, RedisHealth, withTimeout } from '../../src/redis.ts';
import { createLogger } from '../../src/logger.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.ts';
import { waitFor } from '../helpers/test-env.ts';
import type { RedisClient } from '../../src/redis.ts';
import { Redis } from 'ioredis';

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

// Recovery must not wait for timers: on a gateway flooded with refused grabs (a dead gateway's
// shoppers retrying while Redis is down) libuv's poll phase ran 5-16 s at a time, and ioredis's
// reconnect timer and the probe's interval with it, so the gateway refused grabs for 20-70 s
// after Redis was back (issue 13's chaos runs). The refused traffic itself starts the reconnect.
describe('RedisHealth recovering while the event loop starves its timers', () => {
  let server: PrivateRedis;
  let admin: Redis;

  beforeAll(async () => {
    server = await startPrivateRedis();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });

  it('a reconnect whose timer is overdue is started by the next refused grab', async () => {
    const redis = await connectFailFast({ redisUrl: server.url, redisClusterNodes: [], redisTimeoutMs: 500 });
    const health = new RedisHealth(redis, createLogger('silent'), 500, 50);
    try {
      const id = Number(await redis.call('CLIENT', 'ID'));
      let statusAfterRefuse: string | null = null;
      redis.once('reconnecting', (delayMs: number) => {
        // the loop is held past the reconnect's due time (as by one long poll phase) ...
        const until = Date.now() + delayMs + 300;
        while (Date.now() < until) { /* busy, as the socket handlers are */ }
        // ... while refused grabs keep arriving
        health.refuse();
        statusAfterRefuse = redis.status;
      });
      expect(health.failed(new Error('Connection is closed.'), 'grab batch')).toBe(true);
      expect(health.up).toBe(false);
      await admin.call('CLIENT', 'KILL', 'ID', String(id));
      await waitFor(() => statusAfterRefuse, 'the reconnect scheduled');
      expect(statusAfterRefuse).toBe('connecting');
      await waitFor(() => health.up, 'Redis counted up again', 3_000);
    } finally {
      health.stop();
      redis.disconnect();
    }
  });

  it('a fresh connection is kept when the turn after its connect runs longer than REDIS_TIMEOUT_MS', async () => {
    // With ioredis's ready check, INFO left on connect under the command timeout; a long turn
    // let that timer fire before the reply was read, and the new connection was dropped
    const redis = await connectFailFast({ redisUrl: server.url, redisClusterNodes: [], redisTimeoutMs: 300 });
    try {
      const id = Number(await redis.call('CLIENT', 'ID'));
      const events: string[] = [];
      for (const ev of ['close', 'connect', 'ready']) redis.on(ev, () => events.push(ev));
      redis.once('connect', () => setImmediate(() => {
        const until = Date.now() + 600;
        while (Date.now() < until) { /* a long turn of the loop */ }
      }));
      await admin.call('CLIENT', 'KILL', 'ID', String(id));
      await waitFor(() => redis.status === 'ready' && events.includes('ready'), 'ready again', 5_000);
      await new Promise((r) => setTimeout(r, 400));
      // one close (the kill), one connect, ready: no second round
      expect(events).toEqual(['close', 'connect', 'ready']);
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });
});

describe('a bound on an answer is judged after the poll phase that reads it', () => {
  let server: PrivateRedis;

  beforeAll(async () => {
    server = await startPrivateRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a reply that arrived during a turn longer than the bound answers its command', async () => {
    // Timers run before libuv's poll phase, where replies are read: on a gateway flooded with
    // socket events one turn lasted seconds, and a reply Redis had long sent was still unread
    // when the timer ran. Grab batches Redis had decided were answered `unavailable`, and the
    // probe that should have found Redis back after a restart timed out the same way.
    const redis = await connectFailFast({ redisUrl: server.url, redisClusterNodes: [], redisTimeoutMs: 200 });
    try {
      // from here on the test runs inside the poll phase that read this reply
      expect(await redis.ping()).toBe('PONG');
      const command = redis.ping();
      const bounded = withTimeout(redis.ping(), 200, 'probe');
      const until = Date.now() + 700;
      while (Date.now() < until) { /* a long turn of the loop: Redis answers meanwhile */ }
      await expect(command).resolves.toBe('PONG');
      await expect(bounded).resolves.toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('a Redis that answers nothing still times out', async () => {
    const redis = await connectFailFast({ redisUrl: server.url, redisClusterNodes: [], redisTimeoutMs: 200 });
    try {
      server.pause();
      await expect(redis.ping()).rejects.toThrow(/Command timed out/);
      await expect(withTimeout(new Promise(() => {}), 100, 'probe')).rejects.toThrow(/no answer within 100 ms/);
    } finally {
      server.resume();
      redis.disconnect();
    }
  });
});
