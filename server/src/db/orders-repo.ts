// Orders, payments and the stock ledger: every SQL statement about them lives here. Writes are
// idempotent by hold id (PK / UNIQUE + ON CONFLICT), because every caller is a job that may
// run twice. Batch writes pass one array per column to `unnest`: one statement for N rows.
import type pg from 'pg';
import type { OrderStatus, OrderView, PaymentMethodValue } from '../shared/protocol.ts';
import { orderNumber } from '../shared/order-number.ts';

type Db = pg.Pool | pg.PoolClient;

export type { OrderStatus };
/** The reasons of the stock ledger's entries. A 'hold' entry is the order row itself (the
 *  stock_ledger view, migration 010); the moves out of a hold are rows of stock_moves. */
export type LedgerReason = 'hold' | MoveReason;
export type MoveReason = 'release' | 'sale';

/** One order as written: a hold and its price. Times are epoch ms (Redis clock). */
export interface OrderRow {
  hold: string;
  dealId: string;
  shopper: string;
  qty: number;
  unitPriceMinor: number;
  currency: string;
  heldAt: number;
  expiresAt: number;
}

export { inTransaction } from './pool.ts';

// float8, not numeric: the division is exact to the ms either way (epoch ms < 2^53), and a
// numeric reaches to_timestamp through its text form, per row
const ms = (col: string) => `to_timestamp(${col} / 1000::float8)`;

/** Orders have no per-row foreign key to deals (migration 003: its RI trigger looked the deal
 *  up again for every row of a batch that mostly shares one). This is the check in its place,
 *  once per statement instead of once per row: every deal of the rows exists, and is locked FOR
 *  KEY SHARE (what the FK trigger took) so that it cannot go away before the transaction
 *  commits; after that the deals_keep_referenced trigger refuses to delete a deal that has
 *  orders. Call it inside the transaction that writes the rows. A missing deal fails with 23503,
 *  like the FK did. */
async function lockDeals(db: Db, dealIds: readonly string[]): Promise<void> {
  const ids = [...new Set(dealIds)];
  const res = await db.query<{ id: number }>('SELECT id FROM deals WHERE id = ANY($1::bigint[]) FOR KEY SHARE', [ids]);
  if (res.rows.length === ids.length) return;
  const found = new Set(res.rows.map((r) => r.id));
  const missing = ids.filter((id) => !found.has(Number(id)));
  if (missing.length === 0) return; // the same deal spelt two ways ('7', '07')
  throw missingDeals(missing);
}

function missingDeals(missing: readonly (string | number)[]): Error {
  return Object.assign(new Error(`no deal ${missing.join(', ')} in Postgres`), { code: '23503' });
}

/** Orders of the rows passed as $1..$8 (one array per column) with status $9 (each one is also
 *  its hold's 'hold' entry in the stock ledger), in ONE statement that also takes lockDeals'
 *  check and lock of the distinct deals $10: one round trip, which needs no BEGIN/COMMIT of its
 *  own (a statement is atomic), where a check, the insert and a transaction around them took
 *  four. This is the order worker's drain path. When a deal is missing the statement writes
 *  nothing (every row waits for the lock of all deals) and answers all_deals = false. */
function insertOrdersSql({ onConflict, okExtra = '', inserted }: { onConflict: string; okExtra?: string; inserted: string }) {
  return `WITH dl AS (
     SELECT id FROM deals WHERE id = ANY($10::bigint[]) FOR KEY SHARE),
   ok AS (
     SELECT (SELECT count(*) FROM dl) = (SELECT count(DISTINCT x) FROM unnest($10::bigint[]) x) AS all_deals${okExtra}),
   ins AS (
     INSERT INTO orders (hold_id, deal_id, shopper_id, qty, unit_price_minor, currency, status,
                         held_at, expires_at, cancelled_at)
     SELECT h, d, s, q, p, c, $9::text, ${ms('ha')}, ${ms('ea')}, CASE WHEN $9::text = 'cancelled' THEN now() END
     FROM unnest($1::text[], $2::bigint[], $3::text[], $4::int[], $5::bigint[], $6::text[],
                 $7::bigint[], $8::bigint[]) AS t(h, d, s, q, p, c, ha, ea)
     WHERE (SELECT all_deals FROM ok)
     ${onConflict}
     RETURNING hold_id)
   SELECT (SELECT all_deals FROM ok) AS all_deals, ${inserted} AS inserted`;
}
/** Orders whose hold already has one are left alone, so a retry writes nothing twice. */
const INSERT_ORDERS = insertOrdersSql({ onConflict: 'ON CONFLICT (hold_id) DO NOTHING', inserted: 'ARRAY(SELECT hold_id FROM ins)' });
/** For the statement's own (implicit) transaction only: its commit does not wait for the WAL
 *  flush. A pending order row is not what confirms a hold (Redis is), and what could be lost
 *  (the last ~3 x wal_writer_delay of these commits, on a Postgres or host crash only) comes
 *  back: reconcile re-admits every hold without an order row, an expiry or a payment writes the
 *  row itself when it finds none, and their commits, synchronous, flush every WAL record before
 *  theirs, this one's included. README "Invariants and reconcile". */
