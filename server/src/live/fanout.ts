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
//
// Sockets that do not read: a socket whose receive window closed is seen in its buffered bytes
// only once the kernel's buffers on both ends are full, which takes tens of seconds of snapshots
// (all that time it costs as much as a reader). So paced rounds also ask (`probeMs`): a
// WebSocket ping rides in the same write as a snapshot, at most once per `probeMs`; a socket that
// leaves it unanswered for `probeMs` is paused like a slow one when a round next reaches it, and
// resumed with a full picture by its next pong (`heard`), which comes once it reads the ping
// that waits in its queue. Browsers, `ws` and the bench's readers answer pings by themselves.
//
// A round is spread over the time until the next one (`spreadMs`, set by the live tick from the
// snapshot cadence) and never writes more than a chunk per turn: a round squeezed into a short
// deadline ended in one burst of thousands of writes (every grab of that moment waited for it).
// When the next round of a topic comes while the last is unfinished, the sockets it had not
// reached go first in the new one and get the messages they missed in the same write (snapshots
// are deltas with a seq: none may be skipped); each such carry doubles the round's chunk, so a
// loop too busy for the pace still catches up.
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { ProcessMetrics } from '../metrics/process-metrics.ts';

export interface Snapshotable {
  /** the snapshot topics this socket follows right now */
  topics(): string[];
  /** sent when the socket resumes: a full picture of its topics */
  catchUp(): void;
}

/** `silent`: paused for an unanswered ping (resumed by a pong), else for its buffered bytes */
interface Paused { topics: string[]; silent: boolean }
/** The last ping a socket was sent, and whether its pong came. */
interface Probe { at: number; answered: boolean }
type View<T> = (ws: WebSocket<T>) => Snapshotable;

/** One topic's messages on their way to the followers listed when the first was published. */
interface Round {
  topic: string; messages: Buffer[]; kinds: string[]; sockets: WebSocket<unknown>[]; next: number;
  /** performance.now() by which the round should be done */
  due: number;
  /** sockets an unfinished earlier round of this topic had not reached: what they missed, sent first */
  carried: Map<WebSocket<unknown>, Buffer[]> | null;
  /** chunks per turn: 1, doubled by each carry */
  boost: number;
}

/** the most a round's chunk grows by carries (a loop that far behind sends big chunks) */
const MAX_BOOST = 16;
/** the smallest chunk worth a timer, when a long spread would allow fewer sockets per turn */
const MIN_CHUNK = 32;

export interface PacingOptions {
  /** sockets written per event-loop turn; 0 = no pacing (one uWS publish per message) */
  chunkSockets: number;
  /** pause between chunks (ms; 0 = the next turn of the event loop, without a timer) */
  gapMs: number;
  /** a round is spread over about this long (ms): the time until the next round (setSpread) */
  spreadMs: number;
  /** ping a paced follower at most this often and pause it when a ping stays unanswered this
   *  long (ms); 0: no pings */
  probeMs?: number;
}

