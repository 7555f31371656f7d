import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from './config.ts';

/** A plain connection for commands and Lua. No keyPrefix: keys are built in stock/keys.ts
 *  and BullMQ takes its own `prefix`. */
export function createRedis(config: Pick<Config, 'redisUrl'>, opts: RedisOptions = {}): Redis {
  return new Redis(config.redisUrl, { lazyConnect: false, enableAutoPipelining: false, ...opts });
}

/** Connections BullMQ workers and subscribers use must never give up on a command. */
export function createBlockingRedis(config: Pick<Config, 'redisUrl'>): Redis {
  return createRedis(config, { maxRetriesPerRequest: null });
}

/** Redis `TIME` in epoch ms: the one clock that decides opening and closing. */
export async function redisNow(redis: Redis): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/** Removes every key matching `pattern` (SCAN + UNLINK, never KEYS): test and bench namespaces. */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}
