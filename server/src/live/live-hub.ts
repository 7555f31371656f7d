// Everything live on one gateway, on one timer (LIVE_SNAPSHOT_MS): check sockets' buffers
// (fanout drop policy), read the deal counters and publish coalesced snapshots, relay ticker
// items, update the ops board. Cross-gateway traffic is one Redis subscription per gateway
// (the ticker channel joins the gateway's existing subscriber), never one per socket.
import type { OpsRoom } from '../shared/ops-view.ts';
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { RedisClient } from '../redis.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Pool } from '../db/pool.ts';
import type { StockStore } from '../stock/stock-store.ts';
import type { GrabBatchResult } from '../stock/decisions.ts';
import type { ProcessMetrics, QueueSet } from '../metrics/process-metrics.ts';
import { ServerMsg, Topic } from '../shared/protocol.ts';
import { DealFeed } from './deal-feed.ts';
import { Fanout } from './fanout.ts';
import { OpsBoard } from './ops-board.ts';
import { ticksPerSnapshot, type CadenceOptions } from './snapshot-cadence.ts';
import { TickerRelay, TickerSampler } from './ticker.ts';
import { channels } from '../channels.ts';

interface ShopperData { festival: string | null; closed: boolean }

/** However large the audience, a festival's counters move at least this often on a page. */
const SNAPSHOT_CEILING_MS = 1_000;

export interface LiveHubDeps {
  app: TemplatedApp;
  config: Readonly<Config>;
  redis: RedisClient;
  pool: Pool;
  stock: StockStore;
  logger: Logger;
  metrics: ProcessMetrics;
  queues: QueueSet | null;
  /** the gateway's open shopper sockets */
  shopperSockets(): ReadonlySet<WebSocket<ShopperData>>;
  /** the waiting rooms' figures for the ops board */
  rooms?: () => OpsRoom[];
}

export class LiveHub {
  readonly feed: DealFeed;
  readonly fanout: Fanout;
  readonly opsFanout: Fanout;
  readonly ops: OpsBoard;
  readonly sampler: TickerSampler;
  readonly relay: TickerRelay;
  readonly tickerChannel: string;
  readonly opsSockets = new Set<WebSocket<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private readonly cadence: CadenceOptions;
  private ticksSinceSnapshot = 0;
  /** ticks between two festival snapshots, as of the last tick */
  snapshotEvery = 1;