export class Fanout {
  private readonly paused = new Map<WebSocket<unknown>, Paused>();
  /** topic -> paused sockets on it, for counting drops per publish */
  private readonly pausedPerTopic = new Map<string, number>();
  /**
   * topic -> its unpaused followers, listed at the first publish after a sweep, a finished
   * round or a new follower (followersChanged); null: stale
   */
  private followers: Map<string, WebSocket<unknown>[]> | null = null;
  /** the sockets that paced topics go to, and the one snapshot topic each follows */
  private source: { sockets: () => ReadonlySet<WebSocket<unknown>>; topicOf: (ws: WebSocket<unknown>) => string | null } | null = null;
  private readonly rounds: Round[] = [];
  /** per socket: its last ping (weak: a closed socket's entry goes with it) */
  private readonly probes = new WeakMap<WebSocket<unknown>, Probe>();
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
        this.pause(ws as WebSocket<unknown>, view(ws).topics(), false);
      } else if (p && !p.silent && buffered < low) {
        this.forget(ws as WebSocket<unknown>, p);
        for (const t of p.topics) ws.subscribe(t);
        view(ws).catchUp();
      }
    }
    this.followers = null;
  }

  /**
   * `sweep` for sockets whose snapshot topics are paced: a socket that stopped reading is paused
   * when a paced round reaches it, so only the paused ones are looked at here (forgotten when
   * closed, resumed when drained), not every socket every tick.
   */
  sweepPaused<T>(sockets: ReadonlySet<WebSocket<T>>, view: View<T>): void {
    const low = this.thresholdBytes / 4;
    for (const [ws, p] of this.paused) {
      if (!sockets.has(ws as WebSocket<T>)) this.forget(ws, p);
      else if (!p.silent && ws.getBufferedAmount() < low) {
        this.forget(ws, p);
        for (const t of p.topics) ws.subscribe(t);
        view(ws as WebSocket<T>).catchUp();
        this.followers = null;
      }
    }
  }

  /**
   * A pong from this socket: it reads (at least up to a ping). A socket paused for silence is
   * resumed with a full picture; one paused for its buffered bytes waits to drain (sweepPaused).
   */
  heard<T>(ws: WebSocket<T>, view: View<T>): void {
    const probe = this.probes.get(ws as WebSocket<unknown>);
    if (probe) probe.answered = true;
    const p = this.paused.get(ws as WebSocket<unknown>);
    if (!p?.silent) return;
    this.forget(ws as WebSocket<unknown>, p);
    // what it follows now: a `sub` while paused moved it to another festival
    const v = view(ws);
    for (const t of v.topics()) ws.subscribe(t);
    v.catchUp();
    this.followers = null;
  }

  /**
   * A socket started to follow a paced topic (a `sub`). The listing cached before it does not
   * have it, and only a finished round used to renew it: a publish on a topic nobody followed
   * yet (the ticker, or a snapshot, between one festival's last follower leaving and the next
   * one's `sub`) starts no round, so that listing stayed, the topic went out unpaced through
   * uWS to everyone who followed it later, and none of them was ever pinged.
   */
  followersChanged(): void {
    this.followers = null;
  }

  /** Whether this fan-out paces its followers' snapshot topics (see paceFollowers). */
  get paced(): boolean {
    return this.source !== null;
  }

  /**
   * Pace the snapshot topics of these sockets (when `chunkSockets` > 0): `topicOf` names the one
   * snapshot topic a socket follows now. Other topics go out through uWS in one publish.
   */
  paceFollowers<T>(sockets: () => ReadonlySet<WebSocket<T>>, topicOf: (ws: WebSocket<T>) => string | null): void {
    if (this.pacing.chunkSockets > 0) this.source = { sockets, topicOf } as NonNullable<Fanout['source']>;
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
      this.rounds.push(this.nextRound(topic, bytes, kind, sockets));
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

  /** Paced rounds spread over about this long (ms): the live tick sets it to the snapshot period. */
  setSpread(ms: number): void {
    this.pacing.spreadMs = ms;
  }

  /**
   * A new round of `topic`. An unfinished one of the same topic is folded in: the sockets it had
   * not reached come first, with the messages they missed.
   */
  private nextRound(topic: string, bytes: Buffer, kind: string, listed: WebSocket<unknown>[]): Round {
    const i = this.rounds.findIndex((r) => r.topic === topic);
    const due = performance.now() + this.pacing.spreadMs;
    if (i < 0) return { topic, messages: [bytes], kinds: [kind], sockets: listed, next: 0, due, carried: null, boost: 1 };
    const old = this.rounds.splice(i, 1)[0]!;
    const carried = new Map<WebSocket<unknown>, Buffer[]>();
    for (let k = old.next; k < old.sockets.length; k++) {
      const ws = old.sockets[k]!;
      const earlier = old.carried?.get(ws);
      carried.set(ws, earlier ? [...earlier, ...old.messages] : old.messages);
    }
    const sockets = [...carried.keys()];
    for (const ws of listed) if (!carried.has(ws)) sockets.push(ws);
    return { topic, messages: [bytes], kinds: [kind], sockets, next: 0, due, carried, boost: Math.min(MAX_BOOST, old.boost * 2) };
  }

  private readonly pump = (): void => {
    const { chunkSockets, gapMs } = this.pacing;
    const source = this.source!;
    const now = performance.now();
    let budget = chunkSockets * (this.rounds[0]?.boost ?? 1);
    while (budget > 0 && this.rounds.length > 0) {
      const r = this.rounds[0]!;
      // as many as keep the round on time (a turn is at least the gap, ~1 ms with a timer), at
      // least a small chunk, never past the turn's budget: an overdue round does not burst
      const turns = Math.max(1, Math.floor((r.due - now) / Math.max(1, gapMs)));
      const left = r.sockets.length - r.next;
      const n = Math.min(left, budget, Math.max(Math.ceil(left / turns), Math.min(MIN_CHUNK, chunkSockets)));
      const end = r.next + n;
      for (let i = r.next; i < end; i++) this.deliver(r.sockets[i]!, r, source, now);
      budget -= n;
      r.next = end;
      if (r.next < r.sockets.length) break;
      this.rounds.shift();
      this.followers = null;
    }
    if (this.rounds.length === 0) this.pumping = false;
    else if (this.pacing.gapMs > 0) setTimeout(this.pump, this.pacing.gapMs);
    else setImmediate(this.pump);
  };

  private deliver(ws: WebSocket<unknown>, r: Round, source: NonNullable<Fanout['source']>, now: number): void {
    // closed, paused or gone to another topic since it was listed
    if (!source.sockets().has(ws) || this.paused.has(ws) || source.topicOf(ws) !== r.topic) return;
    // a socket that stopped reading is caught here, not a tick later with a tick's more buffered
    const buffered = ws.getBufferedAmount() > this.thresholdBytes;
    const probe = buffered ? 'ok' : this.probe(ws, now);
    if (buffered || probe === 'silent') {
      this.pause(ws, [r.topic], !buffered);
      for (const k of r.kinds) this.countDropped(k, 1);
      return;
    }
    const missed = r.carried?.get(ws);
    if (!missed && r.messages.length === 1 && probe === 'ok') ws.send(r.messages[0]!, false);
    else ws.cork(() => {
      if (missed) for (const m of missed) ws.send(m, false);
      for (const m of r.messages) ws.send(m, false);
      // after the snapshots: its pong says they were read
      if (probe === 'ping') ws.ping();
    });
  }

  /** Whether to ping this socket now, let it be, or pause it for a ping it left unanswered. */
  private probe(ws: WebSocket<unknown>, now: number): 'ping' | 'ok' | 'silent' {
    const every = this.pacing.probeMs ?? 0;
    if (every <= 0) return 'ok';
    const p = this.probes.get(ws);
    if (!p) {
      this.probes.set(ws, { at: now, answered: false });
      return 'ping';
    }
    if (!p.answered) return now - p.at > every ? 'silent' : 'ok';
    if (now - p.at < every) return 'ok';
    p.at = now;
    p.answered = false;
    return 'ping';
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

  private pause(ws: WebSocket<unknown>, topics: string[], silent: boolean): void {
    for (const t of topics) {
      ws.unsubscribe(t);
      this.pausedPerTopic.set(t, (this.pausedPerTopic.get(t) ?? 0) + 1);
    }
    this.paused.set(ws, { topics, silent });
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
