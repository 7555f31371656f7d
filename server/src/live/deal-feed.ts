// The gateway's local picture of festivals and deals: catalogue from Postgres, live counters
// from Redis. Counters are read for all active deals in one pipeline every `liveSnapshotMs`
// and only changed deals are published, so broadcasts stay capped (~10/s) however fast grabs
// run. Life-cycle changes (scheduler, brand edits) arrive on the dealChanged channel.
import type { Redis } from 'ioredis';
import type { Pool } from '../db/pool.ts';
import { festivalIdOfDeal, loadFestival } from '../db/catalog-repo.ts';
import type { StockStore } from '../stock/stock-store.ts';
import { ServerMsg, Topic, type DealView, type FestivalView } from '../protocol.ts';
import type { Logger } from '../logger.ts';

type Publish = (topic: string, message: string) => void;

interface FestivalEntry {
  festival: Omit<FestivalView, 'serverTime' | 'deals'>;
  dealIds: string[];
}

const LIVE_STATES = new Set(['warming', 'live', 'sold_out', 'ended', 'stopped']);

export class DealFeed {
  private readonly festivals = new Map<string, FestivalEntry>();
  private readonly loading = new Map<string, Promise<FestivalEntry | null>>();
  readonly deals = new Map<string, DealView>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly misses = new Map<string, number>();

  constructor(
    private readonly pool: Pool,
    private readonly stock: StockStore,
    private readonly publish: Publish,
    private readonly logger: Logger,
    private readonly snapshotMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.snapshotMs);
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

  /** Reload one festival from Postgres (a deal was warmed, opened, edited, cancelled ...). */
  async reload(festivalId: string): Promise<void> {
    this.festivals.delete(festivalId);
    const entry = await this.load(festivalId);
    if (!entry) return;
    const now = Date.now();
    const view = await this.festivalView(festivalId, now);
    if (view) this.publish(Topic.festival(festivalId), JSON.stringify({ t: ServerMsg.Festival, festival: view }));
  }

  private load(festivalId: string): Promise<FestivalEntry | null> {
    let p = this.loading.get(festivalId);
    if (!p) {
      p = this.fetch(festivalId).finally(() => this.loading.delete(festivalId));
      this.loading.set(festivalId, p);
    }
    return p;
  }

  private async fetch(festivalId: string): Promise<FestivalEntry | null> {
    const f = await loadFestival(this.pool, festivalId);
    if (!f) return null;
    const counters = await this.stock.readCounters(f.deals.map((d) => d.id));
    for (const d of f.deals) {
      const c = counters.get(d.id);
      const prev = this.deals.get(d.id);
      this.deals.set(d.id, c ? { ...d, ...c } : prev && LIVE_STATES.has(d.state) ? { ...d, available: prev.available, held: prev.held, sold: prev.sold } : d);
    }
    const entry = { festival: { id: f.id, name: f.name, startsAt: f.startsAt, endsAt: f.endsAt }, dealIds: f.deals.map((d) => d.id) };
    this.festivals.set(festivalId, entry);
    return entry;
  }

  /** A deal not in the cache yet (nobody subscribed to its festival on this gateway): load its
   *  festival once. Misses are remembered briefly so unknown ids cannot hammer Postgres. */
  async ensureDeal(dealId: string): Promise<DealView | null> {
    const cached = this.deals.get(dealId);
    if (cached) return cached;
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

  private async poll(): Promise<void> {
    if (this.polling) return; // a slow Redis must not stack polls
    this.polling = true;
    try {
      const ids = [...this.deals.values()].filter((d) => LIVE_STATES.has(d.state)).map((d) => d.id);
      const counters = await this.stock.readCounters(ids);
      for (const [id, c] of counters) {
        const d = this.deals.get(id);
        if (!d) continue;
        if (d.available === c.available && d.held === c.held && d.sold === c.sold) continue;
        const next = { ...d, ...c };
        this.deals.set(id, next);
        const msg = JSON.stringify({ t: ServerMsg.Deal, deal: next });
        this.publish(Topic.festival(d.festivalId), msg);
      }
    } catch (err) {
      this.logger.warn({ err }, 'deal counters poll failed');
    } finally {
      this.polling = false;
    }
  }
}
