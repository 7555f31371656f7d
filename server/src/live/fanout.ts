// Publishing live snapshots without letting one slow socket cost anyone else. uWS topics do the
// sending (one publish, the C++ side writes to every subscriber). Before each snapshot round the
// sockets' buffered bytes are checked: a socket above the threshold is taken off its snapshot
// topics (paused) and every snapshot it misses is counted as dropped; once it has drained it is
// put back and sent a fresh full picture, since snapshots are idempotent. Own news
// (`shopper:<id>`) is never paused; uWS closes a socket past maxBackpressure.
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { ProcessMetrics } from '../metrics/process-metrics.ts';

export interface Snapshotable {
  /** the snapshot topics this socket follows right now */
  topics(): string[];
  /** sent when the socket resumes: a full picture of its topics */
  catchUp(): void;
}

interface Paused { topics: string[] }

export class Fanout {
  private readonly paused = new Map<WebSocket<unknown>, Paused>();
  /** topic -> paused sockets on it, for counting drops per publish */
  private readonly pausedPerTopic = new Map<string, number>();
  dropped = 0;
  published = 0;

  constructor(
    private readonly app: TemplatedApp,
    private readonly metrics: ProcessMetrics,
    private readonly thresholdBytes: number,
  ) {}

  /**
   * Checks every socket's buffer: pauses the ones over the threshold, resumes the ones that
   * drained below a quarter of it. Cheap (one native call per socket); run once per tick.
   */
  sweep<T>(sockets: ReadonlySet<WebSocket<T>>, view: (ws: WebSocket<T>) => Snapshotable): void {
    const low = this.thresholdBytes / 4;
    // a paused socket that closed meanwhile no longer counts
    for (const [ws, p] of this.paused) if (!sockets.has(ws as WebSocket<T>)) this.forget(ws, p);
    for (const ws of sockets) {
      const buffered = ws.getBufferedAmount();
      const p = this.paused.get(ws as WebSocket<unknown>);
      if (!p && buffered > this.thresholdBytes) {
        const topics = view(ws).topics();
        for (const t of topics) {
          ws.unsubscribe(t);
          this.pausedPerTopic.set(t, (this.pausedPerTopic.get(t) ?? 0) + 1);
        }
        this.paused.set(ws as WebSocket<unknown>, { topics });
      } else if (p && buffered < low) {
        this.forget(ws as WebSocket<unknown>, p);
        for (const t of p.topics) ws.subscribe(t);
        view(ws).catchUp();
      }
    }
  }

  isPaused(ws: WebSocket<unknown>): boolean {
    return this.paused.has(ws);
  }

  /** One snapshot on one topic; paused subscribers of it count as dropped. */
  publish(topic: string, message: string, kind: string): void {
    const skipped = this.pausedPerTopic.get(topic) ?? 0;
    if (skipped > 0) {
      this.dropped += skipped;
      this.metrics.droppedMessages(kind, skipped);
    }
    this.app.publish(topic, message, false);
    this.published++;
    this.metrics.publishedMessage(kind);
  }

  /** Publish only when someone on this gateway listens (deal:<id>, ops). */
  publishIfSubscribed(topic: string, message: string | (() => string), kind: string): boolean {
    if (this.app.numSubscribers(topic) === 0 && !this.pausedPerTopic.get(topic)) return false;
    this.publish(topic, typeof message === 'string' ? message : message(), kind);
    return true;
  }

  private forget(ws: WebSocket<unknown>, p: Paused): void {
    this.paused.delete(ws);
    for (const t of p.topics) {
      const n = (this.pausedPerTopic.get(t) ?? 1) - 1;
      if (n <= 0) this.pausedPerTopic.delete(t);
      else this.pausedPerTopic.set(t, n);
    }
  }
}
