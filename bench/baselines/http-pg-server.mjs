// Baseline c: the usual HTTP API (node:http) deciding a grab with a Postgres row lock:
// UPDATE ... SET stock = stock - $1 WHERE id = $2 AND stock >= $1 RETURNING, one per grab
// (stock only: no idempotency, no per-shopper limit, which flatters it). Also the usual
// `/healthz` and `/api/festivals/current` that query on every request, for the HTTP scenario.
import { createServer } from 'node:http';
import pg from 'pg';
import { Redis } from 'ioredis';
import { REDIS_URL, verifyToken } from './common.mjs';

const schema = process.env.DB_SCHEMA ?? 'public';
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20, options: `-c search_path=${schema},public` });
const redis = new Redis(REDIS_URL);
await pool.query('CREATE TABLE IF NOT EXISTS baseline_stock (id bigint PRIMARY KEY, stock int NOT NULL CHECK (stock >= 0))');

function json(res, status, body) {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/grab') {
    const shopper = verifyToken((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (!shopper) return json(res, 401, { code: 'unauthorized' });
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      let m;
      try { m = JSON.parse(body); } catch { return json(res, 400, { code: 'bad_json' }); }
      if (!Number.isInteger(m.qty) || m.qty < 1 || typeof m.deal !== 'string') return json(res, 400, { code: 'invalid' });
      pool.query('UPDATE baseline_stock SET stock = stock - $1 WHERE id = $2 AND stock >= $1 RETURNING stock', [m.qty, m.deal]).then(
        (r) => json(res, 200, r.rowCount ? { t: 'held', rid: m.rid, deal: m.deal, qty: m.qty } : { t: 'refused', rid: m.rid, deal: m.deal, code: 'sold_out' }),
        () => json(res, 503, { code: 'unavailable' }));
    });
    return;
  }
  if (req.method === 'GET' && req.url === '/healthz') {
    Promise.allSettled([redis.ping(), pool.query('SELECT 1')]).then(([r, p]) => {
      const ok = r.status === 'fulfilled' && p.status === 'fulfilled';
      json(res, ok ? 200 : 503, { ok, redis: r.status === 'fulfilled', postgres: p.status === 'fulfilled' });
    });
    return;
  }
  if (req.method === 'GET' && req.url === '/api/festivals/current') {
    pool.query(`SELECT f.id, f.name, f.starts_at, f.ends_at,
                       coalesce(json_agg(d ORDER BY d.starts_at) FILTER (WHERE d.id IS NOT NULL), '[]') AS deals
                FROM festivals f LEFT JOIN deals d ON d.festival_id = f.id AND d.state <> 'cancelled'
                WHERE f.starts_at <= now() AND f.ends_at > now()
                GROUP BY f.id ORDER BY f.starts_at DESC LIMIT 1`).then(
      (r) => (r.rows[0] ? json(res, 200, r.rows[0]) : json(res, 404, { code: 'no_festival' })),
      () => json(res, 503, { code: 'unavailable' }));
    return;
  }
  json(res, 404, { code: 'not_found' });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`baseline ready: http+pg :${server.address().port}`));
process.on('SIGTERM', () => { server.close(); void pool.end(); redis.disconnect(); process.exit(0); });
