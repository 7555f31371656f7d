// The shopper simulator against a real engine: its shoppers grab two deals (one open, one
// opening during the run), pay for some holds and let others expire; what it reports is what
// Redis and Postgres hold, and the stock is never oversold.
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateShoppers } from '../../../scripts/simulate-shoppers.ts';
import { seedDeals, startEngine, warmNow, type RunningEngine } from '../helpers/engine.ts';
import { waitFor } from '../helpers/test-env.ts';

describe('scripts/simulate-shoppers', () => {
  let engine: RunningEngine;
  let dealIds: string[];

  beforeAll(async () => {
    engine = await startEngine();
    ({ dealIds } = await seedDeals(engine.env.pool, [
      { title: 'Open now', stock: 4, limit: 1, startsIn: -1_000, holdSeconds: 5 },
      { title: 'Opens in 1.5 s', stock: 3, limit: 1, startsIn: 1_500, holdSeconds: 5 },
    ]));
    await warmNow(engine.env, dealIds);
  });

  afterAll(async () => {
    await engine?.stop();
    await engine?.env.cleanup();
  });

  it('sells each deal out exactly, and its paid and expired holds match Postgres', async () => {
    const lines: string[] = [];
    const r = await simulateShoppers({
      url: engine.url, sessionSecret: engine.config.sessionSecret, shoppers: 20, seconds: 9,
      want: 1, pay: 0.5, thinkMs: [100, 400], reactionMs: [0, 300], seed: 7, reportEveryMs: 2_000,
      log: (l) => lines.push(l),
    });
    expect(r.connected).toBe(20);
    // every shopper wanted both deals: both sell out, not one unit more
    expect(r.heldUnits).toEqual({ [dealIds[0]!]: 4, [dealIds[1]!]: 3 });
    expect(r.holds).toBe(7);
    expect(Object.keys(r.refused).every((c) => c === 'sold_out' || c === 'not_open')).toBe(true);
    expect(r.refused.sold_out).toBeGreaterThan(0);
    expect(r.grabs).toBe(r.holds + Object.values(r.refused).reduce((a, b) => a + b, 0));
    expect(r.paid).toBeGreaterThan(0);
    // holds last 5 s and the run 9 s: the unpaid ones have expired (and the shopper was told)
    expect(r.expired).toBeGreaterThan(0);
    expect(r.paid + r.expired + r.open + Object.values(r.payRefused).reduce((a, b) => a + b, 0)).toBe(r.holds);
    expect(lines[0]).toMatch(/simulating 20 shoppers on "Test Festival" \(2 deals\)/);
    expect(lines.some((l) => /20 connected, \d+ grabs, 7 units held/.test(l))).toBe(true);

    const byStatus = async () => {
      const { rows } = await engine.env.pool.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM orders WHERE deal_id = ANY($1::bigint[]) GROUP BY status', [dealIds]);
      return Object.fromEntries(rows.map((x) => [x.status, x.n])) as Record<string, number>;
    };
    await waitFor(async () => (await byStatus()).paid === r.paid, `${r.paid} paid orders`);
    const s = await byStatus();
    expect((s.paid ?? 0) + (s.pending ?? 0) + (s.cancelled ?? 0)).toBe(7);
    // an expiry the simulator was told about has cancelled its order
    expect(s.cancelled ?? 0).toBeGreaterThanOrEqual(r.expired);
  });

  it('says so when no engine answers at the address', async () => {
    // a port that was free a moment ago: nothing listens there
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    await new Promise((r) => srv.close(r));
    await expect(simulateShoppers({
      url: `http://127.0.0.1:${port}`, sessionSecret: engine.config.sessionSecret, shoppers: 1, seconds: 1, want: 1, pay: 0,
    })).rejects.toThrow(new RegExp(`no engine answers at http://127.0.0.1:${port} \\(.*ECONNREFUSED`));
  });
});
