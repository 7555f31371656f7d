// Reconcile's tries at a hold's job under ids of its own: the single-hold re-admit (readmit.ts)
// and the re-queued expiry (expiry/expiry-jobs.ts). A job under the hold's own id may be one
// BullMQ will not run again soon (active under a dead worker's lock, or finished), so waiting on
// it is no answer; every job here is idempotent, so a second one is harmless.

// States in which a job under a hold's id will still run (and do what it was added for).
const PENDING_STATES: ReadonlySet<string> = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);
// Each try is added only once the one before it is no longer pending, at most one per run:
// this many means the hold's job fails to do its work every time, which a person must look at.
export const MAX_TRIES = 8;

/** Adds a try at a hold's job (`add(id)`) under the first of its ids (`idOf(0)`, `idOf(1)`, ...)
 *  that is free, unless a try is still pending. An active try may be a dead worker's (it stays
 *  active until its lock lapses and a stalled check moves it, a minute by default), and a
 *  finished one evidently did not do the work: the next try gets an id of its own. Finished
 *  tries are left for inspection. Returns whether a job was added, or 'exhausted' once every
 *  id is taken. */
export async function addTry(
  queue: { getJobState(id: string): Promise<string> },
  idOf: (n: number) => string,
  add: (id: string) => Promise<unknown>,
): Promise<boolean | 'exhausted'> {
  for (let n = 0; n < MAX_TRIES; n++) {
    const id = idOf(n);
    const state = await queue.getJobState(id);
    if (state === 'unknown') {
      await add(id);
      return true;
    }
    if (PENDING_STATES.has(state)) return false;
  }
  return 'exhausted';
}
