import { userInfo } from 'node:os';
import pg from 'pg';
import type { Config } from '../config.ts';

// bigint (int8) columns come back as JS numbers: every id and money amount we store fits in
// 2^53, and strings would leak into every caller.
pg.types.setTypeParser(20, (v) => Number(v));

export type Pool = pg.Pool;

/** pg falls back to $USER, which services and CI shells may leave empty: use the OS user then,
 *  as psql does. (A `user` option would be overridden by the connection string.) */
function withUser(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (!url.username) url.username = process.env.PGUSER || process.env.USER || userInfo().username;
  return url.toString();
}

export function createPool(config: Pick<Config, 'databaseUrl' | 'dbSchema'>, max = 10): pg.Pool {
  return new pg.Pool({
    connectionString: withUser(config.databaseUrl),
    max,
    // every connection sees the engine's schema first, so tests can run in a private one
    options: `-c search_path=${config.dbSchema},public`,
    application_name: 'flashfest',
  });
}

/** Runs `fn` in one transaction on one connection; rolls back on any error. */
export async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await transaction(client, fn);
  } finally {
    client.release();
  }
}

/** `inTransaction` on a connection the caller holds (one that carries session state, e.g. a lock). */
export async function transaction<T>(client: pg.PoolClient, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
