// Publishing live snapshots without letting one slow socket, or many sockets at once, cost
// anyone else.
//
// Slow sockets: before each snapshot round the sockets' buffered bytes are checked (and again
// at each paced send): a socket above the threshold is taken off its snapshot topics (paused)
// and every snapshot it misses is counted as dropped; once it has drained it is put back and
// sent a fresh full picture, since snapshots are idempotent. Own news (`shopper:<id>`) is never
// paused; uWS closes a socket past maxBackpressure.
//
// Many sockets: one uWS publish to a topic writes to every subscriber in one go, one TCP segment
// each. Thousands of segments in one burst overflow the kernel's per-CPU receive backlog on
// loopback (and a NIC queue beside other traffic): segments are dropped, the grab answers among
// them too, and each waits for a retransmit. The shoppers' festival topics (paceFollowers) are
// therefore sent in chunks of `chunkSockets`, one event-loop turn and a timer apart, so grab
// answers go out between chunks and the kernel drains its queue. Every message of one round
// reaches a socket in one write (snapshot and ticker items of one tick: one segment).
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { ProcessMetrics } from '../metrics/process-metrics.ts';

export interface Snapshotable {
  /** the snapshot topics this socket follows right now */
  topics(): string[];
  /** sent when the socket resumes: a full picture of its topics */
  catchUp(): void;
}

interface Paused { topics: string[] }
type View<T> = (ws: WebSocket<T>) => Snapshotable;

/** One topic's messages on their way to the followers listed when the first was published. */
interface Round { topic: string; messages: Buffer[]; kinds: string[]; sockets: WebSocket<unknown>[]; next: number; due: number }

export interface PacingOptions {
  /** sockets written per event-loop turn; 0 = no pacing (one uWS publish per message) */
  chunkSockets: number;
  /** pause between chunks (ms; 0 = the next turn of the event loop, without a timer) */
  gapMs: number;
  /**
   * a round is spread over at most this long (ms): chunks grow when a busy event loop runs the
   * pump late, and an overdue round goes out at once, so snapshots never queue up behind
   * each other
   */
  spreadMs: number;
}

export class Fanout {
  private readonly paused = new Map<WebSocket<unknown>, Paused>();
  /** topic -> paused sockets on it, for counting drops per publish */
  private readonly pausedPerTopic = new Map<string, number>();
  /**
   * topic -> its unpaused followers, listed at the first publish after a sweep or a finished
   * round (a socket that subscribes later got the full picture when it subscribed); null: stale
   */
  private followers: Map<string, WebSocket<unknown>[]> | null = null;
  /** the sockets that paced topics go to, and the one snapshot topic each follows */
  private source: { sockets: () => ReadonlySet<WebSocket<unknown>>; topicOf: (ws: WebSocket<unknown>) => string | null } | null = null;
  private readonly rounds: Round[] = [];
  private pumping = false;
  dropped = 0;
  published = 0;

  constructor(
    private readonly app: TemplatedApp,
    private readonly metrics: ProcessMetrics,
    private readonly thresholdBytes: number,
    private readonly pacing: PacingOptions = { chunkSockets: 0, gapMs: 0, spreadMs: 0 },
  ) {}

  /**
   * Checks every socket's buffer: pauses the ones over the threshold, resumes the ones that
   * drained below a quarter of it. Cheap (one native call per socket); run once per tick.
   */
  sweep<T>(sockets: ReadonlySet<WebSocket<T>>, view: View<T>): void {
    const low = this.thresholdBytes / 4;
    // a paused socket that closed meanwhile no longer counts
    for (const [ws, p] of this.paused) if (!sockets.has(ws as WebSocket<T>)) this.forget(ws, p);
    for (const ws of sockets) {
      const buffered = ws.getBufferedAmount();
      const p = this.paused.get(ws as WebSocket<unknown>);
      if (!p && buffered > this.thresholdBytes) {
        this.pause(ws as WebSocket<unknown>, view(ws).topics());
      } else if (p && buffered < low) {
        this.forget(ws as WebSocket<unknown>, p);
        for (const t of p.topics) ws.subscribe(t);
        view(ws).catchUp();
      }
    }
    this.followers = null;
  }

  /**
   * Pace the snapshot topics of these sockets (when `chunkSockets` > 0): `topicOf` names the one
   * snapshot topic a socket follows now. Other topics go out through uWS in one publish.
   */
  paceFollowers<T>(sockets: () => ReadonlySet<WebSocket<T>>, topicOf: (ws: WebSocket<T>) => string | null): void {
    if (this.pacing.chunkSockets > 0) this.source = { sockets, topicOf } as NonNullable<Fanout['source']>;
  }

