// What the scheduler reads and writes in `deals`. Every state write is FENCED: it carries the
// leader's token and changes nothing once a newer leader has raised `scheduler_fence`.
import type pg from 'pg';
import type { DealStateValue } from '../shared/protocol.ts';
import { inTransaction } from './pool.ts';

type Queryable = pg.Pool | pg.PoolClient;

export interface ScheduledDeal {
  id: string;
  festivalId: string;
  stock: number;
  perShopperLimit: number;
  holdSeconds: number;
  /** epoch ms */
  startsAt: number;
  /** epoch ms */
  endsAt: number;
  dealPriceMinor: number;
  currency: string;
  state: DealStateValue;
  /** stock buckets asked for (null: STOCK_BUCKET_UNITS decides; stock/buckets.ts) */
  stockBuckets: number | null;
}

export interface FinalCounters {
  held: number;
  sold: number;
  available: number;
}

const DEAL_COLUMNS = `
  id::text AS id, festival_id::text AS festival_id, stock, per_shopper_limit, hold_seconds,
  floor(extract(epoch FROM starts_at) * 1000)::float8 AS starts_at,
  floor(extract(epoch FROM ends_at) * 1000)::float8 AS ends_at,
  deal_price_minor, currency, state, stock_buckets`;

interface DealRow {
  id: string;
  festival_id: string;
  stock: number;
  per_shopper_limit: number;
  hold_seconds: number;
  starts_at: number;
  ends_at: number;
  deal_price_minor: number;
  currency: string;
  state: DealStateValue;
  stock_buckets: number | null;
}

function toDeal(r: DealRow): ScheduledDeal {
  return {
    id: r.id, festivalId: r.festival_id, stock: r.stock, perShopperLimit: r.per_shopper_limit,
    holdSeconds: r.hold_seconds, startsAt: r.starts_at, endsAt: r.ends_at,
    dealPriceMinor: Number(r.deal_price_minor), currency: r.currency.trim(), state: r.state,
    stockBuckets: r.stock_buckets,
  };
}

/**
 * Deals the scheduler must act on: everything warming, live or sold out (they open or close
 * soon), plus scheduled deals that start before `horizonMs` (epoch ms, Redis clock) — which
 * also catches scheduled deals whose end has already passed while no scheduler ran.
 */
export async function listActionableDeals(db: Queryable, horizonMs: number): Promise<ScheduledDeal[]> {
  const { rows } = await db.query<DealRow>(
    `SELECT ${DEAL_COLUMNS} FROM deals
      WHERE state IN ('warming', 'live', 'sold_out')
         OR (state = 'scheduled' AND starts_at <= to_timestamp($1::float8 / 1000))
      ORDER BY starts_at, id`,
    [horizonMs]);
  return rows.map(toDeal);
}

export async function getDeal(db: Queryable, dealId: string): Promise<ScheduledDeal | null> {
  const { rows } = await db.query<DealRow>(`SELECT ${DEAL_COLUMNS} FROM deals WHERE id = $1`, [dealId]);
  return rows[0] ? toDeal(rows[0]) : null;
}

/**
 * Deals whose Redis state may still matter, whatever Redis remembers of them: open by Postgres
 * (live, sold out, or warming past its start: Redis opens a deal by its own clock), or ended or
 * stopped after `sinceMs` (epoch ms; their holds stay payable until they expire). Reconcile
 * reads them beside the warm set, which a failover or flush can lose with the deal.
 */
export async function listDealsInPlay(db: Queryable, nowMs: number, sinceMs: number): Promise<ScheduledDeal[]> {
  const { rows } = await db.query<DealRow>(
    `SELECT ${DEAL_COLUMNS} FROM deals
      WHERE state IN ('live', 'sold_out')
         OR (state = 'warming' AND starts_at <= to_timestamp($1::float8 / 1000))
         OR (state IN ('ended', 'stopped') AND ends_at > to_timestamp($2::float8 / 1000))
      ORDER BY id`,
    [nowMs, sinceMs]);
  return rows.map(toDeal);
}

