// One term of leadership: from winning the lock to losing it (or stepping down). Acts on the
// node's schedule (schedule.ts, already loaded while standing by): on time by the Redis clock it
// pre-warms, opens, marks sold out and closes deals. Every state write carries the term's
// fencing token; the moment the lease is lost or runs out the term stops acting.
import type { RedisClient } from '../redis.ts';
import type pg from 'pg';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { DealState, type DealStateValue } from '../shared/protocol.ts';
import { StockStore } from '../stock/stock-store.ts';
import { readDealRecord, warmInput } from './deal-warm.ts';
import { publishDealChanged } from '../live/shopper-news.ts';
import { getDeal, transitionDeal, type ScheduledDeal, type TransitionInput } from '../db/deals-repo.ts';
import type { RedisClock } from '../redis-clock.ts';
import { announceLeader } from './fence.ts';
import { createPaymentProvider, type PaymentProvider } from '../admission/payments.ts';
import { reconcile, type ReconcileDeps, type ReconcileReport } from './reconcile.ts';
import { SerialTask } from './serial-task.ts';
import { RoomStore } from '../room/room-store.ts';
import { warmRoomOf } from '../room/room-settings.ts';
import { ACTIONABLE, REFRESH_MS, type Schedule } from './schedule.ts';

export interface TermDeps {
  config: Readonly<Config>;
  redis: RedisClient;
  pool: pg.Pool;
  logger: Logger;
  nodeId: string;
  fence: number;
  /** the node's schedule and Redis clock, kept loaded across terms */
  schedule: Schedule;
  /** aborted when the lock is lost or the scheduler closes */
  signal: AbortSignal;
  /** the lease, by the local clock: checked before each write Postgres does not fence */
  leaseValid: () => boolean;
  /** give up leadership (fenced out by a newer leader): aborts `signal` */
  stepDown: () => void;
  queues: () => NonNullable<ReconcileDeps['queues']>;
  onReconciled?: (r: ReconcileReport) => void;
}

const SOLD_OUT_CHECK_MS = 200;

/** What was pushed to Redis for a deal; a change (a brand's edit) means warm again. */
function warmSignature(d: ScheduledDeal): string {
  return [d.startsAt, d.endsAt, d.perShopperLimit, d.holdSeconds, d.dealPriceMinor, d.currency].join('|');
}

export class LeaderTerm {
  private readonly stock: StockStore;
  private readonly rooms: RoomStore;
  private readonly clock: RedisClock;
  /** refunds or finishes the charges a dead gateway left (reconcile's charge journal pass) */
  private readonly provider: PaymentProvider;
  private readonly log: Logger;
  private warmed = new Map<string, string>();
  private inflight = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private dueTimer: NodeJS.Timeout | undefined;
  /** one pass over the schedule at a time; when idle, the timer for the next due deal is armed */
  private readonly acting = new SerialTask(() => this.actOnce(),
    (err) => this.log.error({ err }, 'scheduler: act failed'), () => !this.stopped, () => this.armDueTimer());
  private readonly refreshing = new SerialTask(() => this.refresh(),
    (err) => this.log.error({ err }, 'scheduler: schedule refresh failed'), () => !this.stopped);
  private reconciling = false;
  private lastSoldOutCheck = 0;

  constructor(private readonly d: TermDeps) {
    this.stock = new StockStore(d.redis, d.config.keyPrefix);
    this.rooms = new RoomStore(d.redis, d.config.keyPrefix, d.config.room);
    this.provider = createPaymentProvider(d.config);
    this.clock = d.schedule.clock;
    this.log = d.logger.child({ fence: d.fence });
  }

  /** also true past the lease's end before anything noticed: a stalled term must not act */
  private get stopped(): boolean {
    return this.d.signal.aborted || !this.d.leaseValid();
  }

  private get deals(): ReadonlyMap<string, ScheduledDeal> {
    return this.d.schedule.deals;
  }

  /** Runs until the signal aborts. */
  async run(): Promise<void> {
    const { config, signal } = this.d;
    const ended = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    const announce = () => announceLeader(this.d.redis, config.keyPrefix, this.d.nodeId, config.lockTtlMs);
    try {
      // the schedule was loaded while standing by: act on it first, then read it afresh. A due
      // deal waits for no start-of-term read, and its transition gets the pool's warm
      // connection rather than opening a new one beside the read.
      void this.act().then(() => this.requestRefresh());
      void announce().catch((err: unknown) => this.log.warn({ err }, 'scheduler: leader announcement failed'));
      this.every(config.schedulerTickMs, () => this.act());
      this.every(REFRESH_MS, () => this.requestRefresh());
      this.every(Math.max(100, Math.floor(config.lockTtlMs / 3)), announce);
      this.every(config.reconcileIntervalMs, () => this.reconcileOnce());
      await ended;
    } finally {
      for (const t of this.timers) clearInterval(t);
      clearTimeout(this.dueTimer);
      // writes already sent are fenced; wait so the caller releases the lock after them
      await Promise.allSettled([this.acting.inFlight, this.refreshing.inFlight]);
    }
  }

