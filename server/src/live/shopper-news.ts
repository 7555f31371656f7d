// A shopper's own news (hold admitted as order, paid, expired) reaches the socket through Redis
// pub/sub, whichever gateway holds it: workers publish here, every gateway subscribes once and
// re-publishes on the uWS topic `shopper:<id>`.
import type { Redis } from 'ioredis';
import { channels } from '../stock/keys.ts';
import type { ServerMessage } from '../protocol.ts';

export interface ShopperNews {
  shopper: string;
  msg: ServerMessage;
}

export async function publishShopperNews(redis: Redis, prefix: string, news: ShopperNews[]): Promise<void> {
  if (news.length === 0) return;
  const channel = channels(prefix).shopperNews;
  if (news.length === 1) {
    await redis.publish(channel, JSON.stringify(news[0]));
    return;
  }
  const pipe = redis.pipeline();
  for (const n of news) pipe.publish(channel, JSON.stringify(n));
  await pipe.exec();
}

/** Tell every gateway (and the scheduler) that a deal's life-cycle state changed. */
export async function publishDealChanged(redis: Redis, prefix: string, dealId: string, festivalId: string): Promise<void> {
  await redis.publish(channels(prefix).dealChanged, JSON.stringify({ dealId, festivalId }));
}
