// Token bucket for every rate limit: per socket, per client address, per brand key. Refills
// continuously; no timers, so a million idle sockets cost nothing.
export class TokenBucket {
  private tokens: number;
  private last: number;
  /** messages refused in a row-ish: reset when the bucket has room again */
  overLimit = 0;

  constructor(private readonly perSecond: number, private readonly burst: number, now = performance.now()) {
    this.tokens = burst;
    this.last = now;
  }

  take(now = performance.now()): boolean {
    const elapsed = now - this.last;
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.perSecond) / 1000);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      if (this.overLimit > 0 && this.tokens >= this.burst / 2) this.overLimit = 0;
      return true;
    }
    this.overLimit++;
    return false;
  }
}
