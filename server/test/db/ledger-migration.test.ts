// Migration 010 turns the 'hold' rows of the stock ledger into the orders themselves. On a schema
// at version 10 holding every kind of ledger the engine wrote, the ledger read after it is the
// ledger read before it, row for row; a 'hold' row that says something its order does not stops
// the migration, which then changes nothing.
import { readdir, readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../helpers/test-env.ts';

const MIGRATIONS = new URL('../../src/db/migrations/', import.meta.url);
const LEDGER_AS_ORDERS = '010_ledger_hold_entries_are_orders.sql';

describe('migration 010: the ledger\'s hold entries are the orders', () => {
  const admin = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
  const schemas: string[] = [];
  let pool: pg.Pool;

  /** A fresh schema at the version before 010, with one deal; `pool` works in it. */
  async function schemaBefore010(): Promise<string> {
    const schema = `ff_mig010_${process.pid}_${schemas.length}`;
    schemas.push(schema);
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`);
    await pool?.end();
    pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1, options: `-c search_path=${schema}` });
    const files = (await readdir(MIGRATIONS)).filter((f) => /^\d{3}_.+\.sql$/.test(f) && f < LEDGER_AS_ORDERS).sort();
    for (const f of files) await pool.query(await readFile(new URL(f, MIGRATIONS), 'utf8'));
    await pool.query(`INSERT INTO brands (id, name) VALUES (1, 'b');
      INSERT INTO festivals (id, name, starts_at, ends_at) VALUES (1, 'f', now(), now() + interval '1 day');
      INSERT INTO deals (id, festival_id, brand_id, title, list_price_minor, deal_price_minor, currency, stock, per_shopper_limit,
                         hold_seconds, starts_at, ends_at)
      VALUES (7, 1, 1, 'd', 2000, 1000, 'PKR', 100, 5, 60, now(), now() + interval '1 day')`);
    return schema;
  }

  async function order(hold: string, qty: number, status: string, reasons: string[]): Promise<void> {
    await pool.query(`INSERT INTO orders (hold_id, deal_id, shopper_id, qty, unit_price_minor, currency, status, held_at, expires_at)
      VALUES ($1, 7, 's-' || $1, $2, 1000, 'PKR', $3, now(), now() + interval '1 minute')`, [hold, qty, status]);
    await pool.query(`INSERT INTO stock_ledger (deal_id, hold_id, reason, qty) SELECT 7, $1, r, $2 FROM unnest($3::text[]) r`, [hold, qty, reasons]);
  }
  const ledger = async () => (await pool.query<{ hold_id: string; reason: string; qty: number }>(
    'SELECT hold_id, reason, qty FROM stock_ledger ORDER BY hold_id, reason')).rows;
  const apply010 = async () => {
    const sql = await readFile(new URL(LEDGER_AS_ORDERS, MIGRATIONS), 'utf8');
    await pool.query('BEGIN');
    try {
      await pool.query(sql);
      await pool.query('COMMIT');
    } catch (err) {
      await pool.query('ROLLBACK');
      throw err;
    }
  };

  afterAll(async () => {
    await pool?.end();
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await admin.end();
  });

  it('reads the same ledger after it, and the moves alone are rows', async () => {
    await schemaBefore010();
    await order('7-1', 2, 'pending', ['hold']);
    await order('7-2', 1, 'paid', ['hold', 'sale']);
    await order('7-3', 3, 'cancelled', ['hold', 'release']);
    const before = await ledger();

    await apply010();
    expect(await ledger()).toEqual(before);
    const moves = await pool.query('SELECT hold_id, reason FROM stock_moves ORDER BY hold_id');
    expect(moves.rows).toEqual([{ hold_id: '7-2', reason: 'sale' }, { hold_id: '7-3', reason: 'release' }]);
    // a 'hold' is no longer a row of its own: the moves table refuses one
    await expect(pool.query("INSERT INTO stock_moves (deal_id, hold_id, reason, qty) VALUES (7, '7-1', 'hold', 2)"))
      .rejects.toMatchObject({ code: '23514' });
    // and an order written now has its 'hold' entry at once
    await pool.query(`INSERT INTO orders (hold_id, deal_id, shopper_id, qty, unit_price_minor, currency, held_at, expires_at)
      VALUES ('7-4', 7, 's', 1, 1000, 'PKR', now(), now())`);
    expect((await ledger()).filter((r) => r.hold_id === '7-4')).toEqual([{ hold_id: '7-4', reason: 'hold', qty: 1 }]);
    // a deal with moves still cannot be deleted
    await expect(pool.query('DELETE FROM deals WHERE id = 7')).rejects.toMatchObject({ code: '23503' });
  });

  it("stops on a 'hold' row its order does not match, and changes nothing", async () => {
    const schema = await schemaBefore010();
    await order('7-1', 2, 'pending', ['hold']);
    await pool.query("UPDATE stock_ledger SET qty = 1 WHERE hold_id = '7-1'");
    await expect(apply010()).rejects.toThrow(/match no order/);
    const still = await pool.query<{ t: string }>(`SELECT to_regclass('${schema}.stock_ledger')::text AS t,
      (SELECT relkind FROM pg_class WHERE oid = to_regclass('${schema}.stock_ledger'))::text AS kind`);
    expect(still.rows[0]).toMatchObject({ kind: 'r' });
    expect(await ledger()).toEqual([{ hold_id: '7-1', reason: 'hold', qty: 1 }]);
  });
});
