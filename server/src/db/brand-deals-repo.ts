// A brand's side of `deals` and `festivals`. Every query is scoped by brand_id: a deal of
// another brand is indistinguishable from a missing one. State writes here are not the
// scheduler's (those are fenced): they are conditional UPDATEs (`state = ANY(...)`), so a brand's
// cancel or stop and the scheduler's transitions can never combine into an invalid state.
import type pg from 'pg';
import type { DealStateValue, PaymentMethodValue } from '../shared/protocol.ts';
import type { BrandFestival, ValidDeal } from '../shared/brand-api.ts';

type Queryable = pg.Pool | pg.PoolClient;

export interface StoredDeal extends ValidDeal {
  id: string;
  brandId: string;
  state: DealStateValue;
  final: { held: number; sold: number; available: number } | null;
  createdAt: number;
  updatedAt: number;
}

const ms = (col: string) => `floor(extract(epoch FROM ${col}) * 1000)::float8`;
const COLUMNS = `id, brand_id, festival_id, title, description, image_url, list_price_minor, deal_price_minor,
  currency, stock, per_shopper_limit, hold_seconds, ${ms('starts_at')} AS starts_at, ${ms('ends_at')} AS ends_at,
  state, final_held, final_sold, final_available, stock_buckets, payment_methods, ${ms('created_at')} AS created_at, ${ms('updated_at')} AS updated_at`;

interface Row {
  id: number; brand_id: number; festival_id: number; title: string; description: string; image_url: string | null;
  list_price_minor: number; deal_price_minor: number; currency: string; stock: number; per_shopper_limit: number;
  hold_seconds: number; starts_at: number; ends_at: number; state: DealStateValue;
  final_held: number | null; final_sold: number | null; final_available: number | null; stock_buckets: number | null;
  payment_methods: PaymentMethodValue[]; created_at: number; updated_at: number;
}

function toDeal(r: Row): StoredDeal {
  return {
    id: String(r.id), brandId: String(r.brand_id), festivalId: String(r.festival_id), title: r.title,
    description: r.description, imageUrl: r.image_url, listPriceMinor: r.list_price_minor,
    dealPriceMinor: r.deal_price_minor, currency: r.currency.trim(), stock: r.stock, limit: r.per_shopper_limit,
    holdSeconds: r.hold_seconds, startsAt: r.starts_at, endsAt: r.ends_at, state: r.state, stockBuckets: r.stock_buckets,
    paymentMethods: r.payment_methods,
    final: r.final_held === null || r.final_sold === null || r.final_available === null
      ? null : { held: r.final_held, sold: r.final_sold, available: r.final_available },
    createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

/** Festivals a brand may join: those whose window has not ended at `now` (epoch ms). */
export async function listOpenFestivals(db: Queryable, now: number): Promise<BrandFestival[]> {
  const { rows } = await db.query<{ id: number; name: string; starts_at: number; ends_at: number }>(
    `SELECT id, name, ${ms('starts_at')} AS starts_at, ${ms('ends_at')} AS ends_at FROM festivals
      WHERE ends_at > to_timestamp($1::float8 / 1000) ORDER BY starts_at, id`, [now]);
  return rows.map((r) => ({ id: String(r.id), name: r.name, startsAt: r.starts_at, endsAt: r.ends_at }));
}

export async function createFestival(db: Queryable, f: { name: string; startsAt: number; endsAt: number; displayCurrency?: string }): Promise<string> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO festivals (name, starts_at, ends_at, display_currency)
     VALUES ($1, to_timestamp($2::float8 / 1000), to_timestamp($3::float8 / 1000), $4) RETURNING id`,
    [f.name, f.startsAt, f.endsAt, f.displayCurrency ?? 'USD']);
  return String(rows[0]!.id);
}

export async function listBrandDeals(db: Queryable, brandId: string, festivalId?: string): Promise<StoredDeal[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM deals WHERE brand_id = $1 AND ($2::bigint IS NULL OR festival_id = $2::bigint)
      ORDER BY starts_at, id`, [brandId, festivalId ?? null]);
  return rows.map(toDeal);
}

