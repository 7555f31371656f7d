// The gateway's festival send budget (FANOUT_SENDS_PER_SECOND): past it, festival snapshots come
// less often as the audience on this gateway grows, never less often than the ceiling, and as
// often as before once the audience shrinks. Counts over windows, compared with each other: the
// shared test host makes absolute rates unreliable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { seedDeals, warmNow } from '../helpers/engine.ts';
import { SessionSigner } from '../../src/gateway/session.ts';
import { ticksPerSnapshot } from '../../src/live/snapshot-cadence.ts';
import { grabFlatOut, LiveClient, spawnGateway, type GatewayProcess } from './live-clients.ts';

const SNAPSHOT_MS = 100;
const BUDGET = 100;

describe('ticksPerSnapshot', () => {
  const o = { tickMs: 100, sendsPerSecond: 15_000, ceilingMs: 1_000 };

  it('is one tick while the audience fits the budget, or without a budget', () => {
    expect(ticksPerSnapshot(0, o)).toBe(1);
    expect(ticksPerSnapshot(1_500, o)).toBe(1);
    expect(ticksPerSnapshot(1_000_000, { ...o, sendsPerSecond: 0 })).toBe(1);
  });

  it('stretches so that the sends stay within the budget, up to the ceiling', () => {
    expect(ticksPerSnapshot(1_501, o)).toBe(2);
    expect(ticksPerSnapshot(5_000, o)).toBe(4);
    expect(ticksPerSnapshot(15_000, o)).toBe(10);
    expect(ticksPerSnapshot(1_000_000, o)).toBe(10);
    expect(ticksPerSnapshot(1_000_000, { ...o, ceilingMs: 50 })).toBe(1);
  });
});

describe('festival snapshots under a send budget, with real sockets', () => {
  let env: TestEnv;
  let gw: GatewayProcess;
  let signer: SessionSigner;
  let festival: string;
  let deal: string;

  beforeAll(async () => {
    env = await createTestEnv();
    ({ festivalId: festival, dealIds: [deal] } = (await seedDeals(env.pool, [{ stock: 1_000_000, limit: 1_000_000, startsIn: -1_000 }], 'Cadence')) as { festivalId: string; dealIds: [string] });
    await warmNow(env, [deal!]);
    gw = await spawnGateway(env, {
      LIVE_SNAPSHOT_MS: String(SNAPSHOT_MS), FANOUT_SENDS_PER_SECOND: String(BUDGET), TICKER_PER_SECOND: '0',
      RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000', FLOOD_CLOSE_AFTER: '1000000',
    });
    signer = new SessionSigner(env.config.sessionSecret, 3_600);
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await env?.cleanup();
  });

  const follow = async (n: number) => {
    const cs = await Promise.all(Array.from({ length: n }, () => LiveClient.open(gw.wsUrl, signer.issue().token)));
    for (const c of cs) c.subscribe(festival);
    await waitFor(() => cs.every((c) => c.festivalMessages >= 1), 'subscribed', 10_000);
    return cs;
  };

  /** Snapshots one follower receives while the counters change on every tick. */
  const snapshotsWhileGrabbing = async (observer: LiveClient, ms: number) => {
    const before = observer.seqs.length;
    const storm = await grabFlatOut(gw.wsUrl, signer, [deal!], 1, 2, ms);
    expect(storm.held).toBeGreaterThan(ms / SNAPSHOT_MS);
    return observer.seqs.length - before;
  };

  it('a snapshot every tick for a small audience, fewer for a large one, and back again', async () => {
    // 3 followers: 30 sends a second, within the budget
    const few = await follow(3);
    const observer = few[0]!;
    const small = await snapshotsWhileGrabbing(observer, 2_000);
    // 50 followers: 500 a second at one snapshot a tick, so one every five ticks
    const crowd = await follow(47);
    const large = await snapshotsWhileGrabbing(observer, 2_000);
    for (const c of crowd) c.close();
    await new Promise((r) => setTimeout(r, 3 * SNAPSHOT_MS));
    const again = await snapshotsWhileGrabbing(observer, 2_000);
    console.log(`snapshots in 2 s: ${small} (3 followers), ${large} (50), ${again} (3 again)`);

    expect(large).toBeGreaterThanOrEqual(1);
    expect(large * 2).toBeLessThan(small);
    expect(large * 2).toBeLessThan(again);
    // every follower still gets every snapshot, in order
    expect(observer.seqs.every((s, i) => i === 0 || s === observer.seqs[i - 1]! + 1)).toBe(true);
    for (const c of few) c.close();
  }, 60_000);
});
