// Redis pub/sub channels: how processes tell each other news. Not keys (nothing is stored under
// them), so they are named here rather than in stock/keys.ts.
//
// Every channel is a shard channel (SPUBLISH / SSUBSCRIBE). On a cluster a shard channel lives
// on the master that owns its slot and a message stays on that shard, where classic PUBLISH is
// copied over the cluster bus to every node whether anyone there listens or not. Redis 7 has
// the same commands on a single server, where they behave like PUBLISH/SUBSCRIBE: one code
// path on both, and the single-Redis suite exercises the commands the cluster runs.
import { Cluster } from 'ioredis';
import { createBlockingRedis, isCluster, type RedisClient, type RedisConfig } from './redis.ts';

export function channels(prefix: string) {
  return {
    /** deal life-cycle changes: `{"dealId": id, "festivalId": id}`; gateways reload that deal */
    dealChanged: `${prefix}:ch:deal`,
    /** sampled new holds for the sales ticker, from every gateway (live/ticker.ts) */
    ticker: `${prefix}:ch:ticker`,
    /** one gateway's own shoppers' news: lines `<shopper>\t<frame>` (live/shopper-news.ts) */
    gateway: (gatewayId: string) => `${prefix}:ch:gw:${gatewayId}`,
  };
}

/** Sends `message` on a shard channel; resolves with the number of receivers on its shard. */
export function publish(redis: RedisClient, channel: string, message: string): Promise<number> {
  return redis.spublish(channel, message) as Promise<number>;
}

/**
 * A connection for shard-channel subscriptions. On a cluster, ioredis keeps one subscriber
 * connection per master for them only when asked (`shardedSubscribers`), which the command
 * connections must not pay for; on a single Redis it is a plain connection that never gives
 * up on a command.
 */
export function createSubscriber(config: RedisConfig): RedisClient {
  if (config.redisClusterNodes.length === 0) return createBlockingRedis(config);
  return new Cluster(config.redisClusterNodes.map((n) => ({ host: n.host, port: n.port })), {
    scaleReads: 'master', shardedSubscribers: true, redisOptions: { maxRetriesPerRequest: null },
  });
}

/** Another connection like `redis`, fit for shard-channel subscriptions (see createSubscriber). */
export function duplicateSubscriber(redis: RedisClient): RedisClient {
  return isCluster(redis) ? redis.duplicate(undefined, { shardedSubscribers: true }) : redis.duplicate();
}

export type OnMessage = (channel: string, message: string) => void;

/** Shard-channel subscriptions on one connection: a channel at a time (a cluster takes only
 *  channels of one slot per SSUBSCRIBE), one handler for all.
 *
 *  Pub/sub delivers at most once: a message published while the connection is down (Redis
 *  restarting, a network blip, a master failing over, or this process too busy to reconnect) is
 *  gone. ioredis subscribes again by itself once it is back; `onRestored` callbacks run once the
 *  subscriptions are in place again, so their owner can catch up with what it may have missed.
 *  A message published after a callback began is delivered. */
export class Subscription {
  private readonly channels = new Set<string>();
  private readonly listener: OnMessage;
  private readonly restoredListeners: (() => void)[] = [];
  /** the connection dropped since the subscriptions were last confirmed */
  private interrupted = false;
  private readonly onDrop = (): void => { this.interrupted = true; };
  private readonly onBack = (): void => { void this.confirm(); };

  /** `connection` is the caller's; a cluster connection made without sharded subscribers is
   *  replaced by a duplicate with them, which this subscription owns and closes. */
  private constructor(private readonly connection: RedisClient, private readonly owned: boolean, onMessage: OnMessage) {
    this.listener = (channel, message) => {
      if (this.channels.has(channel)) onMessage(channel, message);
    };
    connection.on('smessage', this.listener);
    // A single connection closes and is ready again. On a cluster each master has its own
    // subscriber connection, which is dropped when its node goes (ioredis makes a new one
    // and subscribes it again once the cluster's slots are read again).
    for (const ev of DROPPED) connection.on(ev, this.onDrop);
    connection.on(isCluster(connection) ? 'subscribersReady' : 'ready', this.onBack);
  }

  static async open(connection: RedisClient, channelList: readonly string[], onMessage: OnMessage): Promise<Subscription> {
    const sharded = !isCluster(connection) || connection.options.shardedSubscribers === true;
    const sub = new Subscription(sharded ? connection : duplicateSubscriber(connection), !sharded, onMessage);
    for (const ch of channelList) await sub.add(ch);
    return sub;
  }

  async add(channel: string): Promise<void> {
    if (this.channels.has(channel)) return;
    this.channels.add(channel);
    await this.connection.ssubscribe(channel);
  }

  /** `listener` runs each time the subscriptions are back after the connection dropped. */
  onRestored(listener: () => void): void {
    this.restoredListeners.push(listener);
  }

  /** After a drop: subscribe again ourselves and wait for it. ioredis resubscribes on its own
   *  when the connection is back, but without telling when that took effect; a SSUBSCRIBE of
   *  ours after it answers only once it did (one connection answers in order), so the
   *  listeners never run before the channels hear again. A failure leaves `interrupted` set:
   *  the next time the connection is back tries again. */
  private async confirm(): Promise<void> {
    if (!this.interrupted || this.channels.size === 0) return;
    this.interrupted = false;
    try {
      for (const ch of this.channels) await this.connection.ssubscribe(ch);
    } catch {
      this.interrupted = true;
      return;
    }
    for (const l of this.restoredListeners) l();
  }

  async close(): Promise<void> {
    this.connection.off('smessage', this.listener);
    for (const ev of DROPPED) this.connection.off(ev, this.onDrop);
    this.connection.off(isCluster(this.connection) ? 'subscribersReady' : 'ready', this.onBack);
    const list = [...this.channels];
    this.channels.clear();
    if (this.owned) return this.connection.disconnect();
    for (const ch of list) await this.connection.sunsubscribe(ch).catch(() => {});
  }
}

/** Events that say a subscriber connection dropped: a single connection's close; on a cluster,
 *  a node's subscriber (or node) gone. */
const DROPPED = ['close', '-node', '-subscriber'] as const;
