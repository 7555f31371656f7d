// Grab latencies of the last few seconds, for exact p50/p99 on the ops board. A ring of fixed
// size: under a storm it holds the most recent samples, which is what a live board wants.

export class LatencyWindow {
  private readonly values: Float64Array;
  private readonly times: Float64Array;
  private next = 0;
  private size = 0;

  constructor(capacity = 4096, private readonly windowMs = 10_000) {
    this.values = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
  }

  add(ms: number, now = Date.now()): void {
    this.values[this.next] = ms;
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.values.length;
    if (this.size < this.values.length) this.size++;
  }

  /** p50 and p99 in ms of the samples inside the window; null when there are none. */
  quantiles(now = Date.now()): { p50: number; p99: number; n: number } | null {
    const recent: number[] = [];
    for (let i = 0; i < this.size; i++) if (now - this.times[i]! <= this.windowMs) recent.push(this.values[i]!);
    if (recent.length === 0) return null;
    recent.sort((a, b) => a - b);
    const at = (q: number) => recent[Math.min(recent.length - 1, Math.floor(q * recent.length))]!;
    return { p50: at(0.5), p99: at(0.99), n: recent.length };
  }
}
