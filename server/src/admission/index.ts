// Admission: holds become orders, unpaid holds expire, payments settle. The worker role calls
// startWorkers; the gateway calls createAdmission (queues only) and payHold.
import type { RedisClient } from '../redis.ts';
import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import { createBlockingRedis } from '../redis.ts';
import { StockStore } from '../stock/stock-store.ts';
import { newStats, type AdmissionDeps, type AdmissionStats } from './deps.ts';
import { startExpiryWorker } from './expiry/index.ts';
import { createOrderBatcher, startOrderWorker } from './order-worker.ts';
import { startPaymentWorker } from './payment-worker.ts';
import { Admission } from './queues.ts';

export { Admission, AdmissionQueues, QueueName, jobId, type OrderJob, type ExpiryJob, type PaymentJob, type ShardQueues } from './queues.ts';
export { shardOfDeal, shardTag } from './shards.ts';
export { payHold, createPaymentProvider, DemoPaymentProvider, type PaymentProvider, type PayOutcome } from './payments.ts';
export { expireHoldNow } from './expiry/index.ts';
export type { AdmissionStats } from './deps.ts';

/** The gateway side: queues only, no workers. `redis` may be the gateway's command connection. */
export function createAdmission(config: Pick<Config, 'keyPrefix' | 'admissionShards'>, redis: RedisClient): Admission {
  return new Admission(config, redis);
}

export interface RunningWorkers {
  stats: AdmissionStats;
  close(): Promise<void>;
}

export async function startWorkers(deps: { config: Readonly<Config>; redis: RedisClient; pool: Pool; logger: Logger }): Promise<RunningWorkers> {
  const { config, redis, pool } = deps;
  const logger = deps.logger.child({ part: 'admission' });
  const admission = new Admission(config, redis);
  const ctx: AdmissionDeps = {
    config, redis, pool, logger, admission, stats: newStats(), stock: new StockStore(redis, config.keyPrefix),
  };
  // Workers never give up on a Redis command (BullMQ requires it); one connection for their
  // commands, BullMQ duplicates it for each worker's blocking fetch.
  const connection = createBlockingRedis(config);
  // One order batcher for every shard this process consumes: a transaction writes holds of all.
  const batcher = createOrderBatcher(ctx);
  const workers = config.admissionShardsConsumed.flatMap((shard) => [
    { shard, worker: startOrderWorker(ctx, connection, shard, batcher).worker },
    { shard, worker: startExpiryWorker(ctx, connection, shard).worker },
    { shard, worker: startPaymentWorker(ctx, connection, shard).worker },
  ]);
  for (const { shard, worker: w } of workers) {
    w.on('error', (err) => logger.error({ err, queue: w.name, shard }, 'worker error'));
    w.on('failed', (job, err) => logger.warn({ err, queue: w.name, shard, job: job?.id, attempts: job?.attemptsMade }, 'job failed'));
  }
  await Promise.all(workers.map(({ worker: w }) => w.waitUntilReady()));
  logger.info({
    concurrency: config.workerConcurrency, batchMax: config.orderBatchMax,
    shards: config.admissionShards, consumed: config.admissionShardsConsumed,
  }, 'admission workers started');

  let closing: Promise<void> | null = null;
  return {
    stats: ctx.stats,
    close() {
      closing ??= (async () => {
        // close() stops fetching and waits for active jobs; the order jobs among them wait on
        // the pending batch, so flush it now rather than after its timer.
        const closed = Promise.all(workers.map(({ worker: w }) => w.close()));
        await batcher.drain();
        await closed;
        await admission.close();
        await connection.quit().catch(() => connection.disconnect());
        logger.info({ stats: ctx.stats }, 'admission workers stopped');
      })();
      return closing;
    },
  };
}
