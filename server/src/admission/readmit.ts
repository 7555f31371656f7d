// The single-hold re-admit: reconcile's safety net for a hold whose order row never reached
// Postgres (the gateway died before its window was added, the add failed, or the job died with
// its worker). It adds the classic one-hold order job, which the order worker writes like any
// other; the rest of reconcile stays in scheduler/reconcile.ts.
import type { Logger } from '../logger.ts';
import { jobId, type AdmissionQueues, type OrderJob } from './queues.ts';

// States in which a job under a hold's id will still run and write the hold's order row.
const PENDING_STATES: ReadonlySet<string> = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);
// Each try is added only once the one before it is no longer pending, at most one per run:
// this many means the hold's row fails to write every time, which a person must look at.
const MAX_READMITS = 8;

/** Puts a hold that has no order row back on the orders queue, whatever BullMQ still holds under
 *  its ids. A pending job will write the row. An active one may be a dead worker's (it stays
 *  active until its lock lapses and a stalled check moves it, a minute by default, by which time
 *  the hold may have expired), and a finished one evidently did not write it: the next try gets
 *  an id of its own, and a duplicate write is a harmless ON CONFLICT. Finished jobs are left for
 *  inspection. Returns whether a job was added. */
export async function readmitHold(queue: AdmissionQueues['orders'], job: OrderJob, logger?: Logger): Promise<boolean> {
  for (let n = 0; n < MAX_READMITS; n++) {
    const id = jobId.readmit(job.hold, n);
    const state = await queue.getJobState(id);
    if (state === 'unknown') {
      await queue.add('order', job, { jobId: id });
      return true;
    }
    if (PENDING_STATES.has(state)) return false;
  }
  logger?.error({ hold: job.hold, deal: job.dealId, tries: MAX_READMITS }, 'reconcile: hold still has no order row after every re-admission; see its failed jobs');
  return false;
}
