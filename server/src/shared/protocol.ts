// Wire protocol between the gateway and every client (shopper page, bench, tests).
// The client imports this file type-only plus the `as const` tables, so keep it free of
// Node imports. Times are epoch milliseconds; money is integer minor units + ISO 4217 code.

import type { RoomClientMessage, RoomServerMessage } from './room-protocol.ts';

/** Message types a client sends over `/ws`. */
export const ClientMsg = {
  Ping: 'ping',
  Subscribe: 'sub',
  Grab: 'grab',
  Pay: 'pay',
  /** waiting room (room-protocol.ts) */
  Join: 'join',
  Leave: 'leave',
} as const;
export type ClientMsgType = (typeof ClientMsg)[keyof typeof ClientMsg];

/** Message types the gateway sends. */
export const ServerMsg = {
  Hello: 'hello',
  Pong: 'pong',
  Festival: 'festival',
  Deal: 'deal',
  /** the coalesced live snapshot: every deal of a festival that changed since the last one */
  Deals: 'deals',
  /** sampled, anonymised sales ticker items */
  Ticker: 'ticker',
  Held: 'held',
  Refused: 'refused',
  Order: 'order',
  Paid: 'paid',
  Expired: 'expired',
  /** the shopper's own holds and their state, after every `sub` (news missed while away) */
  Holds: 'holds',
  Error: 'error',
  /** waiting room (room-protocol.ts) */
  Pow: 'pow',
  Joined: 'joined',
  Serving: 'serving',
  Drawn: 'drawn',
  Admitted: 'admitted',
  RoomClosed: 'room_closed',
  Left: 'left',
} as const;
export type ServerMsgType = (typeof ServerMsg)[keyof typeof ServerMsg];

/** Why a grab (or payment) was refused. Stable strings: clients switch on them. */
export const GrabRefusal = {
  SoldOut: 'sold_out',
  LimitReached: 'limit_reached',
  NotOpen: 'not_open',
  Ended: 'ended',
  RateLimited: 'rate_limited',
  Invalid: 'invalid',
  UnknownDeal: 'unknown_deal',
  Unavailable: 'unavailable',
  /** the deal's waiting room is on and the grab carries no valid admission pass */
  NotAdmitted: 'not_admitted',
} as const;
export type GrabRefusalCode = (typeof GrabRefusal)[keyof typeof GrabRefusal];

export const PayRefusal = {
  HoldExpired: 'hold_expired',
  UnknownHold: 'unknown_hold',
  AlreadyPaid: 'already_paid',
  PaymentDeclined: 'payment_declined',
  RateLimited: 'rate_limited',
  Invalid: 'invalid',
  Unavailable: 'unavailable',
  /** a method the payment provider does not offer */
  UnknownMethod: 'unknown_method',
  /** a method the provider offers but this deal does not accept (cash on delivery, mostly) */
  MethodNotAllowed: 'method_not_allowed',
} as const;
export type PayRefusalCode = (typeof PayRefusal)[keyof typeof PayRefusal];

/** WebSocket close codes (4xxx range is ours). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  /** no close frame: the TCP connection dropped (also uWS failing a frame that broke RFC 6455) */
  Abnormal: 1006,
  MessageTooBig: 1009,
  BadMessage: 4000,
  Flooding: 4008,
  SessionExpired: 4001,
  ServerStopping: 4010,
} as const;
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** Where a deal is in its life. `warming` = loaded into Redis, not yet open. */
export const DealState = {
  Scheduled: 'scheduled',
  Warming: 'warming',
  Live: 'live',
  SoldOut: 'sold_out',
  Ended: 'ended',
  Stopped: 'stopped',
  Cancelled: 'cancelled',
} as const;
export type DealStateValue = (typeof DealState)[keyof typeof DealState];

/** How a shopper pays. Which of them a deal accepts is the deal's `paymentMethods` (Postgres
 *  `deals.payment_methods`); which the engine can take is its payment provider's `methods`. */
export const PaymentMethod = {
  Wallet: 'wallet',
  Card: 'card',
  /** nothing is charged at checkout: the order is confirmed and paid in cash to the courier */
  CashOnDelivery: 'cod',
} as const;
export type PaymentMethodValue = (typeof PaymentMethod)[keyof typeof PaymentMethod];
/** What a `pay` without `method` pays with (clients written before checkout had a method). */
export const DefaultPaymentMethod: PaymentMethodValue = PaymentMethod.Card;

export interface Money {
  /** integer minor units (paisa, paise, fen) */
  minor: number;
  /** ISO 4217, e.g. "PKR" */
  currency: string;
}

export interface DealView {
  id: string;
  festivalId: string;
  brand: string;
  title: string;
  description: string;
  imageUrl: string | null;
  listPrice: Money;
  dealPrice: Money;
  stock: number;
  /** units neither held nor sold; the live stock bar */
  available: number;
  held: number;
  sold: number;
  limit: number;
  holdSeconds: number;
  startsAt: number;
  endsAt: number;
  state: DealStateValue;
  /** the methods this deal accepts, in the order checkout offers them */
  paymentMethods: PaymentMethodValue[];
}

