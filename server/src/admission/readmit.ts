// The single-hold re-admit: reconcile's safety net for a hold whose order row never reached
// Postgres (the gateway died before its window was added, the add failed, or the job died with
// its worker). It adds the classic one-hold order job, which the order worker writes like any
// other; the rest of reconcile stays in scheduler/reconcile.ts.
import type { Logger } from '../logger.ts';
import { jobId, type OrderJob, type ShardQueues } from './queues.ts';
import { addTry, MAX_TRIES } from './tries.ts';

/** Puts a hold that has no order row back on the orders queue (its deal's shard's), whatever BullMQ still holds under
 *  its ids (see addTry: a pending job will write the row; an active or finished one gets a next
 *  try under an id of its own, and a duplicate write is a harmless ON CONFLICT). Returns whether
 *  a job was added. */
export async function readmitHold(queue: ShardQueues['orders'], job: OrderJob, logger?: Logger): Promise<boolean> {
  const added = await addTry(queue, (n) => jobId.readmit(job.hold, n), (id) => queue.add('order', job, { jobId: id }));
  if (added !== 'exhausted') return added;
  logger?.error({ hold: job.hold, deal: job.dealId, tries: MAX_TRIES }, 'reconcile: hold still has no order row after every re-admission; see its failed jobs');
  return false;
}