const ASYNC_COMMIT = `, set_config('synchronous_commit', 'off', true) <> ''`;
/** The same without ON CONFLICT, for holds that have no order yet (the order worker's first
 *  try at a job): ON CONFLICT looks every row up in the arbiter index before inserting it and
 *  inserts it speculatively, a second index descent per row, where a plain insert
 *  checks uniqueness in the descent that inserts it. A conflict fails the whole statement
 *  (23505), which writes nothing; insertFreshOrders then runs the ON CONFLICT one. Success
 *  means every row was inserted: it answers their number, not their ids (an array to parse). */
const INSERT_FRESH_ORDERS = insertOrdersSql({ onConflict: '', okExtra: ASYNC_COMMIT, inserted: '(SELECT count(*) FROM ins)::int' });

/** A Postgres array literal of strings, built in one pass where pg's own serialiser escapes
 *  every element on its own (the order worker's largest cost in JS). Ids here are url-safe;
 *  anything with a quote or a backslash takes the escaping path. */
export function textArray(values: readonly string[]): string {
  const joined = values.join('","');
  if (!/["\\]/.test(joined)) return values.length === 0 ? '{}' : `{"${joined}"}`;
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** A Postgres array literal of finite numbers. */
export function numberArray(values: readonly number[]): string {
  for (const v of values) if (!Number.isFinite(v)) throw new Error(`not a finite number: ${v}`);
  return `{${values.join(',')}}`;
}

/** The statement's parameters: a column array per field, in one pass over the rows. */
function orderParams(rows: readonly OrderRow[], status: OrderStatus): string[] {
  const n = rows.length;
  const holds = new Array<string>(n), deals = new Array<string>(n), shoppers = new Array<string>(n), currencies = new Array<string>(n);
  const qty = new Array<number>(n), price = new Array<number>(n), heldAt = new Array<number>(n), expiresAt = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    holds[i] = r.hold; deals[i] = r.dealId; shoppers[i] = r.shopper; currencies[i] = r.currency;
    qty[i] = r.qty; price[i] = r.unitPriceMinor; heldAt[i] = r.heldAt; expiresAt[i] = r.expiresAt;
  }
  return [textArray(holds), textArray(deals), textArray(shoppers), numberArray(qty), numberArray(price), textArray(currencies),
    numberArray(heldAt), numberArray(expiresAt), status, textArray([...new Set(deals)])];
}

/** Insert orders with `status` (whichever path comes first creates the order, and with it the
 *  hold's 'hold' ledger entry: the order job, a payment, an expiry). Rows whose hold already has
 *  an order are left alone. Returns the hold ids actually inserted.
 *  One statement, atomic on its own: `db` may be the pool (the order worker) or a client in a
 *  transaction that writes more (an expiry). Throws 23503 and writes nothing when a deal is
 *  missing from Postgres. */
export async function insertOrders(db: Db, rows: readonly OrderRow[], status: OrderStatus = 'pending'): Promise<string[]> {
  if (rows.length === 0) return [];
  return runInsertOrders<string[]>(db, 'ff_insert_orders', INSERT_ORDERS, rows, status);
}

/** insertOrders(pool, rows, 'pending') for the order worker, cheaper when none of the holds has
 *  an order or ledger row yet (the rule: a job runs once). `db` must not be in a transaction: its first
 *  try fails on any hold already written, and a failed statement would abort the caller's
 *  transaction; on its own it is atomic, so the failed try leaves nothing behind. */
export async function insertFreshOrders(db: Db, rows: readonly OrderRow[]): Promise<string[]> {
  if (rows.length === 0) return [];
  try {
    const n = await runInsertOrders<number>(db, 'ff_insert_fresh_orders', INSERT_FRESH_ORDERS, rows, 'pending');
    if (n !== rows.length) throw new Error(`insertFreshOrders: ${n} of ${rows.length} rows inserted`);
    return rows.map((r) => r.hold);
  } catch (err) {
    if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
    return insertOrders(db, rows, 'pending');
  }
}

const UNIQUE_VIOLATION = '23505';

async function runInsertOrders<Inserted>(db: Db, name: string, text: string, rows: readonly OrderRow[], status: OrderStatus): Promise<Inserted> {
  // named: each connection parses and plans the statement once, not once per batch
  const res = await db.query<{ all_deals: boolean; inserted: Inserted }>({ name, text, values: orderParams(rows, status) });
  const out = res.rows[0];
  if (out?.all_deals) return out.inserted;
  const ids = [...new Set(rows.map((r) => r.dealId))];
  const found = await db.query<{ id: number }>('SELECT id FROM deals WHERE id = ANY($1::bigint[])', [ids]);
  const have = new Set(found.rows.map((r) => r.id));
  throw missingDeals(ids.filter((id) => !have.has(Number(id))));
}

/** One ledger move per (hold, reason); a repeat writes nothing. stock_moves has no FK to deals
 *  (migration 003): call it in the transaction that writes or updates the holds' orders (the
 *  orders' deals were checked when they were written). */
export async function insertLedger(db: Db, reason: MoveReason,
  rows: readonly { hold: string; dealId: string; qty: number }[]): Promise<number> {
  if (rows.length === 0) return 0;
  const res = await db.query(
    `INSERT INTO stock_moves (deal_id, hold_id, reason, qty)
     SELECT d, h, $4, q FROM unnest($1::bigint[], $2::text[], $3::int[]) AS t(d, h, q)
     ON CONFLICT (hold_id, reason) DO NOTHING`,
    [rows.map((r) => r.dealId), rows.map((r) => r.hold), rows.map((r) => r.qty), reason],
  );
  return res.rowCount ?? 0;
}

/** pending -> cancelled. False when there is no pending order for the hold. */
export async function cancelPendingOrder(db: Db, hold: string): Promise<boolean> {
  const res = await db.query(
    `UPDATE orders SET status = 'cancelled', cancelled_at = now() WHERE hold_id = $1 AND status = 'pending'`, [hold]);
  return (res.rowCount ?? 0) > 0;
}

/** pending -> cancelled for many holds in one statement. Returns the holds whose order is
 *  cancelled afterwards, by this statement or before it (a job run again); holds with no order
 *  row, or a paid one, are not among them. */
export async function cancelOrders(db: Db, holds: readonly string[]): Promise<string[]> {
  if (holds.length === 0) return [];
  // Both parts read the snapshot from before the UPDATE: a row it flips is counted once.
  const res = await db.query<{ hold_id: string }>(
    `WITH upd AS (
       UPDATE orders SET status = 'cancelled', cancelled_at = now()
       WHERE hold_id = ANY($1::text[]) AND status = 'pending' RETURNING hold_id)
     SELECT hold_id FROM upd
     UNION ALL
     SELECT hold_id FROM orders WHERE hold_id = ANY($1::text[]) AND status = 'cancelled'`, [holds]);
  return res.rows.map((r) => r.hold_id);
}

/** Insert-or-flip the order to paid (a payment may come before the order job, or instead of
 *  it; the order row is the hold's ledger entry either way). Never flips a cancelled order: returns the status the row
 *  has afterwards, so the caller can tell 'paid' from a Redis/Postgres disagreement. */
export async function markOrderPaid(db: Db, row: OrderRow, paidAt: number): Promise<OrderStatus> {
  await lockDeals(db, [row.dealId]);
  const res = await db.query<{ status: OrderStatus }>(
    `INSERT INTO orders (hold_id, deal_id, shopper_id, qty, unit_price_minor, currency, status,
                         held_at, expires_at, paid_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'paid', ${ms('$7::bigint')}, ${ms('$8::bigint')}, ${ms('$9::bigint')})
     ON CONFLICT (hold_id) DO UPDATE SET status = 'paid', paid_at = EXCLUDED.paid_at
       WHERE orders.status = 'pending'
     RETURNING status`,
    [row.hold, row.dealId, row.shopper, row.qty, row.unitPriceMinor, row.currency, row.heldAt, row.expiresAt, paidAt],
  );
  if (res.rows[0]) return res.rows[0].status;
  // no row returned: the order existed and was not pending (already paid, or cancelled)
  const cur = await db.query<{ status: OrderStatus }>('SELECT status FROM orders WHERE hold_id = $1', [row.hold]);
  return cur.rows[0]?.status ?? 'pending';
}

export async function insertPayment(db: Db, p: { hold: string; provider: string; providerRef: string;
  amountMinor: number; currency: string; method?: string | undefined }): Promise<boolean> {
  const res = await db.query(
    `INSERT INTO payments (hold_id, provider, provider_ref, amount_minor, currency, method)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hold_id) DO NOTHING`,
    [p.hold, p.provider, p.providerRef, p.amountMinor, p.currency, p.method ?? null]);
  return (res.rowCount ?? 0) > 0;
}

// ---- reads ----

/** SQL: the rows of the deal whose id is the parameter `deal`, found through the primary key of
 *  orders or stock_ledger: their hold ids are `<dealId>-<seq>` and a
 *  check keeps them so (migration 009), so the deal's rows are one key range. Neither table
 *  has an index on deal_id (each cost every order an index entry). */
export function dealHolds(deal: string): string {
  return `(hold_id >= ${deal}::bigint::text || '-' AND hold_id < ${deal}::bigint::text || '.')`;
}

export type ShopperOrder = OrderView;

const epochMs = (col: string) => `(extract(epoch FROM ${col}) * 1000)::bigint`;

const ORDER_VIEW_COLUMNS = `o.hold_id, o.deal_id, d.title, o.qty, o.unit_price_minor, o.currency, o.status,
  ${epochMs('o.held_at')} AS held_at, ${epochMs('o.expires_at')} AS expires_at, ${epochMs('o.paid_at')} AS paid_at, p.method`;

interface OrderViewRow {
  hold_id: string; deal_id: number; title: string; qty: number; unit_price_minor: number; currency: string;
  status: OrderStatus; held_at: number; expires_at: number; paid_at: number | null; method: PaymentMethodValue | null;
}

function toOrderView(r: OrderViewRow): OrderView {
  return {
    hold: r.hold_id, orderNo: orderNumber(r.hold_id) ?? r.hold_id, deal: String(r.deal_id), title: r.title, qty: r.qty,
    unitPrice: { minor: r.unit_price_minor, currency: r.currency.trim() },
    status: r.status, heldAt: r.held_at, expiresAt: r.expires_at, paidAt: r.paid_at, method: r.method,
  };
}

/** A shopper's orders, newest first. */
export async function listShopperOrders(db: Db, shopper: string, limit = 100): Promise<ShopperOrder[]> {
  const res = await db.query<OrderViewRow>(
    `SELECT ${ORDER_VIEW_COLUMNS}
     FROM orders o JOIN deals d ON d.id = o.deal_id LEFT JOIN payments p ON p.hold_id = o.hold_id
     WHERE o.shopper_id = $1 ORDER BY o.held_at DESC LIMIT $2`, [shopper, limit]);
  return res.rows.map(toOrderView);
}

/** The orders of many shoppers, newest first, at most `limit` each, in one query (a gateway
 *  reads hundreds of shoppers' holds at once after a Redis restart: gateway/shopper-holds.ts).
 *  Every shopper given is in the map, with [] when it has none. */
export async function listOrdersOfShoppers(db: Db, shoppers: readonly string[], limit = 100): Promise<Map<string, ShopperOrder[]>> {
  const out = new Map<string, ShopperOrder[]>(shoppers.map((s) => [s, []]));
  if (shoppers.length === 0) return out;
  const res = await db.query<OrderViewRow & { shopper: string }>(
    `SELECT s.shopper, x.* FROM unnest($1::text[]) AS s(shopper) CROSS JOIN LATERAL (
       SELECT ${ORDER_VIEW_COLUMNS}
       FROM orders o JOIN deals d ON d.id = o.deal_id LEFT JOIN payments p ON p.hold_id = o.hold_id
       WHERE o.shopper_id = s.shopper ORDER BY o.held_at DESC LIMIT $2) x
     ORDER BY s.shopper, x.held_at DESC`, [[...out.keys()], limit]);
  for (const r of res.rows) out.get(r.shopper)!.push(toOrderView(r));
  return out;
}

/** One order as ops sees it (found by its order number: shared/order-number.ts gives the hold). */
export interface OrderLookup extends OrderView {
  shopper: string;
  brand: string;
  provider: string | null;
  providerRef: string | null;
}

export async function findOrder(db: Db, hold: string): Promise<OrderLookup | null> {
  const res = await db.query<OrderViewRow & { shopper_id: string; brand: string; provider: string | null; provider_ref: string | null }>(
    `SELECT ${ORDER_VIEW_COLUMNS}, o.shopper_id, b.name AS brand, p.provider, p.provider_ref
     FROM orders o JOIN deals d ON d.id = o.deal_id JOIN brands b ON b.id = d.brand_id
     LEFT JOIN payments p ON p.hold_id = o.hold_id
     WHERE o.hold_id = $1`, [hold]);
  const r = res.rows[0];
  if (!r) return null;
  return { ...toOrderView(r), shopper: r.shopper_id, brand: r.brand, provider: r.provider, providerRef: r.provider_ref };
}

/** A deal's orders that still stand for a unit (pending or paid): how many, and (when asked) which.
 *  Reconcile compares them with the holds Redis has (scheduler/lost-holds.ts). */
export async function countLiveOrders(db: Db, dealId: string): Promise<number> {
  const res = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM orders WHERE ${dealHolds('$1')} AND status IN ('pending', 'paid')`, [dealId]);
  return res.rows[0]?.n ?? 0;
}

export interface LiveOrder {
  hold: string;
  shopper: string;
  qty: number;
  status: 'pending' | 'paid';
  heldAt: number;
  expiresAt: number;
}

export async function listLiveOrders(db: Db, dealId: string): Promise<LiveOrder[]> {
  const res = await db.query<{ hold_id: string; shopper_id: string; qty: number; status: 'pending' | 'paid'; held_at: string; expires_at: string }>(
    `SELECT hold_id, shopper_id, qty, status,
            (extract(epoch FROM held_at) * 1000)::bigint AS held_at, (extract(epoch FROM expires_at) * 1000)::bigint AS expires_at
     FROM orders WHERE ${dealHolds('$1')} AND status IN ('pending', 'paid')`, [dealId]);
  return res.rows.map((r) => ({
    hold: r.hold_id, shopper: r.shopper_id, qty: r.qty, status: r.status, heldAt: Number(r.held_at), expiresAt: Number(r.expires_at),
  }));
}

/** The highest hold id of the deal's orders (any status) in each run of `span` seqs: hold ids
 *  are `<dealId>-<seq>`, and a stock bucket issues its seqs from a span of its own
 *  (stock/keys.ts seqBase), so this is each bucket's last hold id Postgres knows. */
export async function lastHoldsBySpan(db: Db, dealId: string, span: number): Promise<string[]> {
  const res = await db.query<{ hold: string }>(
    `SELECT $1::bigint::text || '-' || max(seq)::text AS hold
       FROM (SELECT substr(hold_id, length($1::bigint::text) + 2)::bigint AS seq FROM orders WHERE ${dealHolds('$1')}) s
      GROUP BY seq / $2::bigint`, [dealId, span]);
  return res.rows.map((r) => r.hold);
}

/** Order rows of a deal; the PK makes this also the number of distinct holds persisted. */
export async function countOrdersByHold(db: Db, dealId: string): Promise<number> {
  const res = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders WHERE ${dealHolds('$1')}`, [dealId]);
  return res.rows[0]?.n ?? 0;
}

/** Units per order status of a deal. */
export async function orderTotals(db: Db, dealId: string): Promise<Record<OrderStatus, number>> {
  const res = await db.query<{ status: OrderStatus; units: number }>(
    `SELECT status, sum(qty)::int AS units FROM orders WHERE ${dealHolds('$1')} GROUP BY status`, [dealId]);
  const out: Record<OrderStatus, number> = { pending: 0, paid: 0, cancelled: 0 };
  for (const r of res.rows) out[r.status] = r.units;
  return out;
}

/** What is wrong with one hold's ledger rows against its order (reconcile reports these). */
export type LedgerProblem = 'ledger_without_order' | 'ledger_sold_and_released'
  | 'ledger_wrong_end' | 'ledger_missing_end' | 'ledger_qty';

export interface LedgerBalance {
  orders: number;
  /** units of the deal's orders, in total and by status */
  orderUnits: number;
  pendingUnits: number;
  paidUnits: number;
  cancelledUnits: number;
  /** units of the deal's ledger entries, by reason ('hold': its orders, migration 010) */
  holdUnits: number;
  saleUnits: number;
  releaseUnits: number;
  /** holds with a problem, by problem: how many and a few of them (smallest ids first) */
  problems: { problem: LedgerProblem; holds: number; examples: string[] }[];
}

/** A deal's orders against the moves of its stock ledger, in one statement (one snapshot: every
 *  write path changes an order and its moves in one transaction, so a balanced ledger never
 *  looks unbalanced here mid-write). Each hold gets at most one problem, the first that applies.
 *  The 'hold' entries are the orders themselves (migration 010): one per order, its units. */
export async function ledgerBalance(db: Db, dealId: string): Promise<LedgerBalance> {
  const res = await db.query<{ problem: LedgerProblem | null; holds: number; examples: string[] | null; order_units: number;
    pending_units: number; paid_units: number; cancelled_units: number; orders: number;
    hold_units: number; sale_units: number; release_units: number }>(
    `WITH l AS (
       SELECT hold_id, max(qty) FILTER (WHERE reason = 'sale') AS sale_q, max(qty) FILTER (WHERE reason = 'release') AS release_q
       FROM stock_moves WHERE ${dealHolds('$1')} GROUP BY hold_id),
     o AS (SELECT hold_id, qty, status FROM orders WHERE ${dealHolds('$1')}),
     j AS (
       SELECT coalesce(o.hold_id, l.hold_id) AS hold_id, o.hold_id IS NOT NULL AS has_order, o.qty, o.status,
              l.sale_q, l.release_q,
              CASE WHEN o.hold_id IS NULL THEN 'ledger_without_order'
                   WHEN l.sale_q IS NOT NULL AND l.release_q IS NOT NULL THEN 'ledger_sold_and_released'
                   WHEN (l.sale_q IS NOT NULL AND o.status <> 'paid')
                     OR (l.release_q IS NOT NULL AND o.status <> 'cancelled') THEN 'ledger_wrong_end'
                   WHEN (o.status = 'paid' AND l.sale_q IS NULL)
                     OR (o.status = 'cancelled' AND l.release_q IS NULL) THEN 'ledger_missing_end'
                   WHEN l.sale_q <> o.qty OR l.release_q <> o.qty THEN 'ledger_qty'
              END AS problem
       FROM o FULL JOIN l ON l.hold_id = o.hold_id)
     SELECT problem, count(*)::int AS holds,
            (array_agg(hold_id ORDER BY hold_id) FILTER (WHERE problem IS NOT NULL))[1:3] AS examples,
            count(*) FILTER (WHERE has_order)::int AS orders,
            coalesce(sum(qty), 0)::int AS order_units,
            coalesce(sum(qty) FILTER (WHERE status = 'pending'), 0)::int AS pending_units,
            coalesce(sum(qty) FILTER (WHERE status = 'paid'), 0)::int AS paid_units,
            coalesce(sum(qty) FILTER (WHERE status = 'cancelled'), 0)::int AS cancelled_units,
            coalesce(sum(qty), 0)::int AS hold_units, coalesce(sum(sale_q), 0)::int AS sale_units,
            coalesce(sum(release_q), 0)::int AS release_units
     FROM j GROUP BY problem`, [dealId]);
  const out: LedgerBalance = {
    orders: 0, orderUnits: 0, pendingUnits: 0, paidUnits: 0, cancelledUnits: 0,
    holdUnits: 0, saleUnits: 0, releaseUnits: 0, problems: [],
  };
  for (const r of res.rows) {
    out.orders += r.orders;
    out.orderUnits += r.order_units; out.pendingUnits += r.pending_units;
    out.paidUnits += r.paid_units; out.cancelledUnits += r.cancelled_units;
    out.holdUnits += r.hold_units; out.saleUnits += r.sale_units; out.releaseUnits += r.release_units;
    if (r.problem) out.problems.push({ problem: r.problem, holds: r.holds, examples: r.examples ?? [] });
  }
  return out;
}
