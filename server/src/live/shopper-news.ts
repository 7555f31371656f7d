// A shopper's own news (hold admitted as order, paid, expired) reaches the socket through Redis
// pub/sub, whichever gateway holds it: workers publish here, every gateway subscribes once and
// re-publishes on the uWS topic `shopper:<id>`. One channel message carries a JSON array of news
// (a whole order batch's): one PUBLISH and one gateway wake-up per batch, not per order.
import type { Redis } from 'ioredis';
import { channels } from '../stock/keys.ts';
import type { ServerMessage } from '../protocol.ts';

export interface ShopperNews {
  shopper: string;
  msg: ServerMessage;
}

export async function publishShopperNews(redis: Redis, prefix: string, news: ShopperNews[]): Promise<void> {
  if (news.length === 0) return;
  await redis.publish(channels(prefix).shopperNews, JSON.stringify(news));
}

/** One channel message back into its news (an array; anything else is a protocol error). */
export function parseShopperNews(raw: string): ShopperNews[] {
  const news: unknown = JSON.parse(raw);
  if (!Array.isArray(news)) throw new Error('shopper news: expected an array');
  return news as ShopperNews[];
}

/** Tell every gateway (and the scheduler) that a deal's life-cycle state changed. */
export async function publishDealChanged(redis: Redis, prefix: string, dealId: string, festivalId: string): Promise<void> {
  await redis.publish(channels(prefix).dealChanged, JSON.stringify({ dealId, festivalId }));
}
