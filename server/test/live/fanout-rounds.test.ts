// Paced rounds (live/fanout.ts) on stand-in sockets, turn by turn: a round never writes more
// than its chunk in one event-loop turn, even when it is overdue (it used to send everything
// left at once: thousands of writes in one go, every grab answer of that moment behind them);
// a round that the next one of its topic overtakes hands its unreached sockets over, first in
// line, with what they missed in the same write; the per-tick check looks only at paused
// sockets; and a socket that does not answer the rounds' pings is paused until it does.
import { describe, expect, it } from 'vitest';
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import { Fanout } from '../../src/live/fanout.ts';
import type { ProcessMetrics } from '../../src/metrics/process-metrics.ts';

interface Data { topic: string | null }

/** What a uWS socket does that the fan-out uses; `writes` is one entry per corked write. */
class StandInSocket {
  writes: string[][] = [];
  buffered = 0;
  topics = new Set<string>();
  bufferedReads = 0;
  private corked: string[] | null = null;
  constructor(private readonly data: Data) {}
  getUserData(): Data { return this.data; }
  getBufferedAmount(): number { this.bufferedReads++; return this.buffered; }
  subscribe(t: string): boolean { this.topics.add(t); return true; }
  unsubscribe(t: string): boolean { return this.topics.delete(t); }
  ping(): number {
    if (this.corked) this.corked.push(PING);
    else this.writes.push([PING]);
    return 1;
  }
  send(m: Buffer | string): number {
    if (this.corked) this.corked.push(String(m));
    else this.writes.push([String(m)]);
    return 1;
  }
  cork(f: () => void): this {
    this.corked = [];
    f();
    this.writes.push(this.corked);
    this.corked = null;
    return this;
  }
  get received(): string[] { return this.writes.flat(); }
}

const PING = '<ping>';
const metrics = { publishedMessage() {}, droppedMessages() {} } as unknown as ProcessMetrics;
const app = { publish() { return true; }, numSubscribers() { return 0; } } as unknown as TemplatedApp;
const TOPIC = 'festival:f1';

function setUp(n: number, chunkSockets: number, spreadMs: number, probeMs = 0) {
  const sockets = new Set(Array.from({ length: n }, () => new StandInSocket({ topic: TOPIC })));
  const fanout = new Fanout(app, metrics, 64 * 1024, { chunkSockets, gapMs: 0, spreadMs, probeMs });
  const asWs = sockets as unknown as ReadonlySet<WebSocket<Data>>;
  fanout.paceFollowers(() => asWs, (ws) => ws.getUserData().topic);
  const all = [...sockets];
  const sent = () => all.reduce((k, s) => k + s.writes.length, 0);
  return { fanout, all, sockets, asWs, sent };
}

/** Event-loop turns (check phases) until `done`, with the writes made in each. */
async function turns(sent: () => number, done: () => boolean): Promise<number[]> {
  const per: number[] = [];
  let before = sent();
  while (!done() && per.length < 10_000) {
    await new Promise((r) => setImmediate(r));
    per.push(sent() - before);
    before = sent();
  }
  return per;
}

