// Two gateways in separate processes: a grab on one reaches the other's subscribers (the deal
// snapshot from the shared counters, the ticker item through the one Redis channel), and the
// ticker carries a city and a product, never a shopper.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { seedDeals, warmNow } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { Cities } from '../../src/shared/protocol.ts';
import type { OpsSnapshot } from '../../src/shared/ops-view.ts';
import { LiveClient, spawnGateway, type GatewayProcess } from './live-clients.ts';

const OPS = 'ops-token-two-gateways-test';

describe('two gateways', () => {
  let env: TestEnv;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let festivalId: string;
  let dealId: string;

  beforeAll(async () => {
    env = await createTestEnv();
    ({ festivalId, dealIds: [dealId] } = (await seedDeals(env.pool, [{ title: 'Shenzhen Earbuds', stock: 50, limit: 5, startsIn: -1_000 }])) as { festivalId: string; dealIds: [string] });
    await warmNow(env, [dealId!]);
    [a, b] = await Promise.all([spawnGateway(env, { OPS_TOKEN: OPS }), spawnGateway(env, { OPS_TOKEN: OPS })]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await env?.cleanup();
  });

  it('a grab on gateway A shows up on gateway B: snapshot, ticker, ops board', async () => {
    // a session from B names its city; the grabbing shopper's session comes from A's API
    const watcherSession = await (await fetch(`${b.url}/api/session`, { method: 'POST' })).json() as { token: string };
    const watcher = await LiveClient.open(b.wsUrl, watcherSession.token);
    watcher.keepLast = true;
    watcher.subscribe(festivalId);
    await waitFor(() => watcher.festivalMessages >= 1, 'B subscribed', 10_000);

    const res = await fetch(`${a.url}/api/session`, { method: 'POST', body: JSON.stringify({ city: 'lahore' }) });
    const session = await res.json() as { token: string; shopperId: string; city: string };
    expect(session.city).toBe('Lahore');
    const shopper = await ShopperSocket.open(a.wsUrl, session.token);
    shopper.send({ t: 'grab', deal: dealId, qty: 2, rid: 'r1' });
    const answer = await shopper.answerTo('r1');
    expect(answer.t).toBe('held');

    await waitFor(() => watcher.lastDeals?.includes(`"available":48`), 'the snapshot on B', 10_000);
    const snap = JSON.parse(watcher.lastDeals!) as { deals: { id: string; available: number; held: number }[] };
    expect(snap.deals[0]).toMatchObject({ id: dealId, available: 48, held: 2 });

    await waitFor(() => watcher.tickerItems.length > 0, 'a ticker item on B', 10_000);
    expect(watcher.tickerItems[0]).toMatchObject({ deal: dealId, title: 'Shenzhen Earbuds', city: 'Lahore', qty: 2 });
    // anonymised: no shopper id anywhere in the ticker frames
    for (const raw of watcher.tickerRaw) {
      expect(raw).not.toContain(session.shopperId);
      expect(raw).not.toContain('shopper');
    }

    // B's ops board sees A's grab and both gateways' heartbeats
    const ops = await waitFor(async () => {
      const r = await fetch(`${b.url}/api/ops/snapshot`, { headers: { authorization: `Bearer ${OPS}` } });
      const body = await r.json() as { snapshot: OpsSnapshot };
      const gws = body.snapshot.nodes.filter((n) => n.role === 'gateway' && !n.stale);
      return body.snapshot.festival?.orders === 1 && gws.length === 2 && body.snapshot.shoppers === 2 ? body.snapshot : null;
    }, 'ops board on B', 10_000);
    expect(ops.deals[0]).toMatchObject({ id: dealId, held: 2, orders: 1, grabs: 1 });
    expect(ops.shoppers).toBe(2);
    shopper.close();
    watcher.close();
  }, 60_000);

  it('a session without a known city gets one from the list', async () => {
    const s = await (await fetch(`${a.url}/api/session`, { method: 'POST', body: JSON.stringify({ city: 'Atlantis' }) })).json() as { city: string };
    expect(Cities as readonly string[]).toContain(s.city);
    const bad = await fetch(`${a.url}/api/session`, { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
  });
});
