// The expiry queue's worker: a delayed job comes due, each of its holds is expired
// (expire-hold.ts); a hold Redis says is not due yet (this host's clock ran ahead) puts the job
// back to sleep until it is.
import { DelayedError, Worker, type Job } from 'bullmq';
import type { RedisClient } from '../../redis.ts';
import { redisNow } from '../../redis.ts';
import { dealIdOfHold } from '../../stock/keys.ts';
import type { AdmissionDeps } from '../deps.ts';
import { QueueName } from '../queues.ts';
import { shareOfConcurrency, workerOptions } from '../worker-options.ts';
import { expireHoldsNow } from './expire-hold.ts';
import type { ExpiryBatchJob, ExpiryJob } from './expiry-jobs.ts';

// Redis TIME and this host's clock may differ a little; wake a bit after the hold's end.
const NOT_DUE_MARGIN_MS = 250;

/** The expiry worker of one admission shard. */
export function startExpiryWorker(deps: AdmissionDeps, connection: RedisClient, shard: number) {
  const processor = async (job: Job<ExpiryJob | ExpiryBatchJob>, token?: string): Promise<string> => {
    const holds = 'holds' in job.data ? job.data.holds : [job.data.hold];
    const results = new Map<string, number>();
    let notDue: string | null = null;
    const outcomes = await expireHoldsNow(deps, holds);
    for (let i = 0; i < holds.length; i++) {
      const r = outcomes[i]!;
      const key = r.released ? 'released' : r.reason;
      results.set(key, (results.get(key) ?? 0) + 1);
      if (!r.released && r.reason === 'not_due') notDue = holds[i]!;
    }
    if (notDue !== null) {
      // This host's clock ran ahead of Redis: wait until the hold's end by the clock that wrote
      // it (its deal's master). Holds of the batch already released are a no-op when the job
      // runs again.
      const dealId = dealIdOfHold(notDue);
      const [rec, now] = await Promise.all([deps.stock.readHold(notDue), dealId ? deps.stock.now(dealId) : redisNow(deps.redis)]);
      const wait = Math.max(0, (rec?.expiresAt ?? now) - now) + NOT_DUE_MARGIN_MS;
      await job.moveToDelayed(Date.now() + wait, token);
      throw new DelayedError();
    }
    return holds.length === 1 ? [...results.keys()][0]! : [...results].map(([k, n]) => `${k}:${n}`).join(' ');
  };
  const worker = new Worker<ExpiryJob | ExpiryBatchJob>(QueueName.expiry, processor, {
    ...workerOptions(deps.config, connection, shard),
    // a job is one transaction (one per hold only for orders not written yet); the pg pool is the real limit
    concurrency: shareOfConcurrency(deps.config, 50),
  });
  return { worker };
}
