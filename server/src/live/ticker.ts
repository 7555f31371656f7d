// The sales ticker: "someone in Lahore just grabbed ...". Each gateway samples its own new holds
// (at most TICKER_PER_SECOND) and publishes them on one Redis shard channel; every gateway relays
// what arrives, from any gateway, to its sockets on `festival:<id>`, again at most a few items
// a second. Only a city and a product travel: never a shopper id.
import type { RedisClient } from '../redis.ts';
import { Cities, ServerMsg, Topic, type TickerItem } from '../shared/protocol.ts';
import { channels, publish } from '../channels.ts';

interface Wire { festival: string; item: TickerItem }

class Bucket {
  private tokens: number;
  private last = Date.now();
  constructor(private readonly perSecond: number, private readonly burst: number) {
    this.tokens = burst;
  }
  take(now = Date.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export function randomCity(): string {
  return Cities[Math.floor(Math.random() * Cities.length)]!;
}

/** A known city from `POST /api/session {city}` (any case), else null. */
export function knownCity(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const c = raw.trim().toLowerCase();
  return Cities.find((x) => x.toLowerCase() === c) ?? null;
}

export class TickerSampler {
  private readonly bucket: Bucket;
  private readonly channel: string;
  sampled = 0;

  constructor(private readonly redis: RedisClient, prefix: string, perSecond: number, private readonly onError: (err: unknown) => void) {
    this.bucket = new Bucket(perSecond, Math.max(1, perSecond));
    this.channel = channels(prefix).ticker;
  }

  /** A new hold on this gateway; most are not sampled. Fire and forget. */
  offer(festival: string, deal: string, title: string, city: string | undefined, qty: number, at: number): void {
    if (!this.bucket.take()) return;
    this.sampled++;
    const wire: Wire = { festival, item: { deal, title, city: city ?? randomCity(), qty, at } };
    publish(this.redis, this.channel, JSON.stringify(wire)).catch(this.onError);
  }
}

/** Collects items from every gateway and lets a few a second through to the sockets. */
export class TickerRelay {
  private readonly pending = new Map<string, TickerItem[]>();
  private readonly bucket: Bucket;
  relayed = 0;

  constructor(perSecond: number, private readonly publish: (topic: string, message: string) => void) {
    this.bucket = new Bucket(perSecond, perSecond);
  }

  receive(message: string): void {
    const w = JSON.parse(message) as Wire;
    if (!w?.festival || !w.item) return;
    let list = this.pending.get(w.festival);
    if (!list) this.pending.set(w.festival, (list = []));
    list.push(w.item);
    if (list.length > 8) list.shift(); // only the freshest are worth showing
  }

  /** Called on each snapshot tick. */
  flush(): void {
    for (const [festival, list] of this.pending) {
      const items: TickerItem[] = [];
      while (list.length && this.bucket.take()) items.push(list.shift()!);
      if (list.length === 0) this.pending.delete(festival);
      if (items.length) {
        this.relayed += items.length;
        this.publish(Topic.festival(festival), JSON.stringify({ t: ServerMsg.Ticker, festival, items }));
      }
    }
  }
}
