// Deals for admission tests: a row in Postgres (orders reference it) and the same deal warmed
// into Redis, open now; plus holds grabbed through the real Lua.
import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { ExpiryBatchJob, ExpiryJob, OrderJob } from '../../src/admission/queues.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import type { TestEnv } from '../helpers/test-env.ts';

export interface TestDeal {
  dealId: string;
  stockTotal: number;
  unitPriceMinor: number;
  currency: string;
}

export async function createDeal(env: TestEnv, stock: StockStore,
  opts: { stock: number; limit?: number; holdSeconds: number; unitPriceMinor?: number }): Promise<TestDeal> {
  const unitPriceMinor = opts.unitPriceMinor ?? 49_900;
  const currency = 'PKR';
  const limit = opts.limit ?? 5;
  const now = Date.now();
  const { rows: [brand] } = await env.pool.query<{ id: number }>(
    'INSERT INTO brands (name) VALUES ($1) RETURNING id', [`brand-${randomBytes(4).toString('hex')}`]);
  const { rows: [fest] } = await env.pool.query<{ id: number }>(
    `INSERT INTO festivals (name, starts_at, ends_at) VALUES ('11.11', now() - interval '1 hour', now() + interval '1 day')
     RETURNING id`);
  // Postgres keeps hold_seconds >= 5; Redis, which is what times a hold, may get less so that
  // expiry tests do not sleep.
  const { rows: [deal] } = await env.pool.query<{ id: number }>(
    `INSERT INTO deals (festival_id, brand_id, title, list_price_minor, deal_price_minor, currency, stock,
                        per_shopper_limit, hold_seconds, starts_at, ends_at, state)
     VALUES ($1, $2, 'Earbuds', $3, $4, $5, $6, $7, $8, now() - interval '1 minute', now() + interval '1 hour', 'live')
     RETURNING id`,
    [fest!.id, brand!.id, unitPriceMinor * 2, unitPriceMinor, currency, opts.stock, limit, Math.max(5, opts.holdSeconds)]);
  const dealId = String(deal!.id);
  await stock.warmDeal({
    id: dealId, festivalId: String(fest!.id), stock: opts.stock, limit, holdSeconds: opts.holdSeconds,
    startsAt: now - 60_000, endsAt: now + 3_600_000, unitPriceMinor, currency, status: 'open',
  });
  return { dealId, stockTotal: opts.stock, unitPriceMinor, currency };
}

/** Grab `n` holds of `qty` each, one per shopper `<tag>-<i>`, in Lua batches of 500. */
export async function grabHolds(stock: StockStore, deal: TestDeal, n: number, qty = 1, tag = 's'): Promise<OrderJob[]> {
  const jobs: OrderJob[] = [];
  for (let start = 0; start < n; start += 500) {
    const grabs = Array.from({ length: Math.min(500, n - start) }, (_, i) => ({
      shopper: `${tag}-${start + i}`, qty, rid: `r-${start + i}`,
    }));
    const res = await stock.grabBatch(deal.dealId, grabs);
    res.decisions.forEach((d, i) => {
      if (!d.ok) throw new Error(`grab ${i} refused: ${d.code}`);
      jobs.push({
        hold: d.hold, dealId: deal.dealId, shopper: grabs[i]!.shopper, qty: d.qty,
        unitPriceMinor: deal.unitPriceMinor, currency: deal.currency, heldAt: res.now, expiresAt: d.expiresAt,
      });
    });
  }
  return jobs;
}

export async function count(env: TestEnv, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await env.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params);
  return rows[0]!.n;
}

/** Holds covered by delayed expiry jobs (one job holds one hold or a batch of them), and how
 *  many jobs cover each: every admitted hold must be covered exactly once. */
export async function delayedExpiryCoverage(queue: Queue<ExpiryJob | ExpiryBatchJob>): Promise<Map<string, number>> {
  const covered = new Map<string, number>();
  for (const job of await queue.getJobs(['delayed'], 0, -1)) {
    const holds = 'holds' in job.data ? job.data.holds : [job.data.hold];
    for (const h of holds) covered.set(h, (covered.get(h) ?? 0) + 1);
  }
  return covered;
}
