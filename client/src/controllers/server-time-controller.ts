// Re-renders its host at server-time instants the host asks for (the next countdown tick, the
// moment a deal opens). One timer per host, alive only while the host is connected.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { clock, serverNow } from '../data/clock.ts';

/** Wake at least this often so a corrected clock offset is picked up. */
const maxSleepMs = 30_000;

export class ServerTimeController implements ReactiveController {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private connected = false;
  private offClock: (() => void) | null = null;

  /** `nextAt` returns the next server time (epoch ms) worth a re-render, or null for none. */
  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly nextAt: () => number | null,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.connected = true;
    // A better clock estimate (the first pongs land after the first render) moves every instant.
    this.offClock ??= clock.subscribe(() => this.schedule());
    this.schedule();
  }

  hostDisconnected(): void {
    this.connected = false;
    this.offClock?.();
    this.offClock = null;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Every render recomputes the next instant: the host's inputs may have moved it. */
  hostUpdated(): void {
    this.schedule();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.connected) return;
    const at = this.nextAt();
    if (at === null) return;
    // +1 ms lands just past the instant, so the render sees the new second / the new state.
    const delay = Math.min(maxSleepMs, Math.max(0, at - serverNow()) + 1);
    this.timer = setTimeout(() => this.host.requestUpdate(), delay);
  }
}
