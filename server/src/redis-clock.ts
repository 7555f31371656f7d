// Redis TIME is the one clock that decides opening and closing (the Lua scripts read it).
// Gateways and the scheduler keep an offset to it instead of asking on every decision,
// NTP-style: of the recent samples, trust the one with the smallest round trip (its midpoint is
// the tightest bound on when Redis read its clock). A sliding window lets a stepped local clock
// win within a few samples.
import type { RedisClient } from './redis.ts';
import { redisNow } from './redis.ts';

interface Sample { offset: number; rtt: number }

export class RedisClock {
  private samples: Sample[] = [];
  private offset = 0;
  /** half the best round trip: how wrong `now()` may be */
  private uncertainty = Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly redis: RedisClient, private readonly keep = 8) {}

  async sample(n = 1): Promise<void> {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const wall0 = Date.now();
      // +0.5: TIME is floored to the millisecond
      const server = (await redisNow(this.redis)) + 0.5;
      const rtt = performance.now() - t0;
      this.samples.push({ offset: server - (wall0 + rtt / 2), rtt });
    }
    this.samples = this.samples.slice(-this.keep);
    let best = this.samples[0];
    for (const s of this.samples) if (best === undefined || s.rtt < best.rtt) best = s;
    if (best) {
      this.offset = best.offset;
      this.uncertainty = best.rtt / 2 + 1;
    }
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

  /** Redis time, epoch ms, from the local clock plus the measured offset. */
  now(): number {
    return Date.now() + this.offset;
  }

  /** ms until the Redis-clock instant `at` by the local timer. */
  until(at: number): number {
    return at - this.now();
  }

  /** A safety margin for local time judgements: never answer locally within it. */
  margin(): number {
    return Math.min(this.uncertainty, 1_000) + 25;
  }
}
