// What every scenario needs: the services (found or started as `npm test` does), a private
// namespace per engine (Redis key prefix + Postgres schema, removed after), engine and baseline
// processes, and CPU readings of a process from /proc.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureRedis } from '../../scripts/services/redis.mjs';
import { startRedisCluster } from '../../scripts/services/redis-cluster.mjs';
import { ensurePostgres } from '../../scripts/services/postgres.mjs';
import { loadConfig } from '../../server/src/config.ts';
import { createRedis, deleteKeys, isCluster } from '../../server/src/redis.ts';
import { createPool } from '../../server/src/db/pool.ts';
import { migrate } from '../../server/src/db/migrate.ts';
import { dealHolds } from '../../server/src/db/orders-repo.ts';
import { StockStore } from '../../server/src/stock/stock-store.ts';
import { SessionSigner } from '../../server/src/gateway/session.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SECRET = 'flashfest-bench-secret-0123456789abcdef';
// Every process the bench starts is stopped when it exits, however it exits (Ctrl-C included).
export const children = new Set();
process.on('exit', () => { for (const c of children) if (c.exitCode === null && c.signalCode === null) try { c.kill('SIGKILL'); } catch { /* gone */ } });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Epoch ms with sub-ms steps. Not performance.timeOrigin: here it was seconds off Date.now(),
// and processes must agree on instants (the storm's opening second).
const EPOCH = Date.now() - performance.now();
export const now = () => EPOCH + performance.now();

/** The single Redis and Postgres; with `cluster`, also a private local 3-master Redis Cluster
 *  (`clusterNodes`), for the same scenarios on both in one run (`onCluster(services)`). */
export async function ensureServices({ cluster = false } = {}) {
  const redis = await ensureRedis({ envUrl: process.env.BENCH_REDIS_URL || process.env.REDIS_URL, label: 'REDIS_URL' });
  const pg = await ensurePostgres({
    envUrl: process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL, label: 'DATABASE_URL', database: 'test', pgliteDir: null,
  });
  if (pg.url.includes('pglite') || pg.kind === 'pglite') console.warn('bench: Postgres is PGlite: figures are not meaningful');
  // BENCH_CLUSTER_REPLICAS=1: a replica per master (what GRAB_WAIT_REPLICAS waits for)
  const c = cluster ? await startRedisCluster({ masters: 3, replicas: Number(process.env.BENCH_CLUSTER_REPLICAS || 0) }) : null;
  return {
    redisUrl: redis.url, databaseUrl: pg.url, clusterNodes: c?.nodes ?? '', useCluster: false,
    stop: async () => { await c?.stop(); await pg.stop?.(); await redis.stop?.(); },
  };
}

/** The same services, with every engine process and namespace on the cluster. */
export function onCluster(services) {
  if (!services.clusterNodes) throw new Error('bench: no cluster started (--cluster)');
  return { ...services, useCluster: true };
}

/** A fresh Redis prefix + Postgres schema, migrated; env for engine processes; cleanup. */
export async function createNamespace(services, extraEnv = {}) {
  const id = randomBytes(4).toString('hex');
  const env = {
    REDIS_URL: services.redisUrl, DATABASE_URL: services.databaseUrl,
    REDIS_CLUSTER_NODES: services.useCluster ? services.clusterNodes : '',
    KEY_PREFIX: `bench${id}`, DB_SCHEMA: `bench_${id}`, SESSION_SECRET: SECRET, LOG_LEVEL: 'warn',
    // one socket of the load grabs far faster than a person: the bench raises the per-socket limit
    RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000', FLOOD_CLOSE_AFTER: '1000000',
    HOLD_SECONDS: '3600',
    ...extraEnv,
  };
  const config = loadConfig(env);
  const redis = createRedis(config, { enableAutoPipelining: false });
  const pool = createPool(config, 4);
  await migrate(pool, config.dbSchema);
  const stock = new StockStore(redis, config.keyPrefix);
  return {
    id, env, config, redis, pool, stock, signer: new SessionSigner(SECRET, 7200),
    async cleanup() {
      await deleteKeys(redis, `${config.keyPrefix}:*`);
      await pool.query(`DROP SCHEMA IF EXISTS ${config.dbSchema} CASCADE`);
      await pool.end();
      redis.disconnect();
    },
  };
}


