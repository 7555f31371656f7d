// Listens to shopper news as a gateway would: registers routes for the shoppers a test names
// (live/shopper-routes.ts) and subscribes to its own gateway channel. Workers send a shopper's
// news only to the gateways that registered the shopper, so a test that wants to see news must
// say whose.
import { randomBytes } from 'node:crypto';
import type { TestEnv } from './test-env.ts';
import { channels, createSubscriber, Subscription } from '../../src/channels.ts';
import { ShopperRoutes } from '../../src/live/shopper-routes.ts';
import { parseShopperNews, type ShopperNews } from '../../src/live/shopper-news.ts';
import { createLogger } from '../../src/logger.ts';
import type { RedisClient } from '../../src/redis.ts';

export class NewsTap {
  readonly news: ShopperNews[] = [];
  private onNews: (n: ShopperNews) => void = () => {};
  /** channel messages received (one per publish to this gateway) */
  messages = 0;

  private constructor(readonly routes: ShopperRoutes, private readonly subscriber: RedisClient, private readonly subscription: Subscription) {}

  static async open(env: TestEnv, onNews?: (n: ShopperNews) => void, gatewayId = `tap-${randomBytes(4).toString('hex')}`): Promise<NewsTap> {
    const subscriber = createSubscriber(env.config);
    const routes = new ShopperRoutes(env.redis, env.config.keyPrefix, gatewayId, createLogger('silent'));
    let tap: NewsTap | undefined;
    const subscription = await Subscription.open(subscriber, [channels(env.config.keyPrefix).gateway(gatewayId)], (_ch, raw) => {
      tap!.messages++;
      for (const n of parseShopperNews(raw)) {
        tap!.news.push(n);
        tap!.onNews(n);
      }
    });
    tap = new NewsTap(routes, subscriber, subscription);
    if (onNews) tap.onNews = onNews;
    return tap;
  }

  /** Route these shoppers' news here (as if each had a socket on this gateway). */
  async watch(shoppers: readonly string[]): Promise<void> {
    for (const s of shoppers) this.routes.opened(s);
    await Promise.all(shoppers.map((s) => this.routes.registered(s)));
  }

  async close(): Promise<void> {
    await this.subscription.close();
    this.subscriber.disconnect();
  }
}
