// The ops board's data, computed on every gateway from the same Redis counters the deal feed
// reads (no scans, no extra per-grab work): per-deal and festival aggregates each tick, and once
// a second the slower parts (node heartbeats, the scheduler leader, BullMQ queue depths, a
// chart point). Published on the uWS topic `ops` only while an ops socket listens.
import type { RedisClient } from '../redis.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import type { DealView } from '../shared/protocol.ts';
import { currentFestivalId } from '../db/catalog-repo.ts';
import { schedulerKeys } from '../scheduler/keys.ts';
import { readQueueDepths, sumOverShards, type QueueSet } from '../metrics/queue-depths.ts';
import type { DealFeed } from './deal-feed.ts';
import { RateTracker, dealAggregate, festivalAggregate, type DealCounts } from './aggregates.ts';
import { readNodes } from './nodes.ts';
import { FailureLog } from '../redis.ts';
import type { OpsDeal, OpsNode, OpsPoint, OpsQueues, OpsRoom, OpsSnapshot, QueueDepth } from '../shared/ops-view.ts';

const HISTORY_POINTS = 300; // 5 minutes at one a second
const SLOW_EVERY_MS = 1_000;
const FESTIVAL_EVERY_MS = 5_000;

export interface OpsBoardDeps {
  redis: RedisClient;
  pool: Pool;
  prefix: string;
  feed: DealFeed;
  fxRates: Readonly<Record<string, number>>;
  queues: QueueSet | null;
  logger: Logger;
  /** publish on `ops` if anyone listens; returns whether it did */
  publish(message: () => string): boolean;
  /** the waiting rooms' figures (room/room-gate.ts) */
  rooms?: () => OpsRoom[];
}

function countsFromView(d: DealView): DealCounts {
  return {
    available: d.available, held: d.held, sold: d.sold, stock: d.stock, orders: 0, grabs: 0,
    priceMinor: d.dealPrice.minor, currency: d.dealPrice.currency, rejections: {},
  };
}

export class OpsBoard {
  readonly history: OpsPoint[] = [];
  private seq = 0;
  private festival: { id: string; name: string; displayCurrency: string } | null = null;
  private festivalCheckedAt = 0;
  private nodes: OpsNode[] = [];
  private leader: string | null = null;
  private queues: OpsQueues | null = null;
  private slowAt = 0;
  private slowRunning = false;
  private readonly rates = new RateTracker();
  private latest: OpsSnapshot | null = null;
  /** set by tick when a chart point was added since the last publish */
  private freshPoint: OpsPoint | null = null;

  private readonly refreshFailures: FailureLog;

  constructor(private readonly d: OpsBoardDeps) {
    this.refreshFailures = new FailureLog(d.logger, 'ops board: refresh');
  }

  /** After each deal-feed poll: recompute, and publish if an ops socket listens. */
  tick(now = Date.now()): void {
    if (now - this.slowAt >= SLOW_EVERY_MS && !this.slowRunning) {
      this.slowAt = now;
      this.slowRunning = true;
      this.refreshSlow(now)
        .then(() => this.refreshFailures.ok(), (err: unknown) => this.refreshFailures.fail(err))
        .finally(() => { this.slowRunning = false; });
    }
    this.d.publish(() => {
      const snapshot = this.compute(now);
      const point = this.freshPoint;
      this.freshPoint = null;
      return JSON.stringify(point ? { t: 'ops', snapshot, point } : { t: 'ops', snapshot });
    });
  }

  /** The latest picture (REST, a newly opened ops socket). */
  snapshot(now = Date.now()): OpsSnapshot {
    return this.latest && now - this.latest.at < 50 ? this.latest : this.compute(now);
  }

  /** Make sure the current festival is loaded and the slow parts are fresh (REST, tests). */
  async refresh(now = Date.now()): Promise<void> {
    await this.refreshSlow(now, true);
  }

  private compute(now: number): OpsSnapshot {
    const f = this.festival;
    const deals: OpsDeal[] = [];
    if (f) {
      for (const view of this.d.feed.deals.values()) {
        if (view.festivalId !== f.id) continue;
        const c = this.d.feed.counts.get(view.id) ?? countsFromView(view);
        const gps = this.rates.rate(`g:${view.id}`, c.grabs, now);
        const ops = this.rates.rate(`o:${view.id}`, c.orders, now);
        deals.push(dealAggregate(view, c, gps, ops));
      }
    }
    const live = this.nodes.filter((n) => !n.stale);
    const gateways = live.filter((n) => n.role === 'gateway' || n.role === 'all');
    const worst = (k: 'p50' | 'p99') => {
      const v = gateways.map((n) => n[k]).filter((x): x is number => typeof x === 'number');
      return v.length ? Math.max(...v) : null;
    };
    this.latest = {
      at: now, seq: ++this.seq,
      festival: f ? festivalAggregate(f, deals, this.d.fxRates) : null,
      deals, nodes: this.nodes, leader: this.leader, queues: this.queues,
      shoppers: gateways.reduce((n, g) => n + (g.sockets ?? 0), 0),
      latency: { p50: worst('p50'), p99: worst('p99') },
      dropped: this.nodes.reduce((n, g) => n + (g.dropped ?? 0), 0),
      ...(this.d.rooms ? { rooms: this.d.rooms() } : {}),
    };
    return this.latest;
  }

  private async refreshSlow(now: number, force = false): Promise<void> {
    const { redis, pool, prefix, feed } = this.d;
    if (force || now - this.festivalCheckedAt >= FESTIVAL_EVERY_MS || !this.festival) {
      this.festivalCheckedAt = now;
      const id = await currentFestivalId(pool);
      if (id) {
        const view = await feed.festivalView(id, now);
        const { rows } = await pool.query<{ display_currency: string }>('SELECT display_currency FROM festivals WHERE id = $1', [id]);
        this.festival = view ? { id, name: view.name, displayCurrency: (rows[0]?.display_currency ?? 'USD').trim() } : null;
      } else {
        this.festival = null;
      }
    }
    const [nodes, leader, queues] = await Promise.all([
      readNodes(redis, prefix, now),
      redis.get(schedulerKeys(prefix).leader),
      this.readQueues(),
    ]);
    for (const n of nodes) n.leader = n.id === leader || n.leader;
    this.nodes = nodes;
    this.leader = leader;
    const written = nodes.reduce((s, n) => s + (n.ordersWritten ?? 0), 0);
    if (queues) queues.drainPerSec = Math.round(this.rates.rate('drain', written, now) * 10) / 10;
    this.queues = queues;
    const snap = this.compute(now);
    const point: OpsPoint = {
      t: now, gmvDisplayMinor: snap.festival?.gmvDisplay.minor ?? 0,
      ordersPerSec: snap.festival?.ordersPerSec ?? 0, grabsPerSec: snap.festival?.grabsPerSec ?? 0,
    };
    this.history.push(point);
    if (this.history.length > HISTORY_POINTS) this.history.shift();
    this.freshPoint = point;
  }

  /** Each queue's depth summed over the admission shards. */
  private async readQueues(): Promise<OpsQueues | null> {
    const q = this.d.queues;
    if (!q) return null;
    return { ...sumOverShards(await readQueueDepths(q)), drainPerSec: 0 };
  }
}