/** A brand, a festival and deals in Postgres, warmed into Redis (what the scheduler does). */
export async function seedDeal(ns, { stock, limit, startsIn = -1_000, durationMs = 3_600_000, holdSeconds = 3_600, priceMinor = 99_900 }) {
  const { pool } = ns;
  const brand = await pool.query(`INSERT INTO brands (name) VALUES ('Bench Brand') ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`);
  const t = Date.now();
  const fest = await pool.query(
    `INSERT INTO festivals (name, starts_at, ends_at) VALUES ('Bench Festival', to_timestamp($1 / 1000.0), to_timestamp($2 / 1000.0)) RETURNING id`,
    [t - 60_000, t + 3_600_000]);
  const startsAt = t + startsIn;
  const deal = await pool.query(
    `INSERT INTO deals (festival_id, brand_id, title, list_price_minor, deal_price_minor, currency, stock,
       per_shopper_limit, hold_seconds, starts_at, ends_at, state)
     VALUES ($1,$2,'Bench deal',$3,$4,'PKR',$5,$6,$7, to_timestamp($8 / 1000.0), to_timestamp($9 / 1000.0), $10) RETURNING id`,
    [fest.rows[0].id, brand.rows[0].id, priceMinor * 2, priceMinor, stock, limit, Math.max(5, holdSeconds),
      startsAt, startsAt + durationMs, startsIn <= 0 ? 'live' : 'warming']);
  const dealId = String(deal.rows[0].id);
  const festivalId = String(fest.rows[0].id);
  await ns.stock.warmDeal({
    id: dealId, festivalId, stock, limit, holdSeconds, startsAt, endsAt: startsAt + durationMs,
    unitPriceMinor: priceMinor, currency: 'PKR', status: 'open',
  });
  return { dealId, festivalId, startsAt };
}

/** Spawns `node <args>` with env; resolves once a stdout line matches `ready` (returns the match). */
export function spawnNode(args, env, { ready = /flashfest ready: (?:.*:(\d+)|role \w+)/, name = 'process', timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    let out = '';
    let done = false;
    // BENCH_LOG_DIR=<dir>: every process's output also goes to <dir>/<name>.<pid>.log (with
    // BENCH_ENGINE_FLAGS="--trace-gc", say)
    const log = process.env.BENCH_LOG_DIR ? createWriteStream(path.join(process.env.BENCH_LOG_DIR, `${name.replace(/\W+/g, '-')}.${child.pid}.log`)) : null;
    if (log) { child.stdout.pipe(log); child.stderr.pipe(log); }
    const timer = setTimeout(() => finish(new Error(`${name} not ready after ${timeoutMs} ms:\n${out.slice(-2000)}`)), timeoutMs);
    function finish(err, m) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) { child.kill('SIGKILL'); reject(err); } else resolve({ child, match: m, output: () => out, stop: () => stopChild(child) });
    }
    const onData = (b) => {
      out += b.toString();
      if (out.length > 200_000) out = out.slice(-100_000);
      const m = ready.exec(out);
      if (m) finish(null, m);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, sig) => finish(new Error(`${name} exited (${code ?? sig}) before ready:\n${out.slice(-2000)}`)));
  });
}

export async function stopChild(child, timeoutMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(t);
}

/** The engine as separate processes: `gateways` gateway processes and one worker. */
export async function startEngine(ns, { gateways = 1, worker = true, env = {} } = {}) {
  const entry = ['--import', 'tsx', 'server/src/main.ts'];
  // BENCH_CPU_PROF=<dir>: profile the engine processes (node --cpu-prof), written on exit
  const nodeFlags = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // BENCH_ENGINE_FLAGS="--flag ...": extra node flags for the engine processes (experiments)
  if (process.env.BENCH_ENGINE_FLAGS) nodeFlags.push(...process.env.BENCH_ENGINE_FLAGS.split(' ').filter(Boolean));
  const procs = [];
  try {
    const gws = await Promise.all(Array.from({ length: gateways }, (_, i) =>
      spawnNode([...nodeFlags, ...entry], { ...ns.env, FF_ROLE: 'gateway', PORT: '0', ...env }, { name: `gateway ${i}` })));
    procs.push(...gws);
    const w = worker ? await spawnNode([...nodeFlags, ...entry], { ...ns.env, FF_ROLE: 'worker', ...env }, { name: 'worker' }) : null;
    if (w) procs.push(w);
    return {
      ports: gws.map((g) => Number(g.match[1])),
      gatewayPids: gws.map((g) => g.child.pid),
      workerPid: w?.child.pid ?? null,
      async stop() { await Promise.all(procs.map((p) => p.stop())); },
    };
  } catch (err) {
    await Promise.all(procs.map((p) => p.stop()));
    throw err;
  }
}

const TICK = 100; // USER_HZ on Linux
/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return null;
  }
}

