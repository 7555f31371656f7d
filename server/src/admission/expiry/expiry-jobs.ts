// The expiry queue's jobs: their shapes, how the order worker schedules them once a hold's order
// row is written, and how reconcile re-queues the one a hold lost. A job only says which holds
// to look at and when; whether a hold is released is Redis's call when it runs (a job that runs
// early or twice is harmless).
import type { Queue } from 'bullmq';
import type { Logger } from '../../logger.ts';
import type { StockStore } from '../../stock/stock-store.ts';
import { jobId } from '../queues.ts';

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

/** One delayed expiry job for holds of one deal admitted by one order job, due when the
 *  last of them is (a grab batch's holds share their expiresAt). Idempotent by job id. */
export async function scheduleExpiryBatch(queue: ExpiryQueue, orderJobId: string, holds: readonly DueHold[]): Promise<void> {
  if (holds.length === 0) return;
  if (holds.length === 1) return scheduleExpiries(queue, holds);
  const byDeal = new Map<string, { holds: string[]; due: number }>();
  for (const h of holds) {
    let g = byDeal.get(h.dealId);
    if (!g) byDeal.set(h.dealId, (g = { holds: [], due: 0 }));
    g.holds.push(h.hold);
    if (h.expiresAt > g.due) g.due = h.expiresAt;
  }
  const now = Date.now();
  await queue.addBulk([...byDeal].map(([dealId, g]) => ({
    name: 'expire-batch',
    data: { dealId, holds: g.holds },
    opts: { jobId: jobId.expiryBatch(orderJobId, dealId), delay: Math.max(0, g.due - now) },
  })));
}

/** Schedule each hold's expiry at its expiresAt (sooner is harmless: the Lua says not_due). */
export async function scheduleExpiries(queue: ExpiryQueue, holds: readonly DueHold[]): Promise<void> {
  if (holds.length === 0) return;
  const now = Date.now();
  await queue.addBulk(holds.map((h) => ({
    name: 'expire',
    data: { hold: h.hold, dealId: h.dealId },
    opts: { jobId: jobId.expiry(h.hold), delay: Math.max(0, h.expiresAt - now) },
  })));
}

/** Adds a job unless one with that id is still pending; a finished one is replaced, since
 *  the thing it was for is evidently not done. */
async function ensureJob(queue: ExpiryQueue, name: string, data: ExpiryJob, id: string): Promise<boolean> {
  const existing = await queue.getJob(id);
  if (existing) {
    const state = await existing.getState();
    if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return false;
    await existing.remove();
  }
  await queue.add(name, data, { jobId: id });
  return true;
}

/** Reconcile's safety net for lost expiry jobs: every hold of the deal still held at `dueBy`
 *  (the deal's expiry index, StockStore.dueHolds) gets a per-hold expiry job due now, unless
 *  one is still pending. Returns how many were re-queued. */
export async function requeueOverdueExpiries(
  deps: { stock: StockStore; expiry: ExpiryQueue; logger?: Logger; signal?: AbortSignal },
  dealId: string, dueBy: number,
): Promise<number> {
  let requeued = 0;
  for (const hold of await deps.stock.dueHolds(dealId, dueBy)) {
    if (deps.signal?.aborted) break;
    if (await ensureJob(deps.expiry, 'expire', { hold, dealId }, jobId.expiry(hold))) {
      requeued++;
      deps.logger?.warn({ hold, deal: dealId }, 'reconcile: overdue hold had no pending expiry job, re-queued');
    }
  }
  return requeued;
}
