// Redis TIME is the one clock that decides opening and closing. Each process measures its
// offset to it NTP-style (several samples, keep the one with the smallest round trip) so it can
// answer "not open yet" locally without asking Redis, and knows how far it may trust itself.
import type { Redis } from 'ioredis';
import { redisNow } from '../redis.ts';

export class RedisClock {
  private offset = 0;
  /** half the best round trip: how wrong `now()` may be */
  private uncertainty = Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly redis: Redis) {}

  async sync(samples = 5): Promise<void> {
    let best = Infinity;
    let bestOffset = this.offset;
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      const wall0 = Date.now();
      const server = await redisNow(this.redis);
      const rtt = performance.now() - t0;
      if (rtt < best) {
        best = rtt;
        bestOffset = server - (wall0 + rtt / 2);
      }
    }
    this.offset = bestOffset;
    this.uncertainty = best / 2 + 1; // +1: Redis TIME is read in whole ms
  }

  start(everyMs = 10_000): Promise<void> {
    this.timer = setInterval(() => void this.sync().catch(() => { this.uncertainty = Infinity; }), everyMs);
    this.timer.unref();
    return this.sync();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  now(): number {
    return Date.now() + this.offset;
  }

  /** A safety margin for local time judgements: never answer locally within it. */
  margin(): number {
    return Math.min(this.uncertainty, 1_000) + 25;
  }
}