describe('paced fan-out rounds', () => {
  it('writes at most one chunk per event-loop turn, even when the round is overdue', async () => {
    const { fanout, all, sent } = setUp(1_000, 10, 0);
    fanout.publish(TOPIC, '{"seq":1}', 'snapshot');
    const per = await turns(sent, () => fanout.pending() === 0);
    expect(all.every((s) => s.received.join() === '{"seq":1}')).toBe(true);
    expect(Math.max(...per)).toBeLessThanOrEqual(10);
    expect(per.filter((k) => k > 0).length).toBeGreaterThanOrEqual(100);
  });

  it('a round overtaken by the next hands over its unreached sockets: first in line, every message once, in order, in one write', async () => {
    const { fanout, all, sent } = setUp(200, 10, 0);
    fanout.publish(TOPIC, '{"seq":1}', 'snapshot');
    await turns(sent, () => sent() >= 30);
    const reached = new Set(all.filter((s) => s.writes.length > 0));
    expect(reached.size).toBeLessThan(all.length);
    fanout.publish(TOPIC, '{"seq":2}', 'snapshot');
    // the first turn of the new round: only sockets the first round had not reached, both
    // messages in one write (the chunk doubled by the hand-over)
    await new Promise((r) => setImmediate(r));
    const firstTurn = all.filter((s) => !reached.has(s) && s.writes.length > 0);
    expect(firstTurn.length).toBe(20);
    expect(all.filter((s) => reached.has(s) && s.writes.length > 1)).toEqual([]);
    for (const s of firstTurn) expect(s.writes).toEqual([['{"seq":1}', '{"seq":2}']]);
    await turns(sent, () => fanout.pending() === 0);
    for (const s of all) expect(s.received).toEqual(['{"seq":1}', '{"seq":2}']);
  });

  it('sockets overtaken twice get all three messages, still once each and in order', async () => {
    const { fanout, all, sent } = setUp(300, 10, 0);
    fanout.publish(TOPIC, '{"seq":1}', 'snapshot');
    await new Promise((r) => setImmediate(r));
    fanout.publish(TOPIC, '{"seq":2}', 'snapshot');
    await new Promise((r) => setImmediate(r));
    fanout.publish(TOPIC, '{"seq":3}', 'snapshot');
    await turns(sent, () => fanout.pending() === 0);
    for (const s of all) expect(s.received).toEqual(['{"seq":1}', '{"seq":2}', '{"seq":3}']);
  });

  it('a socket that stopped reading is paused when its round reaches it; the tick looks only at paused sockets and resumes a drained one', async () => {
    const { fanout, all, sockets, asWs, sent } = setUp(50, 10, 0);
    for (const s of all) s.subscribe(TOPIC);
    const stuck = all[7]!;
    stuck.buffered = 1_000_000;
    fanout.publish(TOPIC, '{"seq":1}', 'snapshot');
    await turns(sent, () => fanout.pending() === 0);
    expect(stuck.received).toEqual([]);
    expect(stuck.topics.has(TOPIC)).toBe(false);
    expect(fanout.dropped).toBe(1);

    const caughtUp: StandInSocket[] = [];
    const view = (ws: WebSocket<Data>) => ({ topics: () => [TOPIC], catchUp: () => caughtUp.push(ws as unknown as StandInSocket) });
    for (const s of all) s.bufferedReads = 0;
    fanout.sweepPaused(asWs, view);
    expect(all.filter((s) => s.bufferedReads > 0)).toEqual([stuck]);
    expect(caughtUp).toEqual([]);

    stuck.buffered = 0;
    fanout.sweepPaused(asWs, view);
    expect(caughtUp).toEqual([stuck]);
    expect(stuck.topics.has(TOPIC)).toBe(true);
    fanout.publish(TOPIC, '{"seq":2}', 'snapshot');
    await turns(sent, () => fanout.pending() === 0);
    expect(stuck.received).toEqual(['{"seq":2}']);

    // paused, then closed: forgotten, so its topic counts no drops for it any more
    stuck.buffered = 1_000_000;
    fanout.publish(TOPIC, '{"seq":3}', 'snapshot');
    await turns(sent, () => fanout.pending() === 0);
    sockets.delete(stuck);
    fanout.sweepPaused(asWs, view);
    const dropped = fanout.dropped;
    fanout.publish(TOPIC, '{"seq":4}', 'snapshot');
    await turns(sent, () => fanout.pending() === 0);
    expect(fanout.dropped).toBe(dropped);
  });

  it('a socket that leaves a ping unanswered is paused at its next round, whatever its buffer, and its pong brings it back with a full picture', async () => {
    // long enough that a loaded host finishes two rounds well within it
    const PROBE_MS = 500;
    const { fanout, all, asWs, sent } = setUp(20, 5, 0, PROBE_MS);
    for (const s of all) s.subscribe(TOPIC);
    const deaf = all[3]!;
    const caughtUp: StandInSocket[] = [];
    const view = (ws: WebSocket<Data>) => ({ topics: () => [TOPIC], catchUp: () => caughtUp.push(ws as unknown as StandInSocket) });
    const answer = (except: StandInSocket | null) => { for (const s of all) if (s !== except) fanout.heard(s as unknown as WebSocket<Data>, view); };

    // the first snapshot asks: the ping rides in the same write, after the snapshot
    fanout.publish(TOPIC, '{"seq":1}', 'snapshot');
    await turns(sent, () => fanout.pending() === 0);
    for (const s of all) expect(s.writes).toEqual([['{"seq":1}', PING]]);
    answer(deaf);
    // within PROBE_MS: nobody is asked again, nobody is paused
    fanout.publish(TOPIC, '{"seq":2}', 'snapshot');
    await turns(sent, () => fanout.pending() === 0);
    for (const s of all) expect(s.writes.at(-1)).toEqual(['{"seq":2}']);

    await new Promise((r) => setTimeout(r, PROBE_MS + 10));
    fanout.publish(TOPIC, '{"seq":3}', 'snapshot');
    await turns(sent, () => fanout.pending() === 0);
    // the one that never answered: paused (its buffer is empty), the snapshot counted as dropped
    expect(deaf.received).toEqual(['{"seq":1}', PING, '{"seq":2}']);
    expect(deaf.topics.has(TOPIC)).toBe(false);
    expect(fanout.dropped).toBe(1);
    // the others answered: asked again
    for (const s of all) if (s !== deaf) expect(s.writes.at(-1)).toEqual(['{"seq":3}', PING]);
    // an empty buffer does not bring it back: only a pong does
    fanout.sweepPaused(asWs, view);
    expect(caughtUp).toEqual([]);

    answer(null);
    expect(caughtUp).toEqual([deaf]);
    expect(deaf.topics.has(TOPIC)).toBe(true);
    fanout.publish(TOPIC, '{"seq":4}', 'snapshot');
    await turns(sent, () => fanout.pending() === 0);
    expect(deaf.received.filter((m) => m !== PING)).toEqual(['{"seq":1}', '{"seq":2}', '{"seq":4}']);
    expect(fanout.dropped).toBe(1);
  });

  it('a socket paused for silence that moved to another festival meanwhile comes back on the one it follows now', async () => {
    const PROBE_MS = 300;
    const { fanout, all } = setUp(2, 5, 0, PROBE_MS);
    for (const s of all) s.subscribe(TOPIC);
    fanout.publish(TOPIC, '{"seq":1}', 'snapshot');
    await new Promise((r) => setTimeout(r, PROBE_MS + 20));
    fanout.publish(TOPIC, '{"seq":2}', 'snapshot');
    await new Promise((r) => setTimeout(r, 20));
    const moved = all[0]!;
    expect(moved.topics.has(TOPIC)).toBe(false);
    // its page sent `sub` for another festival while paused (the gateway set its user data)
    moved.getUserData().topic = 'festival:f2';
    const caughtUp: StandInSocket[] = [];
    fanout.heard(moved as unknown as WebSocket<Data>, (ws) => ({
      topics: () => [ws.getUserData().topic!], catchUp: () => caughtUp.push(ws as unknown as StandInSocket),
    }));
    expect(caughtUp).toEqual([moved]);
    expect([...moved.topics]).toEqual(['festival:f2']);
  });
});
