// Options every admission worker shares.
import type { WorkerOptions } from 'bullmq';
import type { RedisClient } from '../redis.ts';
import type { Config } from '../config.ts';
import { queuePrefix } from './queues.ts';

export function workerOptions(config: Pick<Config, 'keyPrefix' | 'stalledIntervalMs'>, connection: RedisClient): WorkerOptions {
  return {
    connection,
    prefix: queuePrefix(config.keyPrefix),
    // A killed worker's jobs come back after their lock lapses and the next stalled check sees
    // it; tying the lock to the check interval keeps that recovery time one knob. Never under
    // a second: a busy event loop must not make live jobs look stalled.
    stalledInterval: config.stalledIntervalMs,
    lockDuration: Math.max(config.stalledIntervalMs, 1_000),
    // Every job here is idempotent, so running one again after a stall is safe; failing it
    // after the default single stall would park a real order in 'failed' for a human.
    maxStalledCount: 5,
  };
}
