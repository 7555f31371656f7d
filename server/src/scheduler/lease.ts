// The leader's lease: a redlock lock on one key, renewed often, that this process knows the end
// of. redlock's `using` hides that end: after an event-loop stall longer than the lease, the
// stale term's own timers may run before `using` notices, and a standby may already lead. Here
// `valid()` answers from the local clock (the lock's expiry as redlock computed it, which is
// earlier than Redis's), so a term checks it before anything Postgres does not fence, and the
// first check past the end aborts the term.
import Redlock, { ExecutionError, ResourceLockedError, type Lock } from 'redlock';

/**
 * What went wrong in a failed redlock call, as one Error whose message names Redis's own errors
 * (a MOVED, an OOM, a timeout): redlock reports them only as an ExecutionError ("unable to
 * achieve a quorum") whose per-client errors sit in its attempts. "Locked by another node" is
 * not a failure and is left out.
 */
export async function explainLockError(err: unknown): Promise<Error> {
  if (!(err instanceof ExecutionError)) return err instanceof Error ? err : new Error(String(err));
  const stats = await Promise.all(err.attempts).catch(() => []);
  const causes = [...new Set(stats.flatMap((s) => [...s.votesAgainst.values()])
    .filter((e) => !(e instanceof ResourceLockedError) && !(e instanceof ExecutionError)).map((e) => e.message))];
  return causes.length ? new Error(`redlock: ${causes.join('; ')}`, { cause: err }) : err;
}

/** the lock is held by someone else (not: Redis could not be asked) */
export function lockedByOther(err: unknown): Promise<boolean> {
  if (!(err instanceof ExecutionError) || err.attempts.length === 0) return Promise.resolve(false);
  return Promise.all(err.attempts).then((stats) => stats.every((s) =>
    s.votesAgainst.size > 0 && [...s.votesAgainst.values()].every((e) => e instanceof ResourceLockedError)));
}

/** How a lease tells its owner about renewals (for logging: a failed renewal is retried). */
export interface RenewalWatch {
  failed(err: Error): void;
  renewed(): void;
}

export class Lease {
  private readonly ctl = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  /** fires at the lease's end, in case no renewal or check comes first (a renewal hangs) */
  private watchdog: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | null = null;

  private constructor(
    private lock: Lock,
    private readonly ttlMs: number,
    private readonly renewEveryMs: number,
    private readonly renewals: RenewalWatch | undefined,
  ) {
    this.arm(renewEveryMs);
    this.watch();
  }

  /** One attempt; null when another node holds the lock. Throws when Redis cannot be asked. */
  static async tryAcquire(redlock: Redlock, key: string, ttlMs: number, renewEveryMs: number, renewals?: RenewalWatch): Promise<Lease | null> {
    try {
      return new Lease(await redlock.acquire([key], ttlMs, { retryCount: 0 }), ttlMs, renewEveryMs, renewals);
    } catch (err) {
      if (await lockedByOther(err)) return null;
      throw err;
    }
  }

  /** Aborted when the lease is lost; `reason` says why. */
  get signal(): AbortSignal {
    return this.ctl.signal;
  }

  /** Still ours by the local clock. The first call past the end aborts the lease. */
  valid(): boolean {
    if (!this.ctl.signal.aborted && Date.now() >= this.lock.expiration) this.lose(new Error('lease expired before it was renewed'));
    return !this.ctl.signal.aborted;
  }

  /** Stops renewing and deletes the lock if it is still ours. Resolves with what went wrong
   *  when Redis refused the release (the lock then expires by itself), else null. */
  async release(): Promise<Error | null> {
    this.stopTimers();
    if (!this.ctl.signal.aborted) this.ctl.abort(new Error('released'));
    await this.renewing;
    try {
      await this.lock.release();
      return null;
    } catch (err) {
      return (await lockedByOther(err)) ? null : explainLockError(err);
    }
  }

  private lose(reason: Error): void {
    this.stopTimers();
    this.ctl.abort(reason);
  }

  private stopTimers(): void {
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    this.timer = this.watchdog = undefined;
  }

  private watch(): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.valid(), Math.max(0, this.lock.expiration - Date.now()) + 1);
  }

  private arm(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.renewing = this.renew().finally(() => { this.renewing = null; }); }, ms);
  }

  private async renew(): Promise<void> {
    if (!this.valid()) return;
    try {
      this.lock = await this.lock.extend(this.ttlMs);
      if (this.ctl.signal.aborted) return;
      this.renewals?.renewed();
      this.watch();
      this.arm(this.renewEveryMs);
    } catch (err) {
      if (this.ctl.signal.aborted) return;
      if (await lockedByOther(err)) return this.lose(new Error('lock taken by another node'));
      this.renewals?.failed(await explainLockError(err));
      // Redis did not answer: try again soon, for as long as the lease lasts
      if (this.valid()) this.arm(Math.max(10, Math.floor(this.renewEveryMs / 4)));
    }
  }
}