/** Ended deals by id, with the counters written when they closed. */
export async function listEndedDeals(db: Queryable, dealIds: readonly string[]): Promise<Array<{ id: string; final: FinalCounters | null }>> {
  if (dealIds.length === 0) return [];
  const { rows } = await db.query<{ id: string; final_held: number | null; final_sold: number | null; final_available: number | null }>(
    `SELECT id::text AS id, final_held, final_sold, final_available FROM deals
      WHERE id = ANY($1::bigint[]) AND state = 'ended'`, [dealIds]);
  return rows.map((r) => ({
    id: r.id,
    final: r.final_held === null || r.final_sold === null || r.final_available === null
      ? null : { held: r.final_held, sold: r.final_sold, available: r.final_available },
  }));
}

export interface TransitionInput {
  dealId: string;
  from: readonly DealStateValue[];
  to: DealStateValue;
  /** the leader's fencing token */
  fence: number;
  /** epoch ms (Redis clock) */
  openedAt?: number;
  /** epoch ms (Redis clock) */
  closedAt?: number;
  final?: FinalCounters;
}

export type TransitionResult =
  | { ok: true; from: DealStateValue }
  /** fenced: a newer leader raised the fence; state: the deal is not in `from`; missing: no such deal */
  | { ok: false; reason: 'fenced' | 'state' | 'missing' };

/** Reads the fence under FOR SHARE: a new leader's fence raise waits for this transaction to
 *  end, so every fenced write is ordered wholly before or wholly after it. */
async function fenceAllows(client: pg.PoolClient, fence: number): Promise<boolean> {
  const { rows } = await client.query<{ token: number }>('SELECT token FROM scheduler_fence FOR SHARE');
  return rows[0] !== undefined && fence >= rows[0].token;
}

/**
 * Moves a deal from one of `from` to `to` and records a deal_events row, in one transaction,
 * only while `fence` is the newest token. Returns whether it happened.
 */
export async function transitionDeal(pool: pg.Pool, t: TransitionInput): Promise<TransitionResult> {
  // every early return below has written nothing yet, so its COMMIT undoes nothing a ROLLBACK would
  return inTransaction<TransitionResult>(pool, async (client) => {
    if (!(await fenceAllows(client, t.fence))) return { ok: false, reason: 'fenced' };
    const cur = await client.query<{ state: DealStateValue }>('SELECT state FROM deals WHERE id = $1 FOR UPDATE', [t.dealId]);
    const from = cur.rows[0]?.state;
    if (from === undefined || !t.from.includes(from)) return { ok: false, reason: from === undefined ? 'missing' : 'state' };
    const upd = await client.query(
      `UPDATE deals SET state = $2,
              opened_at = COALESCE(to_timestamp($4::float8 / 1000), opened_at),
              closed_at = COALESCE(to_timestamp($5::float8 / 1000), closed_at),
              final_held = COALESCE($6, final_held),
              final_sold = COALESCE($7, final_sold),
              final_available = COALESCE($8, final_available),
              updated_at = now()
        WHERE id = $1 AND state = ANY($3::text[])
          AND $9::bigint >= (SELECT token FROM scheduler_fence)
        RETURNING id`,
      [t.dealId, t.to, t.from, t.openedAt ?? null, t.closedAt ?? null,
        t.final?.held ?? null, t.final?.sold ?? null, t.final?.available ?? null, t.fence]);
    if (upd.rowCount !== 1) return { ok: false, reason: 'state' };
    await client.query(
      'INSERT INTO deal_events (deal_id, from_state, to_state, fence) VALUES ($1, $2, $3, $4)',
      [t.dealId, from, t.to, t.fence]);
    return { ok: true, from };
  });
}

/** Rewrites an ended deal's final counters (holds may expire after the close). Fenced. */
export async function refreshFinalCounters(pool: pg.Pool, dealId: string, fence: number, final: FinalCounters): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE deals SET final_held = $2, final_sold = $3, final_available = $4, updated_at = now()
      WHERE id = $1 AND state = 'ended'
        AND (final_held, final_sold, final_available) IS DISTINCT FROM ($2, $3, $4)
        AND $5::bigint >= (SELECT token FROM scheduler_fence)`,
    [dealId, final.held, final.sold, final.available, fence]);
  return rowCount === 1;
}
