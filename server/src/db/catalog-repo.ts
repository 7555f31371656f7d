// Read side of festivals and deals as shoppers see them. Counters here are the catalogue's;
// the gateway overlays live counters from Redis (see live/deal-feed.ts).
import type { Pool } from './pool.ts';
import type { DealStateValue, DealView, FestivalView, PaymentMethodValue } from '../shared/protocol.ts';

interface DealRow {
  id: number; festival_id: number; brand: string; title: string; description: string;
  image_url: string | null; list_price_minor: number; deal_price_minor: number; currency: string;
  stock: number; per_shopper_limit: number; hold_seconds: number; starts_at: Date; ends_at: Date;
  state: DealStateValue; final_held: number | null; final_sold: number | null; final_available: number | null;
  payment_methods: PaymentMethodValue[];
}

const DEAL_COLUMNS = `d.id, d.festival_id, b.name AS brand, d.title, d.description, d.image_url,
  d.list_price_minor, d.deal_price_minor, d.currency, d.stock, d.per_shopper_limit, d.hold_seconds,
  d.starts_at, d.ends_at, d.state, d.final_held, d.final_sold, d.final_available, d.payment_methods`;

function toDealView(r: DealRow): DealView {
  const held = r.final_held ?? 0;
  const sold = r.final_sold ?? 0;
  return {
    id: String(r.id), festivalId: String(r.festival_id), brand: r.brand, title: r.title,
    description: r.description, imageUrl: r.image_url,
    listPrice: { minor: r.list_price_minor, currency: r.currency },
    dealPrice: { minor: r.deal_price_minor, currency: r.currency },
    stock: r.stock, available: r.final_available ?? r.stock - held - sold, held, sold,
    limit: r.per_shopper_limit, holdSeconds: r.hold_seconds,
    startsAt: r.starts_at.getTime(), endsAt: r.ends_at.getTime(), state: r.state,
    paymentMethods: r.payment_methods,
  };
}

/** The festival a shopper lands on: the latest one running now, else the next to start. */
export async function currentFestivalId(pool: Pool): Promise<string | null> {
  const { rows } = await pool.query<{ id: number }>(
    `SELECT id FROM festivals WHERE ends_at > now()
     ORDER BY (starts_at <= now()) DESC,
              CASE WHEN starts_at <= now() THEN -extract(epoch FROM starts_at) ELSE extract(epoch FROM starts_at) END
     LIMIT 1`);
  return rows[0] ? String(rows[0].id) : null;
}

/** A festival with its visible deals (cancelled ones are hidden), or null. */
export async function loadFestival(pool: Pool, festivalId: string): Promise<Omit<FestivalView, 'serverTime'> | null> {
  const f = await pool.query<{ id: number; name: string; starts_at: Date; ends_at: Date }>(
    'SELECT id, name, starts_at, ends_at FROM festivals WHERE id = $1', [festivalId]);
  const row = f.rows[0];
  if (!row) return null;
  const d = await pool.query<DealRow>(
    `SELECT ${DEAL_COLUMNS} FROM deals d JOIN brands b ON b.id = d.brand_id
     WHERE d.festival_id = $1 AND d.state <> 'cancelled' ORDER BY d.starts_at, d.id`, [festivalId]);
  return {
    id: String(row.id), name: row.name, startsAt: row.starts_at.getTime(), endsAt: row.ends_at.getTime(),
    deals: d.rows.map(toDealView),
  };
}

export async function festivalIdOfDeal(pool: Pool, dealId: string): Promise<string | null> {
  const { rows } = await pool.query<{ festival_id: number }>('SELECT festival_id FROM deals WHERE id = $1', [dealId]);
  return rows[0] ? String(rows[0].festival_id) : null;
}
