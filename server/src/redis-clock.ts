// Redis TIME decides opening, closing and expiry: the Lua scripts read the clock of the master
// that owns the deal. Gateways and the scheduler keep an offset to it instead of asking on every
// decision, NTP-style: of the recent samples, trust the one with the smallest round trip (its
// midpoint is the tightest bound on when Redis read its clock). A sliding window lets a stepped
// local clock win within a few samples.
//
// A cluster has one clock per master, and they need not agree. Each sample reads TIME on every
// master; `now()` is the middle of the masters' clocks and `skew()` how far apart the two
// extremes are, so a local judgement ("not open yet", "ended") keeps a margin of at least the
// skew and never contradicts whichever master owns the deal. Code that compares a time with one
// a deal's Lua wrote (an expiry, a hold's time) reads that deal's master: `redisNowFor`.
import calculateSlot from 'cluster-key-slot';
import type { Redis } from 'ioredis';
import type { RedisClient } from './redis.ts';
import { isCluster, redisNow } from './redis.ts';

interface Sample { offset: number; rtt: number }

/** The base of the local-answer margin, on top of the uncertainty and the skew. */
const MARGIN_BASE_MS = 25;

export class RedisClock {
  /** recent samples per master (one entry on a single Redis) */
  private samples = new Map<string, Sample[]>();
  private offset = 0;
  /** half the worst master's best round trip: how wrong `now()` may be */
  private uncertainty = Infinity;
  private skewMs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly redis: RedisClient, private readonly keep = 8) {}

  async sample(n = 1): Promise<void> {
    for (let i = 0; i < n; i++) {
      const masters = clocksOf(this.redis);
      const taken = await Promise.all(masters.map(async ([, node]) => {
        const t0 = performance.now();
        const wall0 = Date.now();
        // +0.5: TIME is floored to the millisecond
        const server = (await redisNow(node)) + 0.5;
        const rtt = performance.now() - t0;
        return { offset: server - (wall0 + rtt / 2), rtt };
      }));
      // a master that left the cluster takes its samples with it
      const names = new Set(masters.map(([name]) => name));
      for (const name of this.samples.keys()) if (!names.has(name)) this.samples.delete(name);
      masters.forEach(([name], j) => this.samples.set(name, [...(this.samples.get(name) ?? []), taken[j]!].slice(-this.keep)));
    }
    const best = [...this.samples.values()].map((list) => list.reduce((a, b) => (b.rtt < a.rtt ? b : a)));
    if (best.length === 0) return;
    const offsets = best.map((s) => s.offset);
    const [lo, hi] = [Math.min(...offsets), Math.max(...offsets)];
    this.offset = (lo + hi) / 2;
    this.skewMs = hi - lo;
    this.uncertainty = Math.max(...best.map((s) => s.rtt / 2 + 1));
  }

  /** First samples now, then one every `everyMs` until stop(). */
  async start(everyMs = 5_000): Promise<void> {
    await this.sample(5);
    this.timer = setInterval(() => void this.sample().catch(() => { this.uncertainty = Infinity; }), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Redis time, epoch ms, from the local clock plus the measured offset (on a cluster, the
   *  middle of the masters' clocks). */
  now(): number {
    return Date.now() + this.offset;
  }

  /** ms until the Redis-clock instant `at` by the local timer. */
  until(at: number): number {
    return at - this.now();
  }

  /** How far apart the masters' clocks are, ms, as last measured (0 on a single Redis). The
   *  measurement itself is only as good as `uncertainty`, which the margin adds as well. */
  skew(): number {
    return this.skewMs;
  }

  /** A safety margin for local time judgements: never answer locally within it. Covers this
   *  process's view of Redis time and the distance between any master's clock and `now()`. */
  margin(): number {
    return Math.min(this.uncertainty, 1_000) + MARGIN_BASE_MS + this.skewMs;
  }
}

/** The connections whose TIME counts: every master of a cluster, or the one server. */
function clocksOf(redis: RedisClient): [string, RedisClient][] {
  if (!isCluster(redis)) return [['redis', redis]];
  const masters = redis.nodes('master');
  // before the cluster's first slot map there are no nodes: TIME through the cluster waits for it
  if (masters.length === 0) return [['cluster', redis]];
  return masters.map((node) => [nodeName(node), node]);
}

function nodeName(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}

/** Redis `TIME` (epoch ms) on the master that owns `key`'s slot: the clock the Lua scripts of
 *  that key's deal read. On a single Redis, its one clock. */
export async function redisNowFor(redis: RedisClient, key: string): Promise<number> {
  if (!isCluster(redis)) return redisNow(redis);
  const owner = redis.slots[calculateSlot(key)]?.[0];
  const node = owner === undefined ? undefined : redis.nodes('master').find((n) => nodeName(n) === owner);
  // slots not known yet (or moved meanwhile): any master's clock, the old behaviour
  return redisNow(node ?? redis);
}