/** CPU seconds of every postgres server process (backends come and go; this is a best effort). */
export function postgresCpuSeconds() {
  let total = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICK; // + reaped children
    } catch { /* gone */ }
  }
  return total;
}

/** The Redis server's pid; on a cluster, every master's (their CPU is summed by cpuMeter). */
export async function redisPid(redis) {
  const pidOf = async (node) => Number(/process_id:(\d+)/.exec(await node.info('server'))?.[1]);
  return isCluster(redis) ? Promise.all(redis.nodes('master').map(pidOf)) : pidOf(redis);
}

/** CPU seconds of a pid, of every pid in an array (summed), or of 'postgres'. */
function cpuOf(pid) {
  if (pid === 'postgres') return postgresCpuSeconds();
  if (!Array.isArray(pid)) return cpuSeconds(pid);
  const each = pid.map(cpuSeconds);
  return each.includes(null) ? null : each.reduce((a, b) => a + b, 0);
}

/** Reads CPU of named pids now; `.delta()` later gives seconds used in between. */
export function cpuMeter(pids) {
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuOf(pid)]));
  return {
    delta() {
      const out = {};
      for (const [k, pid] of Object.entries(pids)) {
        const end = cpuOf(pid);
        out[k] = end !== null && start[k] !== null ? end - start[k] : null;
      }
      return out;
    },
  };
}

/** The Postgres backends serving a process's connections: its TCP sockets' local ports, which
 *  Postgres sees as client_port. */
async function backendPidsOf(pool, pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch { /* closed meanwhile */ }
  }
  const ports = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9])) ports.push(parseInt(cols[1].split(':').pop(), 16));
    }
  }
  if (ports.length === 0) return [];
  const { rows } = await pool.query('SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])', [ports]);
  return rows.map((r) => r.pid);
}

/** CPU of the Postgres backends that serve process `pid` (the worker), without every other
 *  session on a shared machine: `.delta()` later gives the seconds its backends used since,
 *  counting a backend opened meanwhile from zero (one closed meanwhile is missed: the pool
 *  keeps busy connections). */
export async function backendMeter(pool, pid) {
  const start = new Map((await backendPidsOf(pool, pid)).map((b) => [b, cpuSeconds(b) ?? 0]));
  return {
    async delta() {
      let sum = 0;
      for (const b of await backendPidsOf(pool, pid)) sum += (cpuSeconds(b) ?? 0) - (start.get(b) ?? 0);
      return sum;
    },
  };
}

export function machineFacts() {
  const cpus = os.cpus();
  return { cores: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.type()} ${os.release()}` };
}

/**
 * Waits until `holds` all have an order row and returns { count, doneAt } (doneAt: the moment
 * that was seen). Polls every 10 ms, but cheaply: a primary-key probe of the last holds made
 * (the highest sequence numbers, admitted last), and only when they are all there the full
 * count. A full count every 10 ms cost Postgres several ms each, a sizeable part of the very
 * CPU the drain measures.
 */
export async function waitForOrderRows(pool, dealId, holds, { timeoutMs = 180_000, probe = 50 } = {}) {
  const seqOf = (h) => Number(h.slice(h.indexOf('-') + 1));
  const last = [...holds].sort((a, b) => seqOf(b) - seqOf(a)).slice(0, probe);
  const t0 = now();
  let count = 0;
  for (;;) {
    const { rows: p } = await pool.query('SELECT count(*)::int AS n FROM orders WHERE hold_id = ANY($1::text[])', [last]);
    if (p[0].n === last.length) {
      const { rows: r } = await pool.query(`SELECT count(*)::int AS n FROM orders WHERE ${dealHolds('$1')}`, [dealId]);
      count = r[0].n;
      if (count >= holds.length) return { count, doneAt: now() };
    }
    if (now() - t0 > timeoutMs) return { count, doneAt: now() };
    await sleep(10);
  }
}

/**
 * Puts the write-back of the rows a variant just wrote behind us, before the next variant's
 * window: VACUUM (ANALYZE) of the order tables (autovacuum would wake for them inside the next
 * window), then a CHECKPOINT, so the checkpointer's flush of those dirty pages does not either.
 * Seen here before it: Postgres using 1.9 s of CPU in the 6.5 s window of an open-loop grab
 * variant that writes no rows at all. CHECKPOINT needs superuser or pg_checkpoint; without
 * either the vacuum alone is done.
 */
export async function settlePostgres(pool) {
  await pool.query('VACUUM (ANALYZE) orders, stock_moves');
  await pool.query('CHECKPOINT').catch(() => {});
}
