// Server clock estimate, NTP-style: each ping/pong gives offset = s - (c + rtt/2); the sample
// with the smallest round trip has the tightest error bound (±rtt/2), so keep that one. Only the
// most recent samples compete, so a client clock that jumps (sleep, NTP step) is corrected.

export interface ClockSample {
  offset: number;
  rtt: number;
}

const windowSize = 8;

export class Clock {
  private samples: ClockSample[] = [];
  private rough: number | null = null;
  private listeners = new Set<() => void>();

  /** Milliseconds to add to Date.now() to get server time. */
  get offset(): number {
    const best = this.best();
    return best ? best.offset : (this.rough ?? 0);
  }

  /** Round trip of the sample in use; Infinity before the first pong. */
  get rtt(): number {
    return this.best()?.rtt ?? Infinity;
  }

  now(): number {
    return Date.now() + this.offset;
  }

  /** A pong: `c` our send time echoed back, `s` the server's time when it answered. */
  addPong(c: number, s: number, receivedAt = Date.now()): void {
    const rtt = receivedAt - c;
    if (!(rtt >= 0) || !Number.isFinite(s)) return; // clock stepped backwards mid-flight, or junk
    this.samples.push({ offset: s - (c + rtt / 2), rtt });
    if (this.samples.length > windowSize) this.samples.shift();
    this.emit();
  }

  /** A one-way server timestamp (hello, festival): used only until the first pong arrives. */
  addRough(serverTime: number, receivedAt = Date.now()): void {
    if (this.samples.length > 0 || !Number.isFinite(serverTime)) return;
    this.rough = serverTime - receivedAt;
    this.emit();
  }

  subscribe(onChange: () => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }

  private best(): ClockSample | undefined {
    let best: ClockSample | undefined;
    for (const s of this.samples) if (!best || s.rtt < best.rtt) best = s;
    return best;
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }
}

export const clock = new Clock();

/** Server time in epoch milliseconds, as well as this page can tell. */
export function serverNow(): number {
  return clock.now();
}
