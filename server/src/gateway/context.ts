// What the gateway's handlers share. Built once by createGateway; tests build their own.
import type { WebSocket } from 'uWebSockets.js';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Pool } from '../db/pool.ts';
import type { StockStore } from '../stock/stock-store.ts';
import type { PayRefusalCode, PaymentMethodValue } from '../shared/protocol.ts';
import type { SessionSigner } from './session.ts';
import type { ShopperAuth } from './shopper-auth.ts';
import type { RedisClock } from '../redis-clock.ts';
import type { DealFeed } from '../live/deal-feed.ts';
import type { LiveHub } from '../live/live-hub.ts';
import type { ProcessMetrics } from '../metrics/process-metrics.ts';
import type { GrabBatcher } from './grab-batcher.ts';
import type { RedisHealth } from '../redis.ts';
import type { SocketData } from './ws-handlers.ts';
import type { ShopperRoutes } from '../live/shopper-routes.ts';
import type { RoomGate } from '../room/room-gate.ts';
import type { ToldHolds } from './told-holds.ts';
import type { HoldsReader } from './shopper-holds.ts';

export type PayResult = { ok: true; dealId: string; method?: PaymentMethodValue } | { ok: false; code: PayRefusalCode };

export interface GatewayContext {
  config: Readonly<Config>;
  logger: Logger;
  pool: Pool;
  stock: StockStore;
  /** mints guest sessions */
  sessions: SessionSigner;
  /** checks a shopper's token: a guest session or the marketplace's ID token */
  auth: ShopperAuth;
  clock: RedisClock;
  feed: DealFeed;
  batcher: GrabBatcher;
  /** `method` as the shopper sent it (checked by the payment path) */
  pay(hold: string, shopper: string, method: string): Promise<PayResult>;
  /** tells the scheduler and every gateway that a deal's life-cycle changed (brand edits) */
  announceDealChanged(dealId: string, festivalId: string): Promise<void>;
  /** whether grabs and pays find Redis answering (they answer `unavailable` at once while not) */
  redisHealth: RedisHealth;
  /** this gateway's entries in the shopper route directory (where workers send shopper news) */
  routes: ShopperRoutes;
  /** shoppers' holds for `holds` frames, read in batches */
  holds: HoldsReader;
  sockets: Set<WebSocket<SocketData>>;
  /** the socket answered `held` for each recent hold: its order news goes to the shopper's other sockets */
  toldHolds: ToldHolds<WebSocket<SocketData>>;
  /** payments and other async work in flight, drained at stop */
  pending: number;
  stopping: boolean;
  metrics: { grabsReceived: number };
  /** snapshots, ticker, ops board */
  live: LiveHub;
  /** this process's Prometheus registry */
  telemetry: ProcessMetrics;
  /** waiting rooms: lines, passes, the proof of work at the door (room/room-gate.ts) */
  rooms: RoomGate;
}
