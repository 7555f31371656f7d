// Holds -> pending orders, in batches. A job carries one hold (a re-admit) or all the holds of
// one gateway admission window, packed (OrderGroupsJob); BullMQ runs up to `workerConcurrency`
// jobs at once, each parks its holds in a Batcher, and one statement writes a whole batch
// with `unnest`: the check of the batch's deals, orders and 'hold' ledger rows (a statement
// per row costs a round trip and a plan per row). Once every
// hold of a job is written, the job schedules their expiry (one delayed job per order job and
// deal) and completes; a crash before that runs the job again, which writes nothing twice.
import { Worker, type Job } from 'bullmq';
import type { RedisClient } from '../redis.ts';
import { insertFreshOrders } from '../db/orders-repo.ts';
import { pendingOrderFrame, publishShopperFrames } from '../live/shopper-news.ts';
import { Batcher } from './batcher.ts';
import { scheduleExpiryBatch } from './expiry/expiry-jobs.ts';
import type { AdmissionDeps } from './deps.ts';
import { QueueName, orderRowsOfJob, type OrderJob, type OrderQueueJob } from './queues.ts';
import { shareOfConcurrency, workerOptions } from './worker-options.ts';

/** Postgres data (22xxx) and constraint (23xxx) errors belong to a row, not to the batch. */
function isRowError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

export function createOrderBatcher(deps: AdmissionDeps): Batcher<OrderJob> {
  const { config, pool, redis, stats } = deps;

  async function write(rows: readonly OrderJob[]): Promise<void> {
    const inserted = await insertFreshOrders(pool, rows); // one statement: atomic without a transaction
    stats.ordersWritten += inserted.length;
    stats.orderBatches++;
    // the hold ids tie each order row back to the gateway's "grab batch decided" debug line
    if (deps.logger.isLevelEnabled('debug')) deps.logger.debug({ holds: rows.map((r) => r.hold), inserted: inserted.length }, 'order batch written');
    // Only rows this flush inserted: a re-admitted hold, or one an expiry or payment already
    // wrote, is not 'pending' news. A crash between commit and publish loses the note; the
    // shopper already has the 'held' answer, so news stays best-effort. Every row inserted (the
    // rule) needs no set of the inserted ids to tell.
    let fresh: readonly OrderJob[] = rows;
    if (inserted.length !== rows.length) {
      const ids = new Set(inserted);
      fresh = rows.filter((r) => ids.has(r.hold));
    }
    await publishShopperFrames(redis, config.keyPrefix, fresh.map((r) => ({ shopper: r.shopper, frame: pendingOrderFrame(r) })));
  }

  return new Batcher<OrderJob>(config.orderBatchMax, config.orderBatchWaitMs, async (rows) => {
    try {
      await write(rows);
    } catch (err) {
      if (rows.length === 1 || !isRowError(err)) throw err;
      // One poisoned row (say, a deal missing from Postgres) must not fail its neighbours on
      // every retry: write them one by one so only it fails.
      deps.logger.warn({ err, rows: rows.length }, 'order batch hit a row error; writing one by one');
      const errors: (Error | null)[] = [];
      for (const r of rows) errors.push(await write([r]).then(() => null, (e: Error) => e));
      return errors;
    }
  });
}

/** The orders worker of one admission shard; the batcher is the process's, shared by every
 *  shard it consumes, so one transaction writes holds of all of them. */
export function startOrderWorker(deps: AdmissionDeps, connection: RedisClient, shard: number, batcher: Batcher<OrderJob>) {
  const processor = async (job: Job<OrderQueueJob>): Promise<void> => {
    const holds = orderRowsOfJob(job.data);
    await batcher.addAll(holds);
    // After the commit(s): if this fails the job is retried, and the inserts are then no-ops.
    await scheduleExpiryBatch(deps.admission.queues, String(job.id), holds);
  };
  const worker = new Worker<OrderQueueJob>(QueueName.orders, processor, {
    ...workerOptions(deps.config, connection, shard),
    concurrency: shareOfConcurrency(deps.config),
  });
  return { worker };
}