  private every(ms: number, fn: () => unknown): void {
    this.timers.push(setInterval(() => {
      if (this.stopped) return;
      Promise.resolve().then(fn).catch((err: unknown) => this.log.error({ err }, 'scheduler: periodic task failed'));
    }, ms));
  }

  /** A deal changed in Postgres (a brand's edit, another process): reload soon. */
  requestRefresh(): Promise<void> {
    return this.refreshing.run();
  }

  private async refresh(): Promise<void> {
    await this.d.schedule.refresh();
    if (this.stopped) return;
    for (const id of this.warmed.keys()) if (!this.deals.has(id)) this.warmed.delete(id);
    await this.rewarmEdited();
    this.armDueTimer();
    void this.act();
  }

  /** Deals already in Redis whose schedule or terms changed since warming: warm again (the
   *  Lua judges the window by what Redis holds). Counters and stock stay as Redis has them. */
  private async rewarmEdited(): Promise<void> {
    for (const deal of this.deals.values()) {
      if (deal.state === DealState.Scheduled || !ACTIONABLE.has(deal.state) || this.stopped) continue;
      const sig = warmSignature(deal);
      let known = this.warmed.get(deal.id);
      if (known === undefined) {
        const cur = await this.stock.readDeal(deal.id);
        if (!cur) continue; // not in Redis: opening warms it
        known = [cur.startsAt, cur.endsAt, cur.limit, cur.holdMs / 1000, cur.unitPriceMinor, cur.currency].join('|');
        this.warmed.set(deal.id, known);
      }
      if (known === sig) continue;
      const cur = await this.stock.readDeal(deal.id);
      if (this.stopped) return;
      if (cur && cur.stock !== deal.stock) {
        this.log.warn({ deal: deal.id, redis: cur.stock, postgres: deal.stock }, 'scheduler: stock edited after warming; Redis keeps its stock');
      }
      await this.stock.warmDeal(warmInput(deal, this.d.config.stockBucketUnits, cur?.stock ?? deal.stock), this.record(deal));
      this.warmed.set(deal.id, sig);
      this.log.info({ deal: deal.id }, 'scheduler: deal edited, re-warmed');
      await publishDealChanged(this.d.redis, this.d.config.keyPrefix, deal.id, deal.festivalId);
    }
  }

  /** The next instant something is due, so a deal opens on its second rather than on a tick. */
  private armDueTimer(): void {
    clearTimeout(this.dueTimer);
    if (this.stopped) return;
    const now = this.clock.now();
    const prewarm = this.d.config.prewarmSeconds * 1000;
    let next = Infinity;
    const consider = (at: number) => { if (at > now && at < next) next = at; };
    for (const deal of this.deals.values()) {
      if (!ACTIONABLE.has(deal.state)) continue;
      if (deal.state === DealState.Scheduled) consider(deal.startsAt - prewarm);
      if (deal.state === DealState.Scheduled || deal.state === DealState.Warming) consider(deal.startsAt);
      consider(deal.endsAt);
    }
    if (next === Infinity) return;
    const delay = Math.max(1, Math.ceil(this.clock.until(next)));
    if (delay > 2 ** 31 - 1) return;
    this.dueTimer = setTimeout(() => void this.act(), delay);
  }

  /** One pass over the schedule; passes never overlap (a request during one runs after it). */
  act(): Promise<void> {
    return this.acting.run();
  }

  private async actOnce(): Promise<void> {
    if (this.stopped) return;
    const now = this.clock.now();
    const prewarm = this.d.config.prewarmSeconds * 1000;
    const work: Promise<void>[] = [];
    const run = (deal: ScheduledDeal, fn: (deal: ScheduledDeal) => Promise<void>) => {
      if (this.inflight.has(deal.id)) return;
      this.inflight.add(deal.id);
      work.push(fn.call(this, deal)
        .catch((err: unknown) => this.log.error({ err, deal: deal.id }, 'scheduler: deal action failed'))
        .finally(() => this.inflight.delete(deal.id)));
    };
    for (const deal of this.deals.values()) {
      const s = deal.state;
      if (!ACTIONABLE.has(s)) continue; // ended here; the next refresh drops it
      if (now >= deal.endsAt) run(deal, this.close);
      else if (s === DealState.Scheduled && now >= deal.startsAt - prewarm) run(deal, this.warmAndMaybeOpen);
      else if (s === DealState.Warming && now >= deal.startsAt) run(deal, this.open);
    }
    if (now - this.lastSoldOutCheck >= SOLD_OUT_CHECK_MS) {
      this.lastSoldOutCheck = now;
      work.push(this.checkSoldOut().catch((err: unknown) => this.log.error({ err }, 'scheduler: sold-out check failed')));
    }
    await Promise.all(work);
  }

