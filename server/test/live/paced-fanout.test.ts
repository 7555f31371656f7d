// Paced fan-out (FANOUT_CHUNK_SOCKETS): snapshots go out a few sockets per event-loop turn.
// With chunks of 3 sockets, every subscriber still gets every snapshot in order with the final
// counters, ticker items still arrive, a socket that subscribes mid-storm gets every snapshot
// from then on, and one that closes mid-round costs nobody anything; a socket that does not
// answer the rounds' pings gets no snapshots until it does (the readers, answering, notice
// nothing).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { seedDeals, warmNow } from '../helpers/engine.ts';
import { SessionSigner } from '../../src/gateway/session.ts';
import { LiveClient, spawnGateway, type GatewayProcess } from './live-clients.ts';

const SNAPSHOT_MS = 100;
const PROBE_MS = 400;

/** `n` sockets grabbing `deal` one at a time each for `ms`; resolves with the holds made. */
async function grab(wsUrl: string, signer: SessionSigner, deal: string, n: number, ms: number): Promise<number> {
  let held = 0;
  const until = Date.now() + ms;
  await Promise.all(Array.from({ length: n }, (_, i) => new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl}?token=${encodeURIComponent(signer.issue().token)}`, { perMessageDeflate: false });
    let k = 0;
    const next = () => {
      if (Date.now() >= until) { ws.terminate(); resolve(); return; }
      ws.send(JSON.stringify({ t: 'grab', deal, qty: 1, rid: `p${i}-${k++}` }));
    };
    ws.once('open', next);
    ws.once('error', reject);
    ws.on('message', (data) => {
      const s = String(data);
      if (s.startsWith('{"t":"held"')) held++;
      if (s.startsWith('{"t":"held"') || s.startsWith('{"t":"refused"')) next();
    });
  })));
  return held;
}

const inOrder = (seqs: number[]) => seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1);

describe('paced live fan-out', () => {
  let env: TestEnv;
  let gw: GatewayProcess;
  let signer: SessionSigner;
  let festival: string;
  let deal: string;

  beforeAll(async () => {
    env = await createTestEnv();
    ({ festivalId: festival, dealIds: [deal] } = (await seedDeals(env.pool, [{ stock: 1_000_000, limit: 1_000_000, startsIn: -1_000 }], 'Paced')) as { festivalId: string; dealIds: [string] });
    await warmNow(env, [deal!]);
    gw = await spawnGateway(env, {
      LIVE_SNAPSHOT_MS: String(SNAPSHOT_MS), FANOUT_CHUNK_SOCKETS: '3', FANOUT_GAP_MS: '1', TICKER_PER_SECOND: '20', FANOUT_PROBE_MS: String(PROBE_MS),
      RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000', FLOOD_CLOSE_AFTER: '1000000',
    });
    signer = new SessionSigner(env.config.sessionSecret, 3_600);
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await env?.cleanup();
  });

  it('every subscriber gets every snapshot in order, the last with the final counters', async () => {
    const subs = await Promise.all(Array.from({ length: 40 }, () => LiveClient.open(gw.wsUrl, signer.issue().token)));
    for (const c of subs) c.subscribe(festival);
    await waitFor(() => subs.every((c) => c.festivalMessages >= 1), 'subscribed', 10_000);
    subs[0]!.keepLast = true;
    const gone = subs.pop()!;
    const grabbing = grab(gw.wsUrl, signer, deal!, 10, 1_500);
    // one that subscribes mid-storm, one that leaves mid-storm (maybe mid-round)
    await new Promise((r) => setTimeout(r, 500));
    const late = await LiveClient.open(gw.wsUrl, signer.issue().token);
    late.subscribe(festival);
    gone.close();
    const held = await grabbing;
    await new Promise((r) => setTimeout(r, 4 * SNAPSHOT_MS));

    const last = Math.max(...subs.map((c) => c.seqs.at(-1) ?? 0));
    expect(held).toBeGreaterThan(10);
    expect(last).toBeGreaterThanOrEqual(3);
    for (const c of subs) {
      expect(inOrder(c.seqs)).toBe(true);
      expect(c.seqs.at(-1)).toBe(last);
    }
    expect(subs.every((c) => c.seqs.length === last)).toBe(true);
    expect(late.seqs.length).toBeGreaterThan(0);
    expect(inOrder(late.seqs)).toBe(true);
    expect(late.seqs.at(-1)).toBe(last);
    const final = JSON.parse(subs[0]!.lastDeals!) as { deals: { id: string; held: number }[] };
    expect(final.deals[0]).toMatchObject({ id: deal, held });
    // ticker items take the same paced rounds
    expect(subs.every((c) => c.tickerItems.length > 0)).toBe(true);
    for (const c of [...subs, late]) c.close();
  }, 60_000);

  it('a socket that does not answer pings gets no snapshots until it does, then the whole festival; the others notice nothing', async () => {
    const readers = await Promise.all(Array.from({ length: 5 }, () => LiveClient.open(gw.wsUrl, signer.issue().token)));
    // reads every frame but never answers a ping: what the gateway sees of a page that stopped reading
    const deaf = new WebSocket(`${gw.wsUrl}?token=${encodeURIComponent(signer.issue().token)}`, { perMessageDeflate: false, autoPong: false });
    let deafSnapshots = 0, deafFestivals = 0;
    deaf.on('message', (data) => {
      const s = String(data);
      if (s.startsWith('{"t":"deals"')) deafSnapshots++;
      else if (s.startsWith('{"t":"festival"')) deafFestivals++;
    });
    let pinged = 0;
    deaf.on('ping', () => { pinged++; });
    await new Promise((resolve, reject) => { deaf.once('open', resolve); deaf.once('error', reject); });
    for (const c of readers) c.subscribe(festival);
    deaf.send(JSON.stringify({ t: 'sub', festival }));
    await waitFor(() => deafFestivals === 1 && readers.every((c) => c.festivalMessages >= 1), 'subscribed', 10_000);

    const first = grab(gw.wsUrl, signer, deal!, 5, 2_000 + 3 * PROBE_MS);
    await waitFor(() => pinged > 0, 'a ping with the snapshots', 10_000);
    // unanswered past PROBE_MS: no more snapshots for it while the grabs go on
    await waitFor(() => deafSnapshots > 0, 'its first snapshots', 10_000);
    await new Promise((r) => setTimeout(r, 2 * PROBE_MS));
    const stopped = deafSnapshots;
    const readersAt = readers.map((c) => c.seqs.length);
    await first;
    await new Promise((r) => setTimeout(r, 4 * SNAPSHOT_MS));
    expect(deafSnapshots).toBe(stopped);
    const last = Math.max(...readers.map((c) => c.seqs.at(-1) ?? 0));
    for (const [i, c] of readers.entries()) {
      expect(c.seqs.length).toBeGreaterThan(readersAt[i]!);
      expect(inOrder(c.seqs)).toBe(true);
      expect(c.seqs.at(-1)).toBe(last);
    }

    // it answers: the whole festival, then snapshots again
    deaf.pong();
    await waitFor(() => deafFestivals === 2, 'the festival again after its pong', 10_000);
    const again = deafSnapshots;
    await grab(gw.wsUrl, signer, deal!, 5, 600);
    await waitFor(() => deafSnapshots > again, 'snapshots again', 10_000);
    deaf.terminate();
    for (const c of readers) c.close();
  }, 60_000);

  it('a snapshot published while nobody follows the festival leaves it paced for those who follow it later', async () => {
    // The fan-out lists a topic's followers at a publish and used to renew the listing only when
    // a round finished: a publish nobody followed started no round, so the festival went out
    // unpaced (through uWS) and unpinged from then on. Under load the ticker of the test above
    // hit that gap between its grabbers closing and the readers' `sub`s (1 run in 8).
    const grabbing = grab(gw.wsUrl, signer, deal!, 2, 600);
    await grabbing;
    // the grabs' snapshot and ticker items go out with no follower on this gateway
    await new Promise((r) => setTimeout(r, 4 * SNAPSHOT_MS));
    const follower = new WebSocket(`${gw.wsUrl}?token=${encodeURIComponent(signer.issue().token)}`, { perMessageDeflate: false });
    let pinged = 0, festivals = 0;
    follower.on('ping', () => { pinged++; });
    follower.on('message', (data) => { if (String(data).startsWith('{"t":"festival"')) festivals++; });
    await new Promise((resolve, reject) => { follower.once('open', resolve); follower.once('error', reject); });
    follower.send(JSON.stringify({ t: 'sub', festival }));
    await waitFor(() => festivals === 1, 'subscribed', 10_000);
    const more = grab(gw.wsUrl, signer, deal!, 2, 5_000);
    try {
      await waitFor(() => pinged > 0, 'a ping with the snapshots of a paced round', 10_000);
    } finally {
      await more;
      follower.terminate();
    }
  }, 60_000);
});
