// The gateway's local picture of festivals and deals: catalogue from Postgres, live counters
// from Redis. Counters are read for all active deals in one pipeline every `liveSnapshotMs`
// and the changed deals of each festival go out as ONE `deals` snapshot, so broadcasts stay
// capped (~10/s) however fast grabs run. Life-cycle changes (scheduler, brand edits) arrive on
// the dealChanged channel. The same pipeline adds this gateway's local refusals (answered
// without Redis) to the deal hash, so the ops counters see every answer.
import type { Pool } from '../db/pool.ts';
import { festivalIdOfDeal, loadFestival } from '../db/catalog-repo.ts';
import type { StockStore } from '../stock/stock-store.ts';
import { GrabRefusal, ServerMsg, Topic, type DealView, type FestivalView } from '../shared/protocol.ts';
import type { CountedRefusal } from '../stock/decisions.ts';
import type { Logger } from '../logger.ts';
import { dealCounts, type DealCounts } from './aggregates.ts';
import { FailureLog } from '../redis.ts';

export type Publish = (topic: string, message: string, kind: string) => void;
/** deal:<id> snapshots go out only when someone on this gateway follows that topic */
export type PublishIfSubscribed = (topic: string, message: () => string, kind: string) => boolean;

interface FestivalEntry {
  festival: Omit<FestivalView, 'serverTime' | 'deals'>;
  dealIds: string[];
}

const LIVE_STATES = new Set(['warming', 'live', 'sold_out', 'ended', 'stopped']);
/** scheduled deals this close to opening are polled too (the scheduler may warm them any moment) */
const SOON_MS = 120_000;
/** the refusals a gateway answers from its cache, without Redis */
const LOCAL_REFUSALS: ReadonlySet<string> = new Set<CountedRefusal>([GrabRefusal.NotOpen, GrabRefusal.Ended, GrabRefusal.SoldOut]);

/** At most one call per key in flight: callers that arrive meanwhile share its promise. */
class SingleFlight<V> {
  private readonly inFlight = new Map<string, Promise<V>>();

  run(key: string, call: () => Promise<V>): Promise<V> {
    let p = this.inFlight.get(key);
    if (!p) {
      p = call().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }
}

export class DealFeed {
  private readonly festivals = new Map<string, FestivalEntry>();
  /** festival id -> its load in flight */
  private readonly loading = new SingleFlight<FestivalEntry | null>();
  /** deal id -> the look-up in flight for a deal not in the cache (see ensureDeal) */
  private readonly ensuring = new SingleFlight<DealView | null>();
  readonly deals = new Map<string, DealView>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly misses = new Map<string, number>();
  /** the last counters read from Redis, per deal (the ops board aggregates these) */
  readonly counts = new Map<string, DealCounts>();
  /** deal -> code -> local refusals not yet added to Redis */
  private readonly localRefusals = new Map<string, Map<CountedRefusal, number>>();
  private readonly seqs = new Map<string, number>();
  /** festival id -> deals changed since its last snapshot (polls between two snapshots) */
  private readonly unsent = new Map<string, Set<string>>();
  /** snapshots published (one per festival with changes per tick) */
  snapshots = 0;
  polls = 0;
  /** run after every poll (ticker relay, ops board) */
  readonly afterPoll: (() => void)[] = [];
  /** a Redis outage fails every poll (ten a second): one line per streak, not one per poll */
  private readonly pollFailures: FailureLog;
  /** the last poll failed (a slow tick then has its reason logged already) */
  get pollFailing(): boolean {
    return this.pollFailures.failing;
  }

  constructor(
    private readonly pool: Pool,
    private readonly stock: StockStore,
    private readonly publish: Publish,
    private readonly logger: Logger,
    private readonly snapshotMs: number,
    private readonly publishIfSubscribed: PublishIfSubscribed = () => false,
  ) {
    this.pollFailures = new FailureLog(logger, 'deal counters poll');
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.snapshotMs);
  }

  /** A grab this gateway refused from its cache (code: not_open | ended | sold_out). */
  countLocalRefusal(dealId: string, code: string): void {
    if (!LOCAL_REFUSALS.has(code)) return;
    const counted = code as CountedRefusal;
    let m = this.localRefusals.get(dealId);
    if (!m) this.localRefusals.set(dealId, (m = new Map()));
    m.set(counted, (m.get(counted) ?? 0) + 1);
  }

