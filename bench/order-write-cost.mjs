// `npm run bench:orders [-- --batch=200,1000 --rounds=3 --orders=40000]`
// Postgres CPU per order of the order worker's write, read from the one backend that runs it
// (/proc/<pid>/stat, user + system): the part of an order's cost that no other process on a
// shared machine can blur. Compares, round by round on fresh private schemas, the worker's path
// (insertFreshOrders: one statement on the pool, plain insert, asynchronous commit) with the
// path every other writer takes (insertOrders with ON CONFLICT in a transaction of its own,
// what the worker did before). Background writers (WAL writer, checkpointer) are not counted.
// Postgres must be local (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test); it
// writes only under schemas of its own and drops them after each run.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { migrate } from '../server/src/db/migrate.ts';
import { inTransaction, insertFreshOrders, insertOrders } from '../server/src/db/orders-repo.ts';
import { answerHelp } from '../scripts/services/usage.mjs';

answerHelp(`
usage: npm run bench:orders [-- --batch=200,1000 --rounds=3 --orders=40000]

Postgres backend CPU per order of the order worker's write (insertFreshOrders) against the
ON CONFLICT path in a transaction (insertOrders), alternated round by round.

  --batch=LIST   rows per statement (default 200,1000)
  --rounds=N     rounds per path and batch size (default 3)
  --orders=N     orders per run (default 40000)
  --help, -h     this text`);

const argv = process.argv.slice(2);
const option = (name, dflt) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const batches = option('batch', '200,1000').split(',').map(Number);
const rounds = Number(option('rounds', 3));
const orders = Number(option('orders', 40_000));
if (batches.some((b) => !(b >= 1)) || !(rounds >= 1) || !(orders >= 1)) {
  console.error('bench:orders: --batch=<n,...> --rounds=<n> --orders=<n>, all positive');
  process.exit(2);
}

const PATHS = {
  worker: (pool, rows) => insertFreshOrders(pool, rows),
  'on-conflict': (pool, rows) => inTransaction(pool, (c) => insertOrders(c, rows)),
};
const TICK = 100; // USER_HZ
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Pool({ connectionString: url, max: 1 });

/** A fresh schema with one deal; returns its id and a one-connection pool on it. */
async function freshSchema(schema) {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await migrate(admin, schema);
  const pool = new pg.Pool({ connectionString: url, max: 1, options: `-c search_path=${schema},public` });
  await pool.query(`INSERT INTO brands (name) VALUES ('bench')`);
  const { rows: [fest] } = await pool.query(
    `INSERT INTO festivals (name, starts_at, ends_at) VALUES ('bench', now(), now() + interval '1 day') RETURNING id`);
  const { rows: [deal] } = await pool.query(
    `INSERT INTO deals (festival_id, brand_id, title, list_price_minor, deal_price_minor, currency, stock, per_shopper_limit,
                        hold_seconds, starts_at, ends_at)
     VALUES ($1, (SELECT id FROM brands LIMIT 1), 'bench', 2000, 1000, 'PKR', 10000000, 1, 60, now(), now() + interval '1 day')
     RETURNING id`, [fest.id]);
  return { dealId: String(deal.id), pool };
}

const results = new Map();
for (let round = 0; round < rounds; round++) {
  for (const batch of batches) {
    for (const [name, write] of Object.entries(PATHS)) {
      const schema = `bench_orders_${process.pid}`;
      const { dealId, pool } = await freshSchema(schema);
      const { rows: [{ pid }] } = await pool.query('SELECT pg_backend_pid() AS pid');
      const now = Date.now();
      // shoppers spread as a crowd's are (the shopper index sees random keys)
      const rowsFrom = (start, n) => Array.from({ length: n }, (_, i) => ({
        hold: `${dealId}-${start + i + 1}`, dealId, shopper: `s${((start + i) * 7919) % 1_000_003}`, qty: 1,
        unitPriceMinor: 1000, currency: 'PKR', heldAt: now, expiresAt: now + 60_000,
      }));
      const before = cpuSeconds(pid);
      const t0 = performance.now();
      for (let start = 0; start < orders; start += batch) await write(pool, rowsFrom(start, Math.min(batch, orders - start)));
      const perM = ((cpuSeconds(pid) - before) / orders) * 1e6;
      const key = `${name} @ ${batch}`;
      results.set(key, [...(results.get(key) ?? []), perM]);
      console.log(`round ${round + 1} ${key}: ${perM.toFixed(2)} backend CPU-s per 1M orders, ${Math.round(orders / ((performance.now() - t0) / 1000))} orders/s`);
      await pool.end();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    }
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log('\nbackend CPU-s per 1M orders, median (min-max):');
for (const [key, a] of results) console.log(`  ${key}: ${median(a).toFixed(2)} (${Math.min(...a).toFixed(2)}-${Math.max(...a).toFixed(2)})`);
await admin.end();
