// The scheduler's view of Redis TIME. It opens and closes deals by the same clock the Lua
// judges grabs with; asking Redis on every tick would cost a round trip per decision, so it
// keeps an offset to the local clock, NTP-style: of the recent samples, trust the one with the
// smallest round trip (its midpoint is the tightest bound on when Redis read its clock).
import type { Redis } from 'ioredis';
import { redisNow } from '../redis.ts';

interface Sample { offset: number; rtt: number; at: number }

export class SchedulerClock {
  private samples: Sample[] = [];
  private offset = 0;

  constructor(private readonly redis: Redis, private readonly keep = 8) {}

  async sample(n = 1): Promise<void> {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const wall0 = Date.now();
      // +0.5: TIME is floored to the millisecond
      const server = (await redisNow(this.redis)) + 0.5;
      const rtt = performance.now() - t0;
      this.samples.push({ offset: server - (wall0 + rtt / 2), rtt, at: wall0 });
    }
    // a sliding window, so a changed offset (the local clock was stepped) wins within `keep`
    this.samples = this.samples.slice(-this.keep);
    let best = this.samples[0];
    for (const s of this.samples) if (best === undefined || s.rtt < best.rtt) best = s;
    if (best) this.offset = best.offset;
  }

  /** Redis time, epoch ms, from the local clock plus the measured offset. */
  now(): number {
    return Date.now() + this.offset;
  }

  /** ms until the Redis-clock instant `at` by the local timer. */
  until(at: number): number {
    return at - this.now();
  }
}
