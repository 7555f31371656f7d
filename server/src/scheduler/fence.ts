// The fencing token. Holding the redlock lock says "you were leader when you last checked";
// the token makes that checkable by Postgres: each new leader takes a higher token and raises
// `scheduler_fence`, and every state write carries the writer's token (db/deals-repo.ts), so a
// paused or partitioned former leader can no longer change anything.
import type { Result } from 'ioredis';
import type { RedisClient } from '../redis.ts';
import type pg from 'pg';
import { schedulerKeys } from './keys.ts';
import { luaCommands } from '../lua-commands.ts';

// The scheduler's own scripts: its keys are no deal's, so they live beside it in ./lua.
declare module 'ioredis' {
  interface RedisCommander<Context> {
    ffTakeFenceToken(fence: string, floor: number): Result<number, Context>;
    ffRetractLeader(leader: string, nodeId: string): Result<number, Context>;
  }
}

const defineSchedulerScripts = luaCommands(new URL('./lua/', import.meta.url), {
  ffTakeFenceToken: 'take-fence-token-1.lua',
  ffRetractLeader: 'retract-leader-1.lua',
});

/** Takes a new token and raises the Postgres fence to it. Returns the token. */
export async function raiseFence(redis: RedisClient, pool: pg.Pool, prefix: string, nodeId: string): Promise<number> {
  defineSchedulerScripts(redis);
  const key = schedulerKeys(prefix).fence;
  let token = await redis.incr(key);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await writeFence(pool, token, nodeId)) return token;
    const current = await readFence(pool);
    token = Number(await redis.ffTakeFenceToken(key, current?.token ?? 0));
  }
  throw new Error('scheduler fence: could not take a token above the one in Postgres');
}

/** how long raising the fence waits behind a transition before looking for a stalled one */
const FENCE_LOCK_WAIT_MS = 150;

/** Raises the fence to `token` unless Postgres has one as high. A transition holds the fence row
 *  FOR SHARE until it commits; one left open by a leader whose process stalled mid-transaction
 *  would hold the new term off for as long as the stall. That leader's lease has ended (we hold
 *  the lock), so its transaction is ended for it: it rolls back, and it had not happened. */
async function writeFence(pool: pg.Pool, token: number, nodeId: string): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    const client = await pool.connect();
    try {
      // one round trip (a simple query cannot take parameters): the new term waits for this
      const results = await client.query(
        `BEGIN; SET LOCAL lock_timeout = '${FENCE_LOCK_WAIT_MS}ms';
         INSERT INTO scheduler_fence (id, token, leader) VALUES (true, ${Math.trunc(token)}, ${client.escapeLiteral(nodeId)})
         ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token, leader = EXCLUDED.leader, since = now()
           WHERE scheduler_fence.token < EXCLUDED.token
         RETURNING token;
         COMMIT`) as unknown as pg.QueryResult[];
      return results[2]?.rowCount === 1;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      // 55P03 lock_not_available: the lock_timeout above
      if ((err as { code?: string }).code !== '55P03' || attempt >= 3) throw err;
      await client.query(
        `SELECT pg_terminate_backend(a.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'relation' AND l.relation = 'scheduler_fence'::regclass AND l.granted
            AND a.pid <> pg_backend_pid() AND a.state = 'idle in transaction'`);
    } finally {
      client.release();
    }
  }
}

export async function readFence(pool: pg.Pool): Promise<{ token: number; leader: string; since: Date } | null> {
  const { rows } = await pool.query<{ token: number; leader: string; since: Date }>(
    'SELECT token, leader, since FROM scheduler_fence');
  return rows[0] ?? null;
}

/** Announces the leader for the ops board; expires by itself if the leader dies. */
export async function announceLeader(redis: RedisClient, prefix: string, nodeId: string, ttlMs: number): Promise<void> {
  await redis.set(schedulerKeys(prefix).leader, nodeId, 'PX', ttlMs);
}

/** Removes the announcement only if it is still ours. */
export async function retractLeader(redis: RedisClient, prefix: string, nodeId: string): Promise<void> {
  defineSchedulerScripts(redis);
  await redis.ffRetractLeader(schedulerKeys(prefix).leader, nodeId);
}
