// Options every admission worker shares.
import type { WorkerOptions } from 'bullmq';
import type { RedisClient } from '../redis.ts';
import type { Config } from '../config.ts';
import { queuePrefix } from './shards.ts';

/** Options of a worker on `shard`'s queue. */
export function workerOptions(
  config: Pick<Config, 'keyPrefix' | 'stalledIntervalMs' | 'admissionShards'>, connection: RedisClient, shard: number,
): WorkerOptions {
  return {
    connection,
    prefix: queuePrefix(config.keyPrefix, shard, config.admissionShards),
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

/** A shard's worker's concurrency: WORKER_CONCURRENCY (at most `cap`) is the process's, shared
 *  by the shards it consumes, so consuming more shards does not multiply the jobs (and the
 *  Postgres transactions) in flight. */
export function shareOfConcurrency(config: Pick<Config, 'workerConcurrency' | 'admissionShardsConsumed'>, cap = Infinity): number {
  return Math.ceil(Math.min(config.workerConcurrency, cap) / Math.max(1, config.admissionShardsConsumed.length));
}
