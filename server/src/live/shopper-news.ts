// A shopper's own news (hold admitted as order, paid, expired) reaches the socket through Redis
// pub/sub, on the gateways that hold a socket of that shopper: workers look the shopper up in
// the route directory (live/shopper-routes.ts) and publish on each such gateway's own channel;
// the gateway re-publishes on the uWS topic `shopper:<id>`. One channel message carries a whole
// batch's news for one gateway (an order batch's): one SPUBLISH per gateway touched and one
// gateway wake-up per batch, not per order; a gateway never hears another gateway's shoppers.
//
// Wire format: one line per news, `<shopper>\t<frame>`, lines joined by `\n`, where <frame> is
// the JSON text the shopper's socket receives. The frame is rendered once, in the worker: the
// gateway only splits lines and hands the text to uWS. JSON.stringify never leaves a raw tab or
// newline in its output; shopper ids are url-safe (session.ts).
import type { RedisClient } from '../redis.ts';
import { channels, publish } from '../channels.ts';
import { gatewaysOf } from './shopper-routes.ts';
import type { OrderMsg, ServerMessage } from '../shared/protocol.ts';

export interface ShopperNews {
  shopper: string;
  msg: ServerMessage;
}

/** A shopper id that would break a line of the wire format; never issued (session.ts). */
const UNSAFE_SHOPPER = /[\t\n]/;

/** A news already rendered: `frame` is the JSON text of a ServerMessage (a caller with many
 *  news of one shape renders them without JSON.stringify: the order worker). */
export interface ShopperFrame {
  shopper: string;
  frame: string;
}

/** Ids JSON leaves as they are: hold ids (`<deal>-<seq>`) and deal ids always are. */
const PLAIN_ID = /^[\w.:-]*$/;
const PENDING_ORDER_HEAD = '{"t":"order","hold":"';
const PENDING_ORDER_TAIL = ',"status":"pending"}';

/** The 'pending' order news of a written order, as JSON.stringify renders its OrderMsg, byte
 *  for byte (test: order-worker-news.test.ts), written as text: one per order, where
 *  JSON.stringify of a fresh object each was a visible part of the worker's CPU. Anything
 *  unusual takes JSON.stringify. */
export function pendingOrderFrame(r: { hold: string; dealId: string; qty: number }): string {
  if (PLAIN_ID.test(r.hold) && PLAIN_ID.test(r.dealId) && Number.isSafeInteger(r.qty)) {
    return `${PENDING_ORDER_HEAD}${r.hold}","deal":"${r.dealId}","qty":${r.qty}${PENDING_ORDER_TAIL}`;
  }
  const msg: OrderMsg = { t: 'order', hold: r.hold, deal: r.dealId, qty: r.qty, status: 'pending' };
  return JSON.stringify(msg);
}

/** The hold of a frame that is a 'pending' order news (pendingOrderFrame's), else null; read
 *  without parsing the frame (the gateway's path). A hold id JSON had to escape is not found,
 *  and its news then goes to every socket of the shopper. */
export function pendingOrderHold(frame: string): string | null {
  if (!frame.startsWith(PENDING_ORDER_HEAD) || !frame.endsWith(PENDING_ORDER_TAIL)) return null;
  const end = frame.indexOf('"', PENDING_ORDER_HEAD.length);
  const hold = frame.slice(PENDING_ORDER_HEAD.length, end);
  return end > PENDING_ORDER_HEAD.length && PLAIN_ID.test(hold) ? hold : null;
}

/** The channel message carrying these rendered news. */
function encodeShopperFrames(frames: readonly ShopperFrame[]): string {
  return frames.map((f) => {
    if (UNSAFE_SHOPPER.test(f.shopper)) throw new Error(`shopper news: shopper id ${JSON.stringify(f.shopper)} holds a tab or newline`);
    return `${f.shopper}\t${f.frame}`;
  }).join('\n');
}

/** The channel message carrying these news (the frames rendered here, once). */
export function encodeShopperNews(news: readonly ShopperNews[]): string {
  return encodeShopperFrames(news.map(renderNews));
}

const renderNews = (n: ShopperNews): ShopperFrame => ({ shopper: n.shopper, frame: JSON.stringify(n.msg) });

/** Sends each news to the gateways holding a socket of its shopper; news of a shopper with no
 *  socket anywhere is dropped (their page reads its holds when it subscribes). */
export async function publishShopperNews(redis: RedisClient, prefix: string, news: readonly ShopperNews[]): Promise<void> {
  await publishShopperFrames(redis, prefix, news.map(renderNews));
}

/** publishShopperNews for news already rendered. */
export async function publishShopperFrames(redis: RedisClient, prefix: string, frames: readonly ShopperFrame[]): Promise<void> {
  if (frames.length === 0) return;
  const shoppers = [...new Set(frames.map((f) => f.shopper))];
  const routes = await gatewaysOf(redis, prefix, shoppers);
  const gatewaysOfShopper = new Map(shoppers.map((s, i) => [s, routes[i]!]));
  const perGateway = new Map<string, ShopperFrame[]>();
  for (const f of frames) {
    for (const gw of gatewaysOfShopper.get(f.shopper)!) {
      const list = perGateway.get(gw);
      if (list) list.push(f);
      else perGateway.set(gw, [f]);
    }
  }
  const ch = channels(prefix);
  await Promise.all([...perGateway].map(([gw, list]) => publish(redis, ch.gateway(gw), encodeShopperFrames(list))));
}

/** Calls `deliver` with each line's shopper and frame text, without parsing the frame (the
 *  gateway's path). A line without a tab is a protocol error, thrown before any delivery. */
export function eachShopperFrame(raw: string, deliver: (shopper: string, frame: string) => void): void {
  const lines = raw.split('\n');
  const tabs = lines.map((line) => line.indexOf('\t'));
  if (tabs.some((t) => t <= 0)) throw new Error('shopper news: every line must be <shopper>\\t<frame>');
  for (let i = 0; i < lines.length; i++) deliver(lines[i]!.slice(0, tabs[i]), lines[i]!.slice(tabs[i]! + 1));
}

/** One channel message back into its news, frames parsed (tests and tools; not the gateway). */
export function parseShopperNews(raw: string): ShopperNews[] {
  const news: ShopperNews[] = [];
  eachShopperFrame(raw, (shopper, frame) => news.push({ shopper, msg: JSON.parse(frame) as ServerMessage }));
  return news;
}

/** Tell every gateway (and the scheduler) that a deal's life-cycle state changed. */
export async function publishDealChanged(redis: RedisClient, prefix: string, dealId: string, festivalId: string): Promise<void> {
  await publish(redis, channels(prefix).dealChanged, JSON.stringify({ dealId, festivalId }));
}
