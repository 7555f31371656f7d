// Fan-out from a gateway in its own process: 5,000 subscribed sockets receive every coalesced
// snapshot while grabs run flat out, the publish rate stays capped, and a socket that never
// reads is paused (snapshots dropped and counted) or closed without slowing anyone else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { seedDeals, warmNow } from '../helpers/engine.ts';
import { SessionSigner } from '../../src/gateway/session.ts';
import { grabFlatOut, LiveClient, quantile, spawnGateway, type GatewayProcess } from './live-clients.ts';
import { parsePrometheus } from '../metrics/prometheus.ts';

const SUBSCRIBERS = Number(process.env.FANOUT_SUBSCRIBERS ?? 5_000);
const SNAPSHOT_MS = 100;

describe('live fan-out', () => {
  let env: TestEnv;
  let gw: GatewayProcess;
  let signer: SessionSigner;
  let festA: string;
  let dealA: string;
  let festB: string;
  let dealsB: string[];
  const subscribers: LiveClient[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    ({ festivalId: festA, dealIds: [dealA] } = (await seedDeals(env.pool, [{ stock: 1_000_000, limit: 1_000_000, startsIn: -1_000 }], 'Festival A')) as { festivalId: string; dealIds: [string] });
    // festival B: 80 deals with long descriptions, so each snapshot is big (about 170 KB)
    ({ festivalId: festB, dealIds: dealsB } = await seedDeals(env.pool, Array.from({ length: 80 }, () => ({ stock: 1_000_000, limit: 1_000_000, startsIn: -1_000 })), 'Festival B'));
    await env.pool.query(`UPDATE deals SET description = repeat('Long description. ', 110) WHERE festival_id = $1`, [festB]);
    await warmNow(env, [dealA!, ...dealsB]);
    // no send budget: these tests are about delivering every snapshot of every tick to all
    // sockets (snapshot-cadence.test.ts covers the budget)
    gw = await spawnGateway(env, {
      LIVE_SNAPSHOT_MS: String(SNAPSHOT_MS), FANOUT_SENDS_PER_SECOND: '0', RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000', FLOOD_CLOSE_AFTER: '1000000',
    });
    signer = new SessionSigner(env.config.sessionSecret, 3_600);
    // sockets in waves: the kernel's accept backlog, not the gateway, limits a thundering herd
    for (let i = 0; i < SUBSCRIBERS; i += 500) {
      const wave = await Promise.all(Array.from({ length: 500 }, () => LiveClient.open(gw.wsUrl, signer.issue().token)));
      for (const c of wave) c.subscribe(festA);
      subscribers.push(...wave);
    }
    await waitFor(() => subscribers.every((c) => c.festivalMessages >= 1), 'every socket subscribed', 60_000);
  }, 180_000);

  afterAll(async () => {
    for (const c of subscribers) c.close();
    await gw?.stop();
    await env?.cleanup();
  });

  it(`${SUBSCRIBERS} sockets receive every snapshot; publishing stays capped while grabs run flat out`, async () => {
    subscribers[0]!.keepLast = true;
    const storm = await grabFlatOut(gw.wsUrl, signer, [dealA!], 50, 20, 4_000);
    // the last snapshot after the storm: once grabs stop, the counters stop changing and no new
    // snapshot is made, so every socket must end on the same seq (on a busy box delivery to
    // 5,000 sockets in this one process can take longer than a few ticks: wait for it, bounded)
    await new Promise((r) => setTimeout(r, 4 * SNAPSHOT_MS));
    const newest = () => Math.max(...subscribers.map((c) => c.seqs.at(-1) ?? 0));
    await waitFor(() => subscribers.every((c) => (c.seqs.at(-1) ?? 0) === newest()), 'every socket has the last snapshot', 15_000).catch(() => {});
    const last = newest();
    const missing = subscribers.filter((c) => c.seqs.length !== last || c.seqs.some((s, i) => s !== i + 1)).length;
    const lat = subscribers.flatMap((c) => c.latencies);
    console.log(`fan-out: ${storm.answers} grabs in ${storm.seconds.toFixed(1)} s (${Math.round(storm.answers / storm.seconds)}/s), ` +
      `${last} snapshots (${(last / storm.seconds).toFixed(1)}/s) x ${SUBSCRIBERS} sockets, ` +
      `delivery p50 ${quantile(lat, 0.5)} ms p99 ${quantile(lat, 0.99)} ms`);
    expect(storm.answers).toBeGreaterThan(1_000);
    expect(missing).toBe(0);
    // about one snapshot per LIVE_SNAPSHOT_MS, never more
    // (a floor, not a rate: this box is shared with benchmarks, and a busy loop coalesces more)
    expect(last).toBeGreaterThanOrEqual(3);
    expect(last).toBeLessThanOrEqual(Math.ceil(storm.seconds * 1000 / SNAPSHOT_MS) + 5);
    // the final counters made it out
    const final = JSON.parse(subscribers[0]!.lastDeals!) as { deals: { id: string; available: number; held: number }[] };
    expect(final.deals[0]).toMatchObject({ id: dealA, held: storm.held, available: 1_000_000 - storm.held });
  }, 120_000);

  it('a socket that never reads is paused or closed; the others keep their pace', async () => {
    const observers = await Promise.all(Array.from({ length: 10 }, () => LiveClient.open(gw.wsUrl, signer.issue().token)));
    const slow = await LiveClient.open(gw.wsUrl, signer.issue().token);
    for (const c of [...observers, slow]) c.subscribe(festB);
    await waitFor(() => [...observers, slow].every((c) => c.festivalMessages >= 1), 'B subscribed', 10_000);
    slow.pause();
    const dropped = async () => {
      const res = await fetch(`${gw.url}/metrics`);
      return parsePrometheus(await res.text()).filter((s) => s.name === 'flashfest_ws_dropped_messages_total').reduce((n, s) => n + s.value, 0);
    };
    // grab B's deals until the slow socket's buffers are full and the gateway reacts
    let storm = { answers: 0, held: 0, seconds: 0 };
    for (let round = 0; round < 10 && (await dropped()) === 0 && slow.closeCode === null; round++) {
      const r = await grabFlatOut(gw.wsUrl, signer, dealsB, 20, 10, 3_000);
      storm = { answers: storm.answers + r.answers, held: storm.held + r.held, seconds: storm.seconds + r.seconds };
    }
    const droppedNow = await dropped();
    // keep going a little: the others must not notice
    const before = observers.map((c) => c.latencies.length);
    const after = await grabFlatOut(gw.wsUrl, signer, dealsB, 20, 10, 3_000);
    await new Promise((r) => setTimeout(r, 4 * SNAPSHOT_MS));
    const lat = observers.flatMap((c, i) => c.latencies.slice(before[i]));
    const last = Math.max(...observers.map((c) => c.seqs.at(-1) ?? 0));
    const slowSeqs = slow.seqs.length;
    console.log(`slow socket: ${droppedNow} snapshots dropped, closed: ${slow.closeCode ?? 'no'}, ` +
      `observers got ${last} snapshots of ~${Math.round(observers[0]!.bytes / Math.max(1, observers[0]!.seqs.length) / 1024)} KB, ` +
      `delivery after the slow socket stalled p50 ${quantile(lat, 0.5)} ms p99 ${quantile(lat, 0.99)} ms; ${after.answers} grabs in 3 s`);
    expect(droppedNow > 0 || slow.closeCode !== null).toBe(true);
    // every observer got every snapshot, promptly
    for (const c of observers) expect(c.seqs.every((s, i) => i === 0 || s === c.seqs[i - 1]! + 1)).toBe(true);
    expect(observers.every((c) => c.seqs.at(-1) === last)).toBe(true);
    expect(lat.length).toBeGreaterThan(10 * 10);
    expect(quantile(lat, 0.99)).toBeLessThan(500);
    // a paused socket that reads again gets a fresh full picture (it skipped snapshots)
    if (slow.closeCode === null) {
      const festivalsBefore = slow.festivalMessages;
      slow.resume();
      await waitFor(() => slow.festivalMessages > festivalsBefore || slow.closeCode !== null, 'catch-up after resume', 20_000);
      expect(slow.seqs.length).toBeGreaterThanOrEqual(slowSeqs);
    }
    for (const c of [...observers, slow]) c.close();
  }, 120_000);
});
