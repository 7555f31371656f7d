// After a storm (three deals in two currencies, sell-outs, limits, local sold-out answers,
// payments) the ops aggregates equal, exactly, what Postgres and Redis hold and what the
// shoppers were told.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, seedDeals, warmNow, type RunningEngine } from '../helpers/engine.ts';
import { waitFor } from '../helpers/test-env.ts';
import { convertMinor } from '../../src/live/aggregates.ts';
import type { OpsSnapshot } from '../../src/shared/ops-view.ts';
import { runStorm, type StormResult } from './storm.ts';

const OPS = 'ops-token-for-the-aggregates-test';

async function opsSnapshot(url: string): Promise<{ snapshot: OpsSnapshot }> {
  const res = await fetch(`${url}/api/ops/snapshot`, { headers: { authorization: `Bearer ${OPS}` } });
  if (!res.ok) throw new Error(`ops snapshot: ${res.status}`);
  return (await res.json()) as { snapshot: OpsSnapshot };
}

describe('ops aggregates after a storm', () => {
  let engine: RunningEngine;
  let dealIds: string[];
  let storm: StormResult;

  beforeAll(async () => {
    engine = await startEngine({ OPS_TOKEN: OPS, RATE_LIMIT_BURST: '40', FX_RATES: 'PKR=0.0036,CNY=0.14' });
    ({ dealIds } = await seedDeals(engine.env.pool, [
      { title: 'Lawn suit', stock: 150, limit: 2, startsIn: -1_000, priceMinor: 249_900, currency: 'PKR' },
      { title: 'Earbuds', stock: 400, limit: 3, startsIn: -1_000, priceMinor: 12_900, currency: 'CNY' },
      { title: 'Kettle', stock: 5_000, limit: 3, startsIn: -1_000, priceMinor: 5_999, currency: 'PKR' },
    ]));
    await warmNow(engine.env, dealIds);
    storm = await runStorm({ wsUrl: engine.wsUrl, secret: engine.config.sessionSecret, dealIds, shoppers: 400, grabsEach: 6, payEvery: 3 });
  }, 120_000);

  afterAll(async () => {
    for (const s of storm?.sockets ?? []) s.close();
    await engine?.stop();
    await engine?.env.cleanup();
  });

  it('refuses the ops API without the token', async () => {
    expect((await fetch(`${engine.url}/api/ops/snapshot`)).status).toBe(401);
    expect((await fetch(`${engine.url}/api/ops/snapshot`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
  });

  it('per deal and per festival, equal to Postgres, Redis and the answers', async () => {
    const { pool, redis } = engine.env;
    const prefix = engine.config.keyPrefix;
    // the storm must have made every kind of answer this test compares
    const codes = new Set([...storm.perDeal.values()].flatMap((d) => [...d.results.keys()]));
    expect(codes).toEqual(new Set(['held', 'sold_out', 'limit_reached']));
    // workers have written every hold and settled every payment
    await waitFor(async () => {
      const { rows } = await pool.query<{ n: number; paid: number }>(`SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'paid')::int AS paid FROM orders`);
      return rows[0]!.n === storm.holds.length && rows[0]!.paid === storm.paid.length;
    }, 'orders written and paid', 30_000);

    const { rows: pg } = await pool.query<{ deal_id: string; orders: number; paid_units: number; pending_units: number; gmv: string; currency: string }>(
      `SELECT deal_id::text, count(*)::int AS orders, coalesce(sum(qty) FILTER (WHERE status = 'paid'), 0)::int AS paid_units,
              coalesce(sum(qty) FILTER (WHERE status = 'pending'), 0)::int AS pending_units,
              coalesce(sum(qty * unit_price_minor) FILTER (WHERE status = 'paid'), 0)::text AS gmv, min(currency) AS currency
       FROM orders GROUP BY deal_id`);
    const byDeal = new Map(pg.map((r) => [r.deal_id, r]));

    // the counters the board reads are refreshed every LIVE_SNAPSHOT_MS; wait for the last grab
    const totalSent = storm.holds.length === 0 ? 0 : [...storm.perDeal.values()].reduce((n, d) => n + d.sent, 0);
    const { snapshot } = await waitFor(async () => {
      const s = await opsSnapshot(engine.url);
      const grabs = s.snapshot.deals.reduce((n, d) => n + d.grabs, 0);
      const sold = s.snapshot.deals.reduce((n, d) => n + d.sold, 0);
      return grabs === totalSent && sold === storm.paid.reduce((n, p) => n + p.qty, 0) ? s : null;
    }, 'board to catch up', 10_000);

    const f = snapshot.festival!;
    expect(f.displayCurrency).toBe('USD');
    let gmvDisplay = 0;
    for (const id of dealIds) {
      const d = snapshot.deals.find((x) => x.id === id)!;
      const row = byDeal.get(id)!;
      const seen = storm.perDeal.get(id)!;
      const h = await redis.hgetall(`${prefix}:{d:${id}}:deal`);
      // Postgres: orders, paid units, pending units, paid GMV
      expect(d.orders).toBe(row.orders);
      expect(d.sold).toBe(row.paid_units);
      expect(d.held).toBe(row.pending_units);
      expect(d.gmvMinor).toBe(Number(row.gmv));
      expect(d.price.currency).toBe(row.currency.trim());
      expect(d.heldValueMinor).toBe(row.pending_units * d.price.minor);
      // Redis: the deal hash, field by field
      expect([d.available, d.held, d.sold, d.orders, d.grabs]).toEqual([h.available, h.held, h.sold, h.seq, h.grabs].map(Number));
      expect(d.available + d.held + d.sold).toBe(d.stock);
      // the shoppers: every answer, by result (local sold-out answers included)
      expect(d.grabs).toBe(seen.sent);
      expect(d.orders).toBe(seen.results.get('held') ?? 0);
      expect(d.rejections.sold_out ?? 0).toBe(seen.results.get('sold_out') ?? 0);
      expect(d.rejections.limit_reached ?? 0).toBe(seen.results.get('limit_reached') ?? 0);
      expect(d.sellThrough).toBeCloseTo((d.sold + d.held) / d.stock, 10);
      gmvDisplay += convertMinor(d.gmvMinor, d.price.currency, 'USD', engine.config.fxRates);
    }
    // festival totals: GMV per currency = Postgres grouped by currency; converted total
    const { rows: perCur } = await pool.query<{ currency: string; gmv: string }>(
      `SELECT currency, sum(qty * unit_price_minor)::text AS gmv FROM orders WHERE status = 'paid' GROUP BY currency ORDER BY 1`);
    expect(Object.fromEntries(f.gmv.map((m) => [m.currency, m.minor]))).toEqual(Object.fromEntries(perCur.map((r) => [r.currency.trim(), Number(r.gmv)])));
    expect(f.gmvDisplay).toEqual({ currency: 'USD', minor: gmvDisplay });
    expect(gmvDisplay).toBeGreaterThan(0);
    expect(f.orders).toBe(storm.holds.length);
    expect(f.unitsSold).toBe(storm.paid.reduce((n, p) => n + p.qty, 0));
    expect(f.grabs).toBe(totalSent);
    expect(f.topDeals.length).toBe(3);
    // nodes: this engine (role all) beats, and the board counts its sockets
    expect(snapshot.nodes.some((n) => n.role === 'all' && !n.stale)).toBe(true);
    expect(snapshot.shoppers).toBe(storm.sockets.length);
    expect(snapshot.queues?.orders.failed).toBe(0);
  }, 60_000);
});