  /** A fenced transition; on success the local schedule follows and gateways hear of it. */
  private async transition(deal: ScheduledDeal, t: Omit<TransitionInput, 'dealId' | 'fence'>): Promise<boolean> {
    if (this.stopped) return false;
    const res = await transitionDeal(this.d.pool, { ...t, dealId: deal.id, fence: this.d.fence });
    if (!res.ok) {
      if (res.reason === 'fenced') {
        this.log.warn({ deal: deal.id }, 'scheduler: fenced out by a newer leader; stopping');
        this.d.stepDown();
      } else {
        this.log.info({ deal: deal.id, to: t.to, reason: res.reason }, 'scheduler: transition skipped; reloading');
        await this.holdBrandStop(deal);
        void this.requestRefresh();
      }
      return false;
    }
    this.d.schedule.moved(deal, t.to);
    this.log.info({ deal: deal.id, from: res.from, to: t.to }, 'scheduler: deal transition');
    await publishDealChanged(this.d.redis, this.d.config.keyPrefix, deal.id, deal.festivalId);
    return true;
  }

  /** A brand cancelled or stopped the deal while this term acted on an older picture (e.g. it
   *  warmed the deal 'open' just after the cancel): make Redis say so, or grabs would go on. */
  private async holdBrandStop(deal: ScheduledDeal): Promise<void> {
    const cur = await getDeal(this.d.pool, deal.id);
    if (cur && (cur.state === DealState.Cancelled || cur.state === DealState.Stopped) && !this.stopped) {
      await this.stock.setStatus(deal.id, cur.state);
    }
  }

  /** Postgres's record of the deal, read only if a bucket is missing: a bucket lost after the
   *  deal may have sold is re-created from it, never at its full share (sold twice). */
  private record(deal: ScheduledDeal) {
    return () => readDealRecord(this.d.pool, deal.id);
  }

  private async warm(deal: ScheduledDeal): Promise<void> {
    const cur = await this.stock.readDeal(deal.id);
    if (this.stopped) return;
    await this.stock.warmDeal(warmInput(deal, this.d.config.stockBucketUnits, cur?.stock ?? deal.stock), this.record(deal));
    // the deal's waiting room (if it has one) sits beside its stock on the deal's slot
    await warmRoomOf(this.d.pool, this.rooms, deal.id);
    this.warmed.set(deal.id, warmSignature(deal));
  }

  private async warmAndMaybeOpen(deal: ScheduledDeal): Promise<void> {
    if (this.stopped) return;
    await this.warm(deal);
    if (!(await this.transition(deal, { from: [DealState.Scheduled], to: DealState.Warming }))) return;
    // the scheduler was down past the start: open in the same breath
    if (this.clock.now() >= deal.startsAt) await this.open(deal);
  }

  private async open(deal: ScheduledDeal): Promise<void> {
    if (this.stopped) return;
    // Redis lost the deal (flush, failover): the Lua would answer unknown_deal. Warming
    // re-creates it from Postgres: Redis may have opened it by its clock and sold already.
    if (!(await this.stock.hasDeal(deal.id))) await this.warm(deal);
    await this.transition(deal, { from: [DealState.Warming], to: DealState.Live, openedAt: this.clock.now() });
  }

  private async close(deal: ScheduledDeal): Promise<void> {
    if (this.stopped) return;
    // Redis status stays 'open': the Lua refuses grabs by endsAt, and holds stay payable until
    // their own expiry. Holds expiring later are folded into the counters by reconcile.
    const c = await this.stock.readDeal(deal.id);
    const final = c ? { held: c.held, sold: c.sold, available: c.available } : { held: 0, sold: 0, available: deal.stock };
    const from: DealStateValue[] = [DealState.Scheduled, DealState.Warming, DealState.Live, DealState.SoldOut];
    await this.transition(deal, { from, to: DealState.Ended, closedAt: this.clock.now(), final });
  }

  private async checkSoldOut(): Promise<void> {
    const live = [...this.deals.values()].filter((d) => d.state === DealState.Live && !this.inflight.has(d.id));
    if (live.length === 0) return;
    const counters = await this.stock.readCounters(live.map((d) => d.id));
    for (const deal of live) {
      const c = counters.get(deal.id);
      // while anything is held, expiries may still give stock back
      if (!c || c.available !== 0 || c.held !== 0 || this.inflight.has(deal.id)) continue;
      this.inflight.add(deal.id);
      try {
        await this.transition(deal, { from: [DealState.Live], to: DealState.SoldOut });
      } finally {
        this.inflight.delete(deal.id);
      }
    }
  }

  private async reconcileOnce(): Promise<void> {
    if (this.reconciling || this.stopped) return;
    this.reconciling = true;
    try {
      const report = await reconcile({
        redis: this.d.redis, pool: this.d.pool, keyPrefix: this.d.config.keyPrefix, logger: this.log,
        queues: this.d.queues(), fence: this.d.fence, signal: this.d.signal, provider: this.provider,
        stockBucketUnits: this.d.config.stockBucketUnits,
      });
      this.d.onReconciled?.(report);
      const c = report.charges;
      if (report.violations || report.readmitted || report.reexpired || c.confirmed || c.settled || c.refunded
        || report.lostDeals.found) {
        this.log.warn({ report: { ...report, perDeal: undefined } }, 'scheduler: reconcile found problems');
      }
    } finally {
      this.reconciling = false;
    }
  }
}
