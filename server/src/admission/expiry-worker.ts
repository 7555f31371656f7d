// Unpaid holds whose time is up give their stock back. The Lua script decides, exactly once,
// whether a hold is released; Postgres follows with idempotent writes.
import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { cancelPendingOrder, inTransaction, insertLedger, insertOrders } from '../db/orders-repo.ts';
import { publishShopperNews } from '../live/shopper-news.ts';
import { redisNow } from '../redis.ts';
import type { ReleaseResult } from '../stock/decisions.ts';
import { dealIdOfHold } from '../stock/keys.ts';
import type { AdmissionDeps } from './deps.ts';
import { QueueName, type ExpiryBatchJob, type ExpiryJob } from './queues.ts';
import { workerOptions } from './worker-options.ts';

// Redis TIME and this host's clock may differ a little; wake a bit after the hold's end.
const NOT_DUE_MARGIN_MS = 250;

type ExpireDeps = Pick<AdmissionDeps, 'config' | 'redis' | 'pool' | 'stock' | 'stats'>;

/** Cancel the hold's order and book the release. Safe to run again: the order flips only from
 *  pending and the ledger row is unique per (hold, reason). */
async function recordRelease(deps: ExpireDeps, hold: string, dealId: string, qty: number): Promise<void> {
  await inTransaction(deps.pool, async (c) => {
    if (!(await cancelPendingOrder(c, hold))) {
      // No pending row: either already cancelled (a repeat), or the order job is lagging behind
      // the expiry (or died with its worker). Write the order as cancelled from the hold record,
      // with its 'hold' ledger row, so the books stay whole; the late order job then meets
      // ON CONFLICT DO NOTHING.
      const [rec, deal] = await Promise.all([deps.stock.readHold(hold), deps.stock.readDeal(dealId)]);
      if (!rec || !deal) throw new Error(`expiry: hold ${hold} or deal ${dealId} missing from Redis`);
      const inserted = await insertOrders(c, [{
        hold, dealId, shopper: rec.shopper, qty: rec.qty, unitPriceMinor: deal.unitPriceMinor,
        currency: deal.currency, heldAt: rec.heldAt, expiresAt: rec.expiresAt,
      }], 'cancelled');
      // The order job's insert was in flight: ours waited for it and met ON CONFLICT, so its
      // row is there now, pending; the release booked below must not leave it so.
      if (inserted.length === 0) await cancelPendingOrder(c, hold);
    }
    await insertLedger(c, 'release', [{ hold, dealId, qty }]);
  });
}

/** Expire one hold now if it is due (Redis clock). Used by the expiry worker, the reconciler
 *  and tests; running it any number of times gives the stock back once. */
export async function expireHoldNow(deps: ExpireDeps, hold: string): Promise<ReleaseResult> {
  const r = await deps.stock.releaseExpiredHold(hold);
  if (r.released) {
    await recordRelease(deps, hold, r.dealId, r.qty);
    deps.stats.holdsReleased++;
    await publishShopperNews(deps.redis, deps.config.keyPrefix, [
      { shopper: r.shopper, msg: { t: 'expired', hold, deal: r.dealId } },
    ]);
  } else if (r.reason === 'already_released') {
    // The stock went back in an earlier run; if that run died before Postgres, finish its
    // writes now (idempotent). The shopper was told then, or will see it in their orders.
    const dealId = dealIdOfHold(hold);
    if (dealId && r.qty) await recordRelease(deps, hold, dealId, r.qty);
  }
  return r;
}

export function startExpiryWorker(deps: AdmissionDeps, connection: Redis) {
  const processor = async (job: Job<ExpiryJob | ExpiryBatchJob>, token?: string): Promise<string> => {
    const holds = 'holds' in job.data ? job.data.holds : [job.data.hold];
    const results = new Map<string, number>();
    let notDue: string | null = null;
    // One at a time: each is one Lua call and one small transaction, and a batch job is one of
    // many running at once (the pg pool is the real limit).
    for (const hold of holds) {
      const r = await expireHoldNow(deps, hold);
      const key = r.released ? 'released' : r.reason;
      results.set(key, (results.get(key) ?? 0) + 1);
      if (!r.released && r.reason === 'not_due') notDue = hold;
    }
    if (notDue !== null) {
      // This host's clock ran ahead of Redis: wait until the hold's end by Redis time. Holds of
      // the batch already released are a no-op when the job runs again.
      const [rec, now] = await Promise.all([deps.stock.readHold(notDue), redisNow(deps.redis)]);
      const wait = Math.max(0, (rec?.expiresAt ?? now) - now) + NOT_DUE_MARGIN_MS;
      await job.moveToDelayed(Date.now() + wait, token);
      throw new DelayedError();
    }
    return holds.length === 1 ? [...results.keys()][0]! : [...results].map(([k, n]) => `${k}:${n}`).join(' ');
  };
  const worker = new Worker<ExpiryJob | ExpiryBatchJob>(QueueName.expiry, processor, {
    ...workerOptions(deps.config, connection),
    // one Lua call + one small transaction per hold; the pg pool is the real limit
    concurrency: Math.min(deps.config.workerConcurrency, 50),
  });
  return { worker };
}