export async function getBrandDeal(db: Queryable, brandId: string, dealId: string, forUpdate = false): Promise<StoredDeal | null> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM deals WHERE id = $1 AND brand_id = $2${forUpdate ? ' FOR UPDATE' : ''}`, [dealId, brandId]);
  return rows[0] ? toDeal(rows[0]) : null;
}

export async function insertDeal(db: Queryable, brandId: string, d: ValidDeal): Promise<StoredDeal> {
  const { rows } = await db.query<Row>(
    `INSERT INTO deals (festival_id, brand_id, title, description, image_url, list_price_minor, deal_price_minor,
       currency, stock, per_shopper_limit, hold_seconds, starts_at, ends_at, stock_buckets, payment_methods)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11, to_timestamp($12::float8 / 1000), to_timestamp($13::float8 / 1000), $14, $15)
     RETURNING ${COLUMNS}`,
    [d.festivalId, brandId, d.title, d.description, d.imageUrl, d.listPriceMinor, d.dealPriceMinor, d.currency,
      d.stock, d.limit, d.holdSeconds, d.startsAt, d.endsAt, d.stockBuckets, d.paymentMethods]);
  return toDeal(rows[0]!);
}

/**
 * Rewrites a deal's terms only while it is `scheduled` and starts after `lockedFrom` (epoch ms:
 * the scheduler warms deals before they start). Null when either no longer holds.
 */
export async function updateScheduledDeal(db: Queryable, brandId: string, dealId: string, d: ValidDeal, lockedFrom: number): Promise<StoredDeal | null> {
  const { rows } = await db.query<Row>(
    `UPDATE deals SET festival_id = $3, title = $4, description = $5, image_url = $6, list_price_minor = $7,
       deal_price_minor = $8, currency = $9, stock = $10, per_shopper_limit = $11, hold_seconds = $12,
       starts_at = to_timestamp($13::float8 / 1000), ends_at = to_timestamp($14::float8 / 1000), stock_buckets = $16,
       payment_methods = $17, updated_at = now()
     WHERE id = $1 AND brand_id = $2 AND state = 'scheduled' AND starts_at > to_timestamp($15::float8 / 1000)
     RETURNING ${COLUMNS}`,
    [dealId, brandId, d.festivalId, d.title, d.description, d.imageUrl, d.listPriceMinor, d.dealPriceMinor,
      d.currency, d.stock, d.limit, d.holdSeconds, d.startsAt, d.endsAt, lockedFrom, d.stockBuckets, d.paymentMethods]);
  return rows[0] ? toDeal(rows[0]) : null;
}

/**
 * Sets only a deal's payment methods, while its state is one of `states` (they touch no stock,
 * so they may change after the other terms locked). Null when the state no longer allows it.
 */
export async function updateDealPaymentMethods(db: Queryable, brandId: string, dealId: string, methods: readonly PaymentMethodValue[], states: readonly DealStateValue[]): Promise<StoredDeal | null> {
  const { rows } = await db.query<Row>(
    `UPDATE deals SET payment_methods = $3, updated_at = now()
     WHERE id = $1 AND brand_id = $2 AND state = ANY($4::text[])
     RETURNING ${COLUMNS}`, [dealId, brandId, methods, states]);
  return rows[0] ? toDeal(rows[0]) : null;
}

export interface StateChange {
  from: readonly DealStateValue[];
  to: DealStateValue;
  /** only if the deal starts after this (epoch ms) */
  startsAfter?: number;
  final?: { held: number; sold: number; available: number };
}

/** Conditional state write plus its deal_events row (fence NULL: not the scheduler's). */
export async function changeDealState(db: pg.PoolClient, brandId: string, dealId: string, c: StateChange): Promise<{ before: StoredDeal; after: StoredDeal } | null> {
  const before = await getBrandDeal(db, brandId, dealId, true);
  if (!before) return null;
  const { rows } = await db.query<Row>(
    `UPDATE deals SET state = $3::text, updated_at = now(),
       closed_at = CASE WHEN $3::text IN ('stopped', 'cancelled') THEN now() ELSE closed_at END,
       final_held = COALESCE($6, final_held), final_sold = COALESCE($7, final_sold),
       final_available = COALESCE($8, final_available)
     WHERE id = $1 AND brand_id = $2 AND state = ANY($4::text[])
       AND ($5::float8 IS NULL OR starts_at > to_timestamp($5::float8 / 1000))
     RETURNING ${COLUMNS}`,
    [dealId, brandId, c.to, c.from, c.startsAfter ?? null, c.final?.held ?? null, c.final?.sold ?? null, c.final?.available ?? null]);
  if (!rows[0]) return null;
  await db.query('INSERT INTO deal_events (deal_id, from_state, to_state, fence) VALUES ($1, $2, $3, NULL)', [dealId, before.state, c.to]);
  return { before, after: toDeal(rows[0]) };
}

export interface AuditEntry {
  brandId: string;
  keyId: string | null;
  action: string;
  dealId: string | null;
  before: unknown;
  after: unknown;
}

export async function insertAudit(db: Queryable, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.query(
    `INSERT INTO brand_audit (brand_id, key_id, action, deal_id, before, after)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::jsonb[], $6::jsonb[])`,
    [entries.map((e) => e.brandId), entries.map((e) => e.keyId), entries.map((e) => e.action),
      entries.map((e) => e.dealId), entries.map((e) => (e.before === null ? null : JSON.stringify(e.before))),
      entries.map((e) => (e.after === null ? null : JSON.stringify(e.after)))]);
}

export { inTransaction } from './pool.ts';
