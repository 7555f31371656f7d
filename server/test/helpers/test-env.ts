// Each test file gets its own namespace: a fresh Redis key prefix and a fresh Postgres schema,
// both removed after. Tests never share state and never touch a developer's data.
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config.ts';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createRedis, deleteKeys, type RedisClient } from '../../src/redis.ts';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Set (host:port,...) when the suite runs against a Redis Cluster (FF_REDIS_CLUSTER=1 npm test). */
export const TEST_REDIS_CLUSTER_NODES = process.env.TEST_REDIS_CLUSTER_NODES ?? process.env.REDIS_CLUSTER_NODES ?? '';
export const onCluster = TEST_REDIS_CLUSTER_NODES !== '';
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://127.0.0.1:5432/test';

export interface TestEnv {
  config: Readonly<Config>;
  /** env variables that give a child process the same namespace */
  env: Record<string, string>;
  redis: RedisClient;
  pool: Pool;
  cleanup(): Promise<void>;
}

export async function createTestEnv(overrides: Record<string, string> = {}): Promise<TestEnv> {
  const id = randomBytes(5).toString('hex');
  const env: Record<string, string> = {
    REDIS_URL: TEST_REDIS_URL,
    // a test that brings its own Redis (a private server to kill) runs on that one alone
    REDIS_CLUSTER_NODES: overrides.REDIS_URL ? '' : TEST_REDIS_CLUSTER_NODES,
    DATABASE_URL: TEST_DATABASE_URL,
    KEY_PREFIX: `t${id}`,
    DB_SCHEMA: `t_${id}`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    PORT: '0',
    ...overrides,
  };
  const config = loadConfig(env);
  const redis = createRedis(config);
  const pool = createPool(config);
  await migrate(pool, config.dbSchema);
  return {
    config, env, redis, pool,
    async cleanup() {
      await deleteKeys(redis, `${config.keyPrefix}:*`);
      await pool.query(`DROP SCHEMA IF EXISTS ${config.dbSchema} CASCADE`);
      await pool.end();
      redis.disconnect();
    },
  };
}


/** Wait until `check` returns a truthy value, polling; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T> | T, what: string, timeoutMs = 10_000, everyMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