  isPaused(ws: WebSocket<unknown>): boolean {
    return this.paused.has(ws);
  }

  /** One snapshot on one topic; paused subscribers of it count as dropped. */
  publish(topic: string, message: string, kind: string): void {
    const skipped = this.pausedPerTopic.get(topic) ?? 0;
    if (skipped > 0) this.countDropped(kind, skipped);
    this.published++;
    this.metrics.publishedMessage(kind);
    const sockets = this.source ? (this.followers ??= this.listFollowers(this.source)).get(topic) : undefined;
    if (!sockets) {
      this.app.publish(topic, message, false);
      return;
    }
    // a round not started yet takes the message along: one write per socket for both
    const last = this.rounds[this.rounds.length - 1];
    // encoded once here, not once per socket by each send
    const bytes = Buffer.from(message);
    if (last && last.topic === topic && last.next === 0) {
      last.messages.push(bytes);
      last.kinds.push(kind);
    } else {
      this.rounds.push({ topic, messages: [bytes], kinds: [kind], sockets, next: 0, due: performance.now() + this.pacing.spreadMs });
    }
    if (!this.pumping) {
      this.pumping = true;
      setImmediate(this.pump);
    }
  }

  /** Publish only when someone on this gateway listens (deal:<id>, ops). */
  publishIfSubscribed(topic: string, message: string | (() => string), kind: string): boolean {
    if (this.app.numSubscribers(topic) === 0 && !this.pausedPerTopic.get(topic)) return false;
    this.publish(topic, typeof message === 'string' ? message : message(), kind);
    return true;
  }

  /** Socket writes of paced rounds still to do (the slow-tick log says it). */
  pending(): number {
    return this.rounds.reduce((n, r) => n + r.sockets.length - r.next, 0);
  }

  private readonly pump = (): void => {
    const { chunkSockets, gapMs } = this.pacing;
    const source = this.source!;
    const now = performance.now();
    let budget = chunkSockets;
    while (budget > 0 && this.rounds.length > 0) {
      const r = this.rounds[0]!;
      // turns left before the round is due (a turn is at least the gap, ~1 ms with a timer)
      const turns = Math.floor((r.due - now) / Math.max(1, gapMs));
      const left = r.sockets.length - r.next;
      const n = turns <= 1 ? left : Math.max(budget, Math.ceil(left / turns));
      const end = Math.min(r.sockets.length, r.next + n);
      for (let i = r.next; i < end; i++) this.deliver(r.sockets[i]!, r, source);
      budget -= Math.min(budget, end - r.next);
      r.next = end;
      if (r.next >= r.sockets.length) {
        this.rounds.shift();
        this.followers = null;
      }
    }
    if (this.rounds.length === 0) this.pumping = false;
    else if (this.pacing.gapMs > 0) setTimeout(this.pump, this.pacing.gapMs);
    else setImmediate(this.pump);
  };

  private deliver(ws: WebSocket<unknown>, r: Round, source: NonNullable<Fanout['source']>): void {
    // closed, paused or gone to another topic since it was listed
    if (!source.sockets().has(ws) || this.paused.has(ws) || source.topicOf(ws) !== r.topic) return;
    // a socket that stopped reading is caught here, not a tick later with a tick's more buffered
    if (ws.getBufferedAmount() > this.thresholdBytes) {
      this.pause(ws, [r.topic]);
      for (const k of r.kinds) this.countDropped(k, 1);
      return;
    }
    if (r.messages.length === 1) ws.send(r.messages[0]!, false);
    else ws.cork(() => { for (const m of r.messages) ws.send(m, false); });
  }

  private listFollowers(source: NonNullable<Fanout['source']>): Map<string, WebSocket<unknown>[]> {
    const out = new Map<string, WebSocket<unknown>[]>();
    for (const ws of source.sockets()) {
      if (this.paused.has(ws)) continue;
      const t = source.topicOf(ws);
      if (t === null) continue;
      const list = out.get(t);
      if (list) list.push(ws);
      else out.set(t, [ws]);
    }
    return out;
  }

  private pause(ws: WebSocket<unknown>, topics: string[]): void {
    for (const t of topics) {
      ws.unsubscribe(t);
      this.pausedPerTopic.set(t, (this.pausedPerTopic.get(t) ?? 0) + 1);
    }
    this.paused.set(ws, { topics });
  }

  private countDropped(kind: string, n: number): void {
    this.dropped += n;
    this.metrics.droppedMessages(kind, n);
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