export type OrderStatus = 'pending' | 'paid' | 'cancelled';

/** One of the shopper's orders, as `GET /api/orders` returns it. */
export interface OrderView {
  hold: string;
  /** what people see and quote: shared/order-number.ts, derived from `hold` */
  orderNo: string;
  deal: string;
  title: string;
  qty: number;
  unitPrice: Money;
  status: OrderStatus;
  heldAt: number;
  expiresAt: number;
  paidAt: number | null;
  /** how it was paid, once paid (null for payments made before methods existed) */
  method: PaymentMethodValue | null;
}

export interface FestivalView {
  id: string;
  name: string;
  startsAt: number;
  endsAt: number;
  deals: DealView[];
  serverTime: number;
}

// ---- client -> server ----
export interface PingMsg { t: 'ping'; c: number }
export interface SubscribeMsg { t: 'sub'; festival: string }
/** `retry: true` marks a resend of a grab whose answer the client never got (its socket dropped):
 *  the gateway then asks Redis, which holds the rid's first answer, and never answers from its
 *  cache (a cached `sold_out` or `ended` would contradict a hold Redis already made). */
export interface GrabMsg { t: 'grab'; deal: string; qty: number; rid: string; retry?: true; pass?: string }
/** `method` defaults to `DefaultPaymentMethod`. */
export interface PayMsg { t: 'pay'; hold: string; rid?: string; method?: PaymentMethodValue }
export type ClientMessage = PingMsg | SubscribeMsg | GrabMsg | PayMsg | RoomClientMessage;

// ---- server -> client ----
export interface HelloMsg { t: 'hello'; shopper: string; serverTime: number }
/** `c` echoes the client's send time, `s` is the server time when answering. */
export interface PongMsg { t: 'pong'; c: number; s: number }
export interface FestivalMsg { t: 'festival'; festival: FestivalView }
/** Live counters / state of one deal; partial fields are not sent, the whole view is. */
export interface DealMsg { t: 'deal'; deal: DealView }
/** At most one per `LIVE_SNAPSHOT_MS` per festival. `seq` rises by one per snapshot of this
 *  gateway; a socket that was too far behind skips snapshots (they are idempotent). */
export interface DealsMsg { t: 'deals'; festival: string; seq: number; at: number; deals: DealView[] }
/** "someone in Lahore just grabbed ...": a city and a product, never a shopper. */
export interface TickerItem { deal: string; title: string; city: string; qty: number; at: number }
export interface TickerMsg { t: 'ticker'; festival: string; items: TickerItem[] }
export interface HeldMsg { t: 'held'; rid: string; deal: string; hold: string; qty: number; expiresAt: number }
export interface RefusedMsg { t: 'refused'; rid: string; deal: string; code: GrabRefusalCode; message: string }
export interface OrderMsg { t: 'order'; hold: string; deal: string; qty: number; status: OrderStatus }
/** `orderNo` and `method` come with the gateway's answer to a `pay`, not with the worker's push. */
export interface PaidMsg { t: 'paid'; hold: string; deal: string; rid?: string; orderNo?: string; method?: PaymentMethodValue }
export interface PayRefusedMsg { t: 'refused'; rid?: string; hold: string; code: PayRefusalCode; message: string }
export interface ExpiredMsg { t: 'expired'; hold: string; deal: string }
/** One of the shopper's holds as it stands now: `cancelled` is an expired hold (stock given back). */
export interface HoldStateView { hold: string; deal: string; qty: number; status: OrderStatus; expiresAt: number }
/** Sent after every `sub`: a `paid` or `expired` push that left while the socket was down is not
 *  replayed, so a reconnecting page learns the state of its holds from this. Newest first. */
export interface HoldsMsg { t: 'holds'; holds: HoldStateView[] }
export interface ErrorMsg { t: 'error'; code: string; message: string }
export type ServerMessage =
  | HelloMsg | PongMsg | FestivalMsg | DealMsg | DealsMsg | TickerMsg | HeldMsg | RefusedMsg | OrderMsg | PaidMsg
  | PayRefusedMsg | ExpiredMsg | HoldsMsg | ErrorMsg | RoomServerMessage;

/** Limits the gateway enforces; the client uses them to stay inside. */
export const Limits = {
  maxFrameBytes: 4096,
  maxQty: 100,
  ridMaxLength: 64,
} as const;

/** Coarse cities a session may name (`POST /api/session {city}`); else one is picked at random.
 *  Only the city reaches the sales ticker, never the shopper. */
export const Cities = [
  'Lahore', 'Karachi', 'Islamabad', 'Faisalabad', 'Peshawar', 'Mumbai', 'Delhi', 'Bengaluru',
  'Chennai', 'Kolkata', 'Shanghai', 'Shenzhen', 'Beijing', 'Guangzhou', 'Hangzhou', 'Dhaka', 'Colombo',
] as const;

/** uWS topic names. */
export const Topic = {
  festival: (id: string) => `festival:${id}`,
  deal: (id: string) => `deal:${id}`,
  shopper: (id: string) => `shopper:${id}`,
  ops: 'ops',
} as const;
