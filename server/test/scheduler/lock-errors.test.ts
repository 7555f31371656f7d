// A lock call that Redis answers with an error (not "locked by another node") is logged with
// Redis's own words, once per streak: before, redlock turned it into an ExecutionError ("unable
// to achieve a quorum") and the log never said why the scheduler could not lead. Redis here is
// a private server (or, on the cluster run, a private cluster) set to `maxmemory 1`: every write,
// the lock's SET among them, is refused with OOM, while reads still answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Redis } from 'ioredis';
import { createTestEnv, onCluster, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { startPrivateRedis } from '../helpers/private-redis.ts';
// @ts-expect-error: a plain .mjs module without types
import { startRedisCluster } from '../../../scripts/services/redis-cluster.mjs';
import { createRedis, isCluster, type RedisClient } from '../../src/redis.ts';
import { startScheduler, type Scheduler } from '../../src/scheduler/scheduler.ts';
import { schedulerKeys } from '../../src/scheduler/keys.ts';

interface Line { msg: string; level: number; err?: { message: string } }

describe('scheduler: redlock errors are logged once per streak, with their cause', () => {
  let server: { stop(): Promise<void> };
  let env: TestEnv;
  let redis: RedisClient;
  let scheduler: Scheduler | undefined;
  const lines: Line[] = [];
  /** lines from `from` on (this test's) with this message */
  let from = 0;
  const said = (msg: string) => lines.slice(from).filter((l) => l.msg === msg);

  const masters = (): Redis[] => (isCluster(env.redis) ? env.redis.nodes('master') : [env.redis as Redis]);
  const setMaxmemory = (bytes: number) => Promise.all(masters().map((m) => m.config('SET', 'maxmemory', String(bytes))));
  /** OOM refusals so far, summed over the masters: each failed lock call adds one */
  const ooms = async () => (await Promise.all(masters().map(async (m) =>
    Number(/errorstat_OOM:count=(\d+)/.exec(await m.info('errorstats'))?.[1] ?? 0)))).reduce((a, b) => a + b, 0);

  beforeAll(async () => {
    let where: Record<string, string>;
    if (onCluster) {
      const cluster = await startRedisCluster({ masters: 3 }) as { nodes: string; stop(): Promise<void> };
      server = cluster;
      where = { REDIS_CLUSTER_NODES: cluster.nodes };
    } else {
      const single = await startPrivateRedis();
      server = single;
      where = { REDIS_URL: single.url, REDIS_CLUSTER_NODES: '' };
    }
    env = await createTestEnv({ ...where, LOCK_TTL_MS: '1000', RECONCILE_INTERVAL_MS: '600000' });
    await env.redis.ping();
    redis = createRedis(env.config);
  }, 60_000);

  afterAll(async () => {
    await scheduler?.close();
    redis?.disconnect();
    await setMaxmemory(0).catch(() => {});
    await env?.cleanup();
    await server?.stop();
  });

  it('a refused lock is logged once per streak with Redis\'s error, and again after it worked in between', async () => {
    await setMaxmemory(1);
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
    scheduler = await startScheduler({ config: env.config, redis, pool: env.pool, logger, nodeId: 'node-oom' });

    // many attempts, one line
    const first = await ooms();
    await waitFor(async () => (await ooms()) >= first + 5, 'five refused lock attempts');
    expect(scheduler.isLeader()).toBe(false);
    expect(said('scheduler: cannot lead')).toHaveLength(1);
    expect(said('scheduler: cannot lead')[0]!.err?.message).toMatch(/OOM/);

    // Redis takes writes again: it leads; refused again, the term ends and a new streak begins
    await setMaxmemory(0);
    await waitFor(() => scheduler!.isLeader(), 'leadership once writes are taken', 5_000);
    await setMaxmemory(1);
    await waitFor(() => !scheduler!.isLeader(), 'the term ended by refused writes', 5_000);
    const again = await ooms();
    await waitFor(async () => (await ooms()) >= again + 5, 'five more refused lock attempts');
    expect(said('scheduler: cannot lead')).toHaveLength(2);
    expect(said('scheduler: cannot lead')[1]!.err?.message).toMatch(/OOM/);
    await setMaxmemory(0);
    await waitFor(() => scheduler!.isLeader(), 'leadership again', 5_000);
  }, 60_000);

  it('a renewal that Redis answers with an error is logged once while the lease runs out', async () => {
    const lockKey = schedulerKeys(env.config.keyPrefix).lock;
    await waitFor(() => scheduler!.isLeader(), 'a leader', 5_000);
    from = lines.length;
    // a lock key of the wrong type: redlock's extend script fails on its GET (WRONGTYPE), which
    // is an error, not "locked by another node" (that would be someone else's value)
    await redis.multi().del(lockKey).hset(lockKey, 'intruder', '1').exec();
    await waitFor(() => !scheduler!.isLeader(), 'the lease lost to refused renewals', 5_000);
    expect(said('scheduler: renewing the lease failed')).toHaveLength(1);
    expect(said('scheduler: renewing the lease failed')[0]!.err?.message).toMatch(/WRONGTYPE/);

    await redis.del(lockKey);
    await waitFor(() => scheduler!.isLeader(), 'leadership once the key is free', 5_000);
    expect(said('scheduler: renewing the lease failed')).toHaveLength(1);
  }, 60_000);
});