  /** Last snapshot seq published for a festival (0 before the first). */
  seqOf(festivalId: string): number {
    return this.seqs.get(festivalId) ?? 0;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async festivalView(festivalId: string, now: number): Promise<FestivalView | null> {
    const entry = this.festivals.get(festivalId) ?? (await this.load(festivalId));
    if (!entry) return null;
    const deals = entry.dealIds.map((id) => this.deals.get(id)).filter((d): d is DealView => !!d);
    return { ...entry.festival, deals, serverTime: now };
  }

  /** The festivals this gateway has loaded (someone here subscribed to them or grabbed in them). */
  festivalIds(): IterableIterator<string> {
    return this.festivals.keys();
  }

  /** Reload one festival from Postgres (a deal was warmed, opened, edited, cancelled ...). */
  async reload(festivalId: string): Promise<void> {
    this.festivals.delete(festivalId);
    const entry = await this.load(festivalId);
    if (!entry) return;
    const now = Date.now();
    const view = await this.festivalView(festivalId, now);
    if (view) this.publish(Topic.festival(festivalId), JSON.stringify({ t: ServerMsg.Festival, festival: view }), 'festival');
  }

  private load(festivalId: string): Promise<FestivalEntry | null> {
    return this.loading.run(festivalId, () => this.fetch(festivalId));
  }

  private async fetch(festivalId: string): Promise<FestivalEntry | null> {
    const f = await loadFestival(this.pool, festivalId);
    if (!f) return null;
    const counters = await this.stock.readCounters(f.deals.map((d) => d.id));
    for (const d of f.deals) {
      const c = counters.get(d.id);
      const prev = this.deals.get(d.id);
      // the counters alone: the bucket count beside them is not shoppers' business (DealView)
      this.deals.set(d.id, c ? { ...d, available: c.available, held: c.held, sold: c.sold } : prev && LIVE_STATES.has(d.state) ? { ...d, available: prev.available, held: prev.held, sold: prev.sold } : d);
    }
    const entry = { festival: { id: f.id, name: f.name, startsAt: f.startsAt, endsAt: f.endsAt }, dealIds: f.deals.map((d) => d.id) };
    this.festivals.set(festivalId, entry);
    return entry;
  }

  /** A deal not in the cache yet (nobody subscribed to its festival on this gateway): load its
   *  festival once. Misses are remembered briefly so unknown ids cannot hammer Postgres. */
  ensureDeal(dealId: string): Promise<DealView | null> {
    const cached = this.deals.get(dealId);
    if (cached) return Promise.resolve(cached);
    // One look-up per deal at a time: the first wave of grabs for a deal this gateway does not
    // know yet (a new deal, a restarted gateway) arrives as thousands of frames in a few ms, and
    // a query each queued them all behind one another, and the first grabs waited for all.
    return this.ensuring.run(dealId, () => this.lookUp(dealId));
  }

  private async lookUp(dealId: string): Promise<DealView | null> {
    const missedAt = this.misses.get(dealId);
    if (missedAt !== undefined && Date.now() - missedAt < 1_000) return null;
    const festivalId = await festivalIdOfDeal(this.pool, dealId);
    if (festivalId) await this.load(festivalId);
    const found = this.deals.get(dealId) ?? null;
    if (!found) {
      if (this.misses.size > 10_000) this.misses.clear();
      this.misses.set(dealId, Date.now());
    }
    return found;
  }

  /** Called with the counters the grab path just saw, so local sold-out answers are fresh. */
  noteAvailable(dealId: string, available: number): void {
    const d = this.deals.get(dealId);
    if (d && available < d.available) d.available = available;
  }

  /**
   * One round: add local refusal counts, read every active deal's hash, publish what changed.
   * With `snapshots` false the festival snapshots wait for a later round (the gateway's send
   * budget, see snapshot-cadence.ts); what changed meanwhile goes out in that one.
   */
  async poll(snapshots = true): Promise<void> {
    if (this.polling) return; // a slow Redis must not stack polls
    this.polling = true;
    try {
      const now = Date.now();
      const ids = [...this.deals.values()]
        .filter((d) => LIVE_STATES.has(d.state) || (d.state === 'scheduled' && d.startsAt - now < SOON_MS))
        .map((d) => d.id);
      const local = this.localRefusals.size ? [...this.localRefusals] : [];
      this.localRefusals.clear();
      if (ids.length === 0 && local.length === 0) return;
      const read = await this.stock.pollDeals(ids, local);
      ids.forEach((id, i) => {
        const c = read[i];
        const d = this.deals.get(id);
        if (!c || !d) return;
        this.counts.set(id, dealCounts(c));
        if (d.available === c.available && d.held === c.held && d.sold === c.sold) return;
        const next = { ...d, available: c.available, held: c.held, sold: c.sold };
        this.deals.set(id, next);
        let changed = this.unsent.get(d.festivalId);
        if (!changed) this.unsent.set(d.festivalId, (changed = new Set()));
        changed.add(id);
        this.publishIfSubscribed(Topic.deal(id), () => JSON.stringify({ t: ServerMsg.Deal, deal: next }), 'deal');
      });
      if (snapshots) this.publishSnapshots(now);
      this.polls++;
      this.pollFailures.ok();
    } catch (err) {
      this.pollFailures.fail(err);
      this.onError?.(err);
    } finally {
      this.polling = false;
    }
    for (const f of this.afterPoll) {
      try {
        f();
      } catch (err) {
        this.logger.warn({ err }, 'live: after-poll step failed');
      }
    }
  }

  private publishSnapshots(now: number): void {
    for (const [festivalId, changed] of this.unsent) {
      // the views as they are now: a reload since the poll may have changed a deal's state
      const deals = [...changed].map((id) => this.deals.get(id)).filter((d): d is DealView => !!d);
      if (deals.length === 0) continue;
      const seq = (this.seqs.get(festivalId) ?? 0) + 1;
      this.seqs.set(festivalId, seq);
      this.snapshots++;
      this.publish(Topic.festival(festivalId), JSON.stringify({ t: ServerMsg.Deals, festival: festivalId, seq, at: now, deals }), 'snapshot');
    }
    this.unsent.clear();
  }

  onError: ((err: unknown) => void) | undefined;
}
