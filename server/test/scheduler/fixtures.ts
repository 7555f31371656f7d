// Rows the scheduler tests need, inserted with plain SQL (the brand API is not under test).
import type { RedisClient } from '../../src/redis.ts';
import type { Pool } from '../../src/db/pool.ts';
import { redisNow } from '../../src/redis.ts';

export interface DealFixture {
  startsAt: number;
  endsAt: number;
  stock?: number;
  limit?: number;
  holdSeconds?: number;
  priceMinor?: number;
}

let seq = 0;

export async function insertDeal(pool: Pool, d: DealFixture): Promise<{ dealId: string; festivalId: string }> {
  seq++;
  const brand = await pool.query<{ id: number }>(
    'INSERT INTO brands (name) VALUES ($1) RETURNING id', [`brand-${process.pid}-${seq}-${Math.random()}`]);
  const festival = await pool.query<{ id: string }>(
    `INSERT INTO festivals (name, starts_at, ends_at)
     VALUES ('11.11', to_timestamp($1::float8 / 1000), to_timestamp($2::float8 / 1000)) RETURNING id::text`,
    [d.startsAt - 3_600_000, d.endsAt + 3_600_000]);
  const stock = d.stock ?? 10;
  const deal = await pool.query<{ id: string }>(
    `INSERT INTO deals (festival_id, brand_id, title, list_price_minor, deal_price_minor, currency, stock,
                        per_shopper_limit, hold_seconds, starts_at, ends_at)
     VALUES ($1, $2, 'Test deal', 200000, $3, 'PKR', $4, $5, $6,
             to_timestamp($7::float8 / 1000), to_timestamp($8::float8 / 1000)) RETURNING id::text`,
    [festival.rows[0]!.id, brand.rows[0]!.id, d.priceMinor ?? 99_900, stock, d.limit ?? Math.min(2, stock),
      d.holdSeconds ?? 60, d.startsAt, d.endsAt]);
  return { dealId: deal.rows[0]!.id, festivalId: festival.rows[0]!.id };
}

export async function dealRow(pool: Pool, dealId: string) {
  const { rows } = await pool.query<{
    state: string; opened_ms: number | null; closed_ms: number | null; starts_ms: number; ends_ms: number;
    final_held: number | null; final_sold: number | null; final_available: number | null;
  }>(
    `SELECT state,
            (extract(epoch FROM opened_at) * 1000)::float8 AS opened_ms,
            (extract(epoch FROM closed_at) * 1000)::float8 AS closed_ms,
            (extract(epoch FROM starts_at) * 1000)::float8 AS starts_ms,
            (extract(epoch FROM ends_at) * 1000)::float8 AS ends_ms,
            final_held, final_sold, final_available
       FROM deals WHERE id = $1`, [dealId]);
  return rows[0]!;
}

export async function dealEvents(pool: Pool, dealId: string) {
  const { rows } = await pool.query<{ from_state: string; to_state: string; fence: number }>(
    'SELECT from_state, to_state, fence FROM deal_events WHERE deal_id = $1 ORDER BY id', [dealId]);
  return rows;
}

/** Redis time minus local time, from the sample with the smallest round trip: tests judge
 *  openings by the clock the engine uses. */
export async function redisOffset(redis: RedisClient, samples = 5): Promise<number> {
  let bestRtt = Infinity;
  let offset = 0;
  for (let i = 0; i < samples; i++) {
    const t0 = Date.now();
    const server = await redisNow(redis);
    const rtt = Date.now() - t0;
    if (rtt < bestRtt) { bestRtt = rtt; offset = server - (t0 + rtt / 2); }
  }
  return offset;
}
