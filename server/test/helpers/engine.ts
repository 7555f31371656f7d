// Starts a real engine in the test process (gateway + worker + scheduler by default) on port 0,
// inside the test's own Redis prefix and Postgres schema.
import { createTestEnv, type TestEnv } from './test-env.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/logger.ts';
import { start } from '../../src/main.ts';
import { inTransaction, type Pool } from '../../src/db/pool.ts';
import type { PoolClient } from 'pg';

export interface RunningEngine {
  env: TestEnv;
  config: Readonly<Config>;
  port: number;
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
}

export async function startEngine(overrides: Record<string, string> = {}): Promise<RunningEngine> {
  const env = await createTestEnv(overrides);
  return startEngineIn(env, overrides);
}

/** Another engine process-part (e.g. a second gateway) in an existing test namespace. */
export async function startEngineIn(env: TestEnv, overrides: Record<string, string> = {}): Promise<RunningEngine> {
  const config = loadConfig({ ...env.env, ...overrides });
  const running = await start(config, createLogger(config.logLevel, { test: true }));
  const port = running.port ?? 0;
  return {
    env, config, port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    stop: () => running.stop(),
  };
}

export interface DealSpec {
  title?: string;
  stock: number;
  limit: number;
  /** ms from now; negative = already open */
  startsIn: number;
  durationMs?: number;
  holdSeconds?: number;
  priceMinor?: number;
  currency?: string;
  imageUrl?: string;
  /** default: the column's default, wallet and card */
  paymentMethods?: string[];
}

/** Inserts a brand, a festival and deals straight into Postgres, in one transaction: a running
 *  engine (its scheduler opening the first deal, a gateway reloading the festival) never reads
 *  the festival with only some of its deals. Returns the ids. */
export function seedDeals(pool: Pool, deals: DealSpec[], festivalName = 'Test Festival'): Promise<{ festivalId: string; dealIds: string[] }> {
  return inTransaction(pool, (db) => insertDeals(db, deals, festivalName));
}

async function insertDeals(pool: PoolClient, deals: DealSpec[], festivalName: string): Promise<{ festivalId: string; dealIds: string[] }> {
  const brand = await pool.query<{ id: number }>(
    `INSERT INTO brands (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`, ['Test Brand']);
  const now = Date.now();
  const fest = await pool.query<{ id: number }>(
    `INSERT INTO festivals (name, starts_at, ends_at) VALUES ($1, to_timestamp($2 / 1000.0), to_timestamp($3 / 1000.0)) RETURNING id`,
    [festivalName, now - 60_000, now + 3_600_000]);
  const festivalId = fest.rows[0]!.id;
  const dealIds: string[] = [];
  for (const [i, d] of deals.entries()) {
    const starts = now + d.startsIn;
    const price = d.priceMinor ?? 99_900;
    const r = await pool.query<{ id: number }>(
      `INSERT INTO deals (festival_id, brand_id, title, list_price_minor, deal_price_minor, currency, stock,
         per_shopper_limit, hold_seconds, starts_at, ends_at, image_url, payment_methods)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9, to_timestamp($10 / 1000.0), to_timestamp($11 / 1000.0), $12,
               COALESCE($13::text[], '{wallet,card}')) RETURNING id`,
      [festivalId, brand.rows[0]!.id, d.title ?? `Deal ${i + 1}`, price * 2, price, d.currency ?? 'PKR', d.stock,
        d.limit, d.holdSeconds ?? 120, starts, starts + (d.durationMs ?? 600_000), d.imageUrl ?? null,
        d.paymentMethods ?? null]);
    dealIds.push(String(r.rows[0]!.id));
  }
  return { festivalId: String(festivalId), dealIds };
}

export async function newSession(url: string): Promise<{ token: string; shopperId: string; expiresAt: number }> {
  const res = await fetch(`${url}/api/session`, { method: 'POST' });
  if (!res.ok) throw new Error(`session: ${res.status}`);
  return (await res.json()) as { token: string; shopperId: string; expiresAt: number };
}

/** Loads deals into Redis now (what the scheduler's pre-warm does), so a test need not wait. */
export async function warmNow(env: TestEnv, dealIds: string[]): Promise<void> {
  const { StockStore } = await import('../../src/stock/stock-store.ts');
  const stock = new StockStore(env.redis, env.config.keyPrefix);
  for (const id of dealIds) {
    const { rows } = await env.pool.query<{
      festival_id: number; stock: number; per_shopper_limit: number; hold_seconds: number;
      starts_at: Date; ends_at: Date; deal_price_minor: number; currency: string;
    }>('SELECT * FROM deals WHERE id = $1', [id]);
    const d = rows[0]!;
    await stock.warmDeal({
      id, festivalId: String(d.festival_id), stock: d.stock, limit: d.per_shopper_limit, holdSeconds: d.hold_seconds,
      startsAt: d.starts_at.getTime(), endsAt: d.ends_at.getTime(), unitPriceMinor: d.deal_price_minor,
      currency: d.currency, status: 'open',
    });
  }
}
