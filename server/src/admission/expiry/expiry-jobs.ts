// The expiry queue's jobs: their shapes, how the order worker schedules them once a hold's order
// row is written, and how reconcile re-queues the one a hold lost (under ids of its own, as the
// re-admit does: ../tries.ts). A job only says which holds
// to look at and when; whether a hold is released is Redis's call when it runs (a job that runs
// early or twice is harmless).
import type { Queue } from 'bullmq';
import type { Logger } from '../../logger.ts';
import type { StockStore } from '../../stock/stock-store.ts';
import { jobId } from '../queues.ts';
import { addTry, MAX_TRIES } from '../tries.ts';

/** Give an unpaid hold's stock back once its time is up. */
export interface ExpiryJob {
  hold: string;
  dealId: string;
}

/** The holds of one admitted batch (one deal), expired together: a grab batch's holds share
 *  their expiresAt, so one delayed job does what one per hold did. */
export interface ExpiryBatchJob {
  dealId: string;
  holds: string[];
}

export type ExpiryQueue = Queue<ExpiryJob | ExpiryBatchJob>;

type DueHold = { hold: string; dealId: string; expiresAt: number };

/** Where a deal's expiry jobs go: its admission shard's expiry queue (AdmissionQueues). */
export interface ExpiryQueues {
  forDeal(dealId: string): { expiry: ExpiryQueue };
}

/** One delayed expiry job for holds of one deal admitted by one order job, due when the
 *  last of them is (a grab batch's holds share their expiresAt), in the deal's shard.
 *  Idempotent by job id. */
export async function scheduleExpiryBatch(queues: ExpiryQueues, orderJobId: string, holds: readonly DueHold[]): Promise<void> {
  if (holds.length === 0) return;
  if (holds.length === 1) return scheduleExpiries(queues, holds);
  const byDeal = new Map<string, { holds: string[]; due: number }>();
  for (const h of holds) {
    let g = byDeal.get(h.dealId);
    if (!g) byDeal.set(h.dealId, (g = { holds: [], due: 0 }));
    g.holds.push(h.hold);
    if (h.expiresAt > g.due) g.due = h.expiresAt;
  }
  const now = Date.now();
  await addByShard(queues, [...byDeal].map(([dealId, g]) => ({
    dealId,
    job: { name: 'expire-batch', data: { dealId, holds: g.holds }, opts: { jobId: jobId.expiryBatch(orderJobId, dealId), delay: Math.max(0, g.due - now) } },
  })));
}

/** Schedule each hold's expiry at its expiresAt (sooner is harmless: the Lua says not_due). */
export async function scheduleExpiries(queues: ExpiryQueues, holds: readonly DueHold[]): Promise<void> {
  if (holds.length === 0) return;
  const now = Date.now();
  await addByShard(queues, holds.map((h) => ({
    dealId: h.dealId,
    job: { name: 'expire', data: { hold: h.hold, dealId: h.dealId }, opts: { jobId: jobId.expiry(h.hold), delay: Math.max(0, h.expiresAt - now) } },
  })));
}

type BulkJob = Parameters<ExpiryQueue['addBulk']>[0][number];

/** One addBulk per shard queue the jobs' deals map to (an order job's deals share one shard, so
 *  this is one call in the common case). */
async function addByShard(queues: ExpiryQueues, jobs: readonly { dealId: string; job: BulkJob }[]): Promise<void> {
  const byQueue = new Map<ExpiryQueue, BulkJob[]>();
  for (const { dealId, job } of jobs) {
    const q = queues.forDeal(dealId).expiry;
    const list = byQueue.get(q);
    if (list) list.push(job);
    else byQueue.set(q, [job]);
  }
  await Promise.all([...byQueue].map(([q, list]) => q.addBulk(list)));
}

/** Queues the expiry of an overdue hold again, whatever BullMQ still holds under its ids (see
 *  addTry): a job under the hold's own id that a killed worker left active would otherwise keep
 *  the hold held, or its order pending, until a stalled check. Running an expiry twice gives
 *  the stock back once. Returns whether a job was added. */
async function requeueExpiry(queue: ExpiryQueue, job: ExpiryJob, logger?: Logger): Promise<boolean> {
  const added = await addTry(queue, (n) => jobId.reexpiry(job.hold, n), (id) => queue.add('expire', job, { jobId: id }));
  if (added !== 'exhausted') return added;
  logger?.error({ hold: job.hold, deal: job.dealId, tries: MAX_TRIES }, 'reconcile: overdue hold still not expired after every re-queue; see its failed jobs');
  return false;
}

/** Reconcile's safety net for lost expiry jobs: every hold of the deal still held at `dueBy`
 *  (the deal's expiry index, StockStore.dueHolds), and every hold in `released` (holds Redis
 *  released whose order Postgres still has pending: the expiry that released them died before
 *  its transaction, its job may stay active a long while, and a run again finishes the writes),
 *  gets a per-hold expiry job due now, unless one under its ids is still pending (requeueExpiry).
 *  Returns how many were re-queued. */
export async function requeueOverdueExpiries(
  deps: { stock: StockStore; expiry: ExpiryQueue; logger?: Logger; signal?: AbortSignal },
  dealId: string, dueBy: number, released: readonly string[] = [],
): Promise<number> {
  let requeued = 0;
  const overdue = [...await deps.stock.dueHolds(dealId, dueBy), ...released];
  for (const hold of overdue) {
    if (deps.signal?.aborted) break;
    if (await requeueExpiry(deps.expiry, { hold, dealId }, deps.logger)) {
      requeued++;
      deps.logger?.warn({ hold, deal: dealId }, 'reconcile: overdue hold had no pending expiry job, re-queued');
    }
  }
  return requeued;
}