  constructor(private readonly d: LiveHubDeps) {
    const { app, config, logger, metrics } = d;
    this.cadence = { tickMs: config.liveSnapshotMs, sendsPerSecond: config.fanoutSendsPerSecond, ceilingMs: Math.max(SNAPSHOT_CEILING_MS, config.liveSnapshotMs) };
    this.fanout = new Fanout(app, metrics, config.snapshotDropBytes, {
      chunkSockets: config.fanoutChunkSockets, gapMs: config.fanoutGapMs, spreadMs: config.liveSnapshotMs / 2, probeMs: config.fanoutProbeMs,
    });
    this.fanout.paceFollowers(d.shopperSockets, (ws) => { const f = ws.getUserData().festival; return f ? Topic.festival(f) : null; });
    this.opsFanout = new Fanout(app, metrics, config.snapshotDropBytes * 4);
    const publish = (topic: string, message: string, kind: string) => this.fanout.publish(topic, message, kind);
    this.feed = new DealFeed(d.pool, d.stock, publish, logger, config.liveSnapshotMs,
      (topic, message, kind) => this.fanout.publishIfSubscribed(topic, message, kind));
    this.feed.onError = () => metrics.storeError('redis');
    this.tickerChannel = channels(config.keyPrefix).ticker;
    this.sampler = new TickerSampler(d.redis, config.keyPrefix, config.tickerPerSecond, () => metrics.storeError('redis'));
    // relay a little more than one gateway samples: a few gateways' items still fit, never a flood
    this.relay = new TickerRelay(Math.max(1, Math.min(5, config.tickerPerSecond * 2)), (topic, message) => this.fanout.publish(topic, message, 'ticker'));
    this.ops = new OpsBoard({
      redis: d.redis, pool: d.pool, prefix: config.keyPrefix, feed: this.feed, fxRates: config.fxRates,
      queues: d.queues, logger, ...(d.rooms ? { rooms: d.rooms } : {}),
      publish: (message) => this.opsFanout.publishIfSubscribed(Topic.ops, message, 'ops'),
    });
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.d.config.liveSnapshotMs);
  }

  /** One live round. Exposed for tests. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    const t0 = performance.now();
    let swept = 0;
    try {
      const shoppers = this.d.shopperSockets();
      const shopperView = this.shopperView;
      // paced rounds pause a socket that stopped reading when they reach it: no pass over
      // every socket each tick (with thousands of sockets, a stall every tick)
      if (this.fanout.paced) this.fanout.sweepPaused(shoppers, shopperView);
      else this.fanout.sweep(shoppers, shopperView);
      this.opsFanout.sweep(this.opsSockets, (ws) => ({
        topics: () => [Topic.ops],
        catchUp: () => {
          if (!this.opsSockets.has(ws)) return;
          ws.cork(() => ws.send(JSON.stringify({ t: 'ops', snapshot: this.ops.snapshot(), history: this.ops.history }), false));
        },
      }));
      swept = performance.now() - t0;
      this.snapshotEvery = ticksPerSnapshot(this.followers(), this.cadence);
      // a round may take until the next one is half due: spread thin, no burst
      this.fanout.setSpread((this.snapshotEvery * this.d.config.liveSnapshotMs) / 2);
      const due = ++this.ticksSinceSnapshot >= this.snapshotEvery;
      if (due) this.ticksSinceSnapshot = 0;
      await this.feed.poll(due);
      // ticker items ride with the snapshot, in the same write to each socket
      if (due) this.relay.flush();
      this.ops.tick();
    } finally {
      this.ticking = false;
      const ms = performance.now() - t0;
      // a tick longer than its period means snapshots are being skipped: say why
      // (not when the poll failed: a hung Redis makes every tick as slow as REDIS_TIMEOUT_MS,
      // and the poll logs its own failures at a sane rate)
      if (ms > 2 * this.d.config.liveSnapshotMs && !this.feed.pollFailing) this.d.logger.warn({ ms: Math.round(ms), sweepMs: Math.round(swept), sockets: this.d.shopperSockets().size, unsent: this.fanout.pending() }, 'live: slow tick');
    }
  }

  /** A shopper socket answered a ping: it reads (a socket paused for silence gets the festival again). */
  heard(ws: WebSocket<ShopperData>): void {
    this.fanout.heard(ws, this.shopperView);
  }

  private readonly shopperView = (ws: WebSocket<ShopperData>) => ({
    topics: () => { const f = ws.getUserData().festival; return f ? [Topic.festival(f)] : []; },
    catchUp: () => this.catchUp(ws),
  });

  /** Sockets that festival snapshots go to now: uWS counts each topic's subscribers, and a paused
   *  socket is unsubscribed, so it costs nothing and counts for nothing. */
  private followers(): number {
    let n = 0;
    for (const id of this.feed.festivalIds()) n += this.d.app.numSubscribers(Topic.festival(id));
    return n;
  }

    /** A resumed socket gets the whole festival again (it skipped snapshots meanwhile). */
  private catchUp(ws: WebSocket<ShopperData>): void {
    const festival = ws.getUserData().festival;
    if (!festival) return;
    this.feed.festivalView(festival, Date.now()).then((view) => {
      if (!view || ws.getUserData().closed) return;
      ws.cork(() => ws.send(JSON.stringify({ t: ServerMsg.Festival, festival: view }), false));
    }, () => {});
  }

  /** After Redis decided a batch: sample new holds for the ticker; log rid -> hold at debug. */
  onDecided(dealId: string, grabs: readonly { shopper: string; rid: string; city?: string }[], result: GrabBatchResult): void {
    const deal = this.feed.deals.get(dealId);
    const debug = this.d.logger.isLevelEnabled('debug');
    const held: { rid: string; hold: string }[] = [];
    result.decisions.forEach((dec, i) => {
      if (!dec.ok || dec.repeat) return;
      if (debug) held.push({ rid: grabs[i]!.rid, hold: dec.hold });
      if (deal) this.sampler.offer(deal.festivalId, dealId, deal.title, grabs[i]!.city, dec.qty, result.now);
    });
    if (debug) this.d.logger.debug({ deal: dealId, grabs: grabs.length, held }, 'grab batch decided');
  }

  onTickerMessage(message: string): void {
    this.relay.receive(message);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    // add the last local refusal counts to Redis
    while (this.ticking) await new Promise((r) => setTimeout(r, 5));
    await this.feed.poll().catch(() => {});
  }
}
