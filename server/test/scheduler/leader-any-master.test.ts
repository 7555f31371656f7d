// The scheduler leads whichever master holds its lock key: on the cluster run, once with the
// lock key on each master (the key prefix is chosen for it), two scheduler processes, one leads,
// kill -9 it, the other leads with a higher fence. On a single Redis, the one server.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';
import { createTestEnv, onCluster, TEST_REDIS_CLUSTER_NODES, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { fencedLeader, spawnScheduler, stopAll, type SchedulerProcess } from './scheduler-process.ts';
import { createRedis, isCluster } from '../../src/redis.ts';
import { loadConfig } from '../../src/config.ts';
import { schedulerKeys } from '../../src/scheduler/keys.ts';

const nodeName = (n: Redis) => `${n.options.host}:${n.options.port}`;

/** The masters, and a key prefix whose scheduler lock key each one owns. */
async function prefixPerMaster(): Promise<{ master: string; prefix: string }[]> {
  const redis = createRedis(loadConfig({ REDIS_CLUSTER_NODES: TEST_REDIS_CLUSTER_NODES }));
  try {
    await redis.ping();
    if (!isCluster(redis)) return [{ master: 'the one server', prefix: `t${randomBytes(5).toString('hex')}` }];
    const cluster: Cluster = redis;
    return cluster.nodes('master').map((m) => {
      for (;;) {
        const prefix = `t${randomBytes(5).toString('hex')}`;
        if (cluster.slots[calculateSlot(schedulerKeys(prefix).lock)]?.[0] === nodeName(m)) return { master: nodeName(m), prefix };
      }
    });
  } finally {
    redis.disconnect();
  }
}

describe('scheduler leadership with its lock key on any master', () => {
  let env: TestEnv | undefined;
  const procs: SchedulerProcess[] = [];

  afterEach(async () => {
    await stopAll(procs);
    procs.length = 0;
    await env?.cleanup();
    env = undefined;
  });

  it('leads, and a standby takes over when the leader is killed, whichever master holds the lock', async () => {
    const rounds = await prefixPerMaster();
    expect(rounds).toHaveLength(onCluster ? 3 : 1);
    for (const { master, prefix } of rounds) {
      env = await createTestEnv({ KEY_PREFIX: prefix });
      const lockKey = schedulerKeys(prefix).lock;
      procs.push(await spawnScheduler(env), await spawnScheduler(env));
      const first = await waitFor(async () => {
        const l = await fencedLeader(env!.pool);
        return l && procs.some((p) => p.pid === l.pid) ? l : null;
      }, `a leader (lock on ${master})`, 20_000);
      // the lock is where its slot says, and live
      if (isCluster(env.redis)) {
        const owner = env.redis.nodes('master').find((m) => nodeName(m) === master)!;
        expect(await owner.pttl(lockKey)).toBeGreaterThan(0);
      } else {
        expect(await env.redis.pttl(lockKey)).toBeGreaterThan(0);
      }

      const leader = procs.find((p) => p.pid === first.pid)!;
      leader.child.kill('SIGKILL');
      await leader.exited();
      const next = await waitFor(async () => {
        const l = await fencedLeader(env!.pool);
        return l && l.pid !== first.pid ? l : null;
      }, `the standby to lead (lock on ${master})`, 20_000);
      expect(next.token).toBeGreaterThan(first.token);

      await stopAll(procs);
      procs.length = 0;
      await env.cleanup();
      env = undefined;
    }
  }, 180_000);
});
