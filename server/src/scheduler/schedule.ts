// The scheduler's picture of what is due: the deals that need acting on, read from Postgres,
// and the Redis clock that says when. Every scheduler keeps one loaded, leader or not, so a
// standby that wins the lock acts on its first turn instead of first reading and sampling.
import type { RedisClient } from '../redis.ts';
import type pg from 'pg';
import { DealState, type DealStateValue } from '../shared/protocol.ts';
import { listActionableDeals, type ScheduledDeal } from '../db/deals-repo.ts';
import { RedisClock } from '../redis-clock.ts';
import { SerialTask } from './serial-task.ts';

export const ACTIONABLE: ReadonlySet<DealStateValue> = new Set([DealState.Scheduled, DealState.Warming, DealState.Live, DealState.SoldOut]);
/** a refresh reads this far past the pre-warm horizon, so the next refresh is never too late */
export const REFRESH_MS = 500;

export class Schedule {
  readonly clock: RedisClock;
  private current = new Map<string, ScheduledDeal>();
  /** deal id -> refresh generation of its last local transition (newer than a stale read) */
  private touched = new Map<string, number>();
  private generation = 0;
  private readonly reading: SerialTask;

  constructor(
    redis: RedisClient,
    private readonly pool: pg.Pool,
    private readonly prewarmMs: number,
    onError: (err: unknown) => void,
  ) {
    this.clock = new RedisClock(redis);
    this.reading = new SerialTask(() => this.read(), onError, () => true);
  }

  get deals(): ReadonlyMap<string, ScheduledDeal> {
    return this.current;
  }

  /** Reloads from Postgres; a call during a read asks for one more read after it. */
  refresh(): Promise<void> {
    return this.reading.run();
  }

  get inFlight(): Promise<void> | null {
    return this.reading.inFlight;
  }

  private async read(): Promise<void> {
    const gen = ++this.generation;
    const horizon = this.clock.now() + this.prewarmMs + 2 * REFRESH_MS;
    const rows = await listActionableDeals(this.pool, horizon);
    const next = new Map<string, ScheduledDeal>();
    for (const row of rows) {
      const local = this.current.get(row.id);
      // a transition made while this read ran is newer than what the read saw
      next.set(row.id, local && (this.touched.get(row.id) ?? 0) >= gen ? { ...row, state: local.state } : row);
    }
    this.current = next;
    for (const id of this.touched.keys()) if (!next.has(id)) this.touched.delete(id);
  }

  /** A transition this node made: the picture follows at once, and outranks reads in flight. */
  moved(deal: ScheduledDeal, to: DealStateValue): void {
    const local = this.current.get(deal.id);
    if (local) local.state = to;
    deal.state = to;
    this.touched.set(deal.id, this.generation + 1);
  }
}
