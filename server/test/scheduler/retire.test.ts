// Reconcile retires an ended deal from the warm set once nothing is left to do for it, so the
// set (and every reconcile run) does not grow with every deal ever sold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { seedDeals } from '../helpers/engine.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { warmDealsKey } from '../../src/stock/keys.ts';
import { reconcile } from '../../src/scheduler/reconcile.ts';

let env: TestEnv;
let stock: StockStore;

beforeAll(async () => {
  env = await createTestEnv();
  stock = new StockStore(env.redis, env.config.keyPrefix);
});
afterAll(async () => env?.cleanup());

/** A deal with one paid and one expired hold, then ended; orders as given. */
async function endedDeal(orderStatuses: { paid: string; expired: string }): Promise<string> {
  const dealId = (await seedDeals(env.pool, [{ stock: 5, limit: 2, startsIn: -10_000, durationMs: 60_000 }])).dealIds[0]!;
  const now = Date.now();
  const base = { id: dealId, festivalId: '1', stock: 5, limit: 2, holdSeconds: 60, startsAt: now - 10_000,
    unitPriceMinor: 99_900, currency: 'PKR', status: 'open' as const };
  await stock.warmDeal({ ...base, endsAt: now + 60_000 });
  const [a, b] = (await stock.grabBatch(dealId, [{ shopper: 'a', qty: 1, rid: '1' }, { shopper: 'b', qty: 1, rid: '1' }])).decisions
    .map((d) => (d.ok ? d.hold : ''));
  await stock.confirmPayment(a!, 'a');
  await stock.releaseExpiredHold(b!, true);
  await stock.warmDeal({ ...base, endsAt: now - 1_000 }); // the deal has ended
  for (const [hold, shopper, status] of [[a, 'a', orderStatuses.paid], [b, 'b', orderStatuses.expired]] as const) {
    await env.pool.query(
      `INSERT INTO orders (hold_id, deal_id, shopper_id, qty, unit_price_minor, currency, status, held_at, expires_at)
       VALUES ($1, $2, $3, 1, 99900, 'PKR', $4, now(), now())`, [hold, dealId, shopper, status]);
    // and the ledger move the engine writes with each ended order (reconcile checks they balance)
    const reasons = status === 'paid' ? ['sale'] : status === 'cancelled' ? ['release'] : [];
    await env.pool.query(`INSERT INTO stock_moves (deal_id, hold_id, reason, qty) SELECT $1, $2, r, 1 FROM unnest($3::text[]) AS r`,
      [dealId, hold, reasons]);
  }
  return dealId;
}

const warm = (dealId: string) => env.redis.sismember(warmDealsKey(env.config.keyPrefix), dealId);
const run = (fence?: number) => reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, fence, retireAfterMs: 0, admitGraceMs: 60_000 });

describe('retiring ended deals', () => {
  it('retires a settled ended deal (leader only), keeping its keys', async () => {
    const dealId = await endedDeal({ paid: 'paid', expired: 'cancelled' });
    expect((await run()).retired).toBe(0); // the CLI (no fence) never retires
    expect(await warm(dealId)).toBe(1);
    const report = await run(1);
    expect(report.retired).toBe(1);
    expect(report.violations).toBe(0);
    expect(await warm(dealId)).toBe(0);
    expect(await stock.readDeal(dealId)).toMatchObject({ sold: 1, held: 0, available: 4 });
  });

  it('keeps a deal whose orders are not final yet', async () => {
    const dealId = await endedDeal({ paid: 'pending', expired: 'cancelled' });
    expect((await run(1)).retired).toBe(0);
    expect(await warm(dealId)).toBe(1);
  });
});
