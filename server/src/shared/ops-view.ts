// What the ops board receives (`/ops/ws` and `GET /api/ops/snapshot`). Types only, no Node
// imports: the client imports this file type-only. Money is integer minor units + ISO 4217.
import type { DealStateValue, Money } from './protocol.ts';

/** Grab refusals counted in Redis, by protocol code. */
export type Rejections = Partial<Record<'not_open' | 'ended' | 'sold_out' | 'limit_reached' | 'invalid', number>>;

export interface OpsDeal {
  id: string;
  title: string;
  brand: string;
  state: DealStateValue;
  stock: number;
  available: number;
  held: number;
  sold: number;
  price: Money;
  /** paid: sold units x deal price */
  gmvMinor: number;
  /** held (unpaid) units x deal price */
  heldValueMinor: number;
  /** grabs Redis decided plus the gateways' local answers */
  grabs: number;
  /** holds created (one order row each) */
  orders: number;
  grabsPerSec: number;
  ordersPerSec: number;
  /** (sold + held) / stock, 0..1 */
  sellThrough: number;
  rejections: Rejections;
}

export interface OpsFestival {
  id: string;
  name: string;
  displayCurrency: string;
  /** paid GMV per deal currency */
  gmv: Money[];
  /** all currencies converted with FX_RATES into displayCurrency */
  gmvDisplay: Money;
  heldValueDisplay: Money;
  orders: number;
  unitsSold: number;
  unitsHeld: number;
  stock: number;
  grabs: number;
  ordersPerSec: number;
  grabsPerSec: number;
  sellThrough: number;
  /** deal ids, fastest-selling first */
  topDeals: string[];
  rejections: Rejections;
}

export interface OpsNode {
  id: string;
  role: string;
  host: string;
  pid: number;
  startedAt: number;
  /** last heartbeat (epoch ms) */
  at: number;
  /** no heartbeat for 3 s */
  stale: boolean;
  leader: boolean;
  sockets?: number;
  opsSockets?: number;
  /** gateways: how far apart the Redis masters' clocks are, ms (0 on a single Redis) */
  clockSkewMs?: number;
  p50?: number | null;
  p99?: number | null;
  grabs?: number;
  dropped?: number;
  ordersWritten?: number;
  holdsReleased?: number;
}

export interface QueueDepth {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

export interface OpsQueues {
  orders: QueueDepth;
  expiry: QueueDepth;
  payments: QueueDepth;
  /** order rows written per second, all workers */
  drainPerSec: number;
}

/** One point a second for the charts (the last 5 minutes are kept). */
export interface OpsPoint {
  t: number;
  gmvDisplayMinor: number;
  ordersPerSec: number;
  grabsPerSec: number;
}

export interface OpsSnapshot {
  at: number;
  seq: number;
  festival: OpsFestival | null;
  deals: OpsDeal[];
  nodes: OpsNode[];
  /** node id of the scheduler leader, from its announcement key */
  leader: string | null;
  queues: OpsQueues | null;
  /** shopper sockets over all live gateways */
  shoppers: number;
  /** worst gateway's p50 / p99 grab latency in ms (last 10 s) */
  latency: { p50: number | null; p99: number | null };
  /** live messages dropped for backpressure, all gateways */
  dropped: number;
  /** waiting rooms this gateway ticks (absent: none) */
  rooms?: OpsRoom[];
}

/** One deal's waiting room, as the room's Redis hash says (room/room-routes.ts roomView). */
export interface OpsRoom {
  deal: string;
  state: 'off' | 'pre' | 'drawing' | 'open' | 'closed';
  reason: 'sold_out' | 'ended' | 'stopped' | null;
  nowServing: number;
  /** line length (pre-queue before the draw) */
  waiting: number;
  /** measured over about 2 s */
  admittedPerSecond: number;
  admitted: number;
  abandoned: number;
  /** admitted, inside their window, holding nothing yet */
  pending: number;
  outflow: number;
  windowMs: number;
  paused: boolean;
  /** sha256 of the draw's seed; the seed once revealed */
  commit: string;
  seed: string | null;
  entries: number;
  openedAt: number | null;
  closedAt: number | null;
  timeToSoldOutMs: number | null;
}

export type OpsMessage =
  | { t: 'ops'; snapshot: OpsSnapshot; history?: OpsPoint[]; point?: OpsPoint }
  | { t: 'error'; code: string; message: string };
