// The deployment under test: a private redis-server with an append-only file (fsync every
// second, as production runs it) on a free port, a fresh Postgres schema, and the engine as real
// processes, two of each role, all with the same KEY_PREFIX / DB_SCHEMA / REDIS_URL /
// DATABASE_URL. Every process is ours: killed by its own pid, never by name.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { ensurePostgres } from '../../scripts/services/postgres.mjs';
import { startPrivateRedis, freePort } from '../../server/test/helpers/private-redis.ts';
import { loadConfig } from '../../server/src/config.ts';
import { createPool } from '../../server/src/db/pool.ts';
import { migrate } from '../../server/src/db/migrate.ts';
import { schedulerKeys } from '../../server/src/scheduler/keys.ts';
import { ROOT, children } from '../lib/env.mjs';

export const SECRET = 'flashfest-chaos-secret-0123456789abcdef';
const READY = /flashfest ready: /;

/** Starts Redis and the Postgres namespace; the engine processes come with `startEngine`. */
export async function startCluster({ reconcileMs }) {
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'ff-chaos-'));
  const redis = await startPrivateRedis({ aof: true });
  const pgService = await ensurePostgres({
    envUrl: process.env.CHAOS_DATABASE_URL || process.env.DATABASE_URL, label: 'DATABASE_URL', database: 'test', pgliteDir: null,
  });
  const id = randomBytes(4).toString('hex');
  const env = {
    REDIS_URL: redis.url, DATABASE_URL: pgService.url, KEY_PREFIX: `chaos${id}`, DB_SCHEMA: `chaos_${id}`,
    SESSION_SECRET: SECRET, LOG_LEVEL: 'warn', NODE_ENV: 'development',
    // one load socket is a shopper, but the storm sends its grabs faster than a person would
    RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000', FLOOD_CLOSE_AFTER: '1000000',
    // the settle phase waits for reconcile's re-admissions: run it often
    RECONCILE_INTERVAL_MS: String(reconcileMs),
  };
  const config = loadConfig(env);
  const pool = createPool(config, 4);
  await migrate(pool, config.dbSchema);
  // the checker's own connection: no offline queue, so a read during an outage fails at once
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1, enableAutoPipelining: false });
  client.on('error', () => {});
  return {
    env, config, pool, redis: client, privateRedis: redis, logDir,
    async stop({ keepLogs }) {
      client.disconnect();
      await pool.query(`DROP SCHEMA IF EXISTS ${config.dbSchema} CASCADE`).catch(() => {});
      await pool.end().catch(() => {});
      await redis.stop();
      await pgService.stop?.();
      if (!keepLogs) rmSync(logDir, { recursive: true, force: true });
    },
  };
}

/**
 * One engine process: `node --import tsx server/src/main.ts` with FF_ROLE. Output goes to a log
 * file per start. `kill9()` is SIGKILL to its pid; `start()` starts it again with the same env
 * (a gateway keeps its port, so shoppers can come back to it).
 */
export function engineProcess(cluster, role, index, extraEnv = {}) {
  const name = `${role}-${index}`;
  let child = null;
  let starts = 0;
  const proc = {
    name, role, index,
    get pid() { return child?.pid ?? null; },
    get alive() { return child !== null && child.exitCode === null && child.signalCode === null; },
    async start() {
      starts++;
      const log = createWriteStream(path.join(cluster.logDir, `${name}.${starts}.log`));
      // CHAOS_CPU_PROF=<dir>: each engine process under node --cpu-prof (written when it exits
      // by itself; a process killed with -9 leaves no profile). Node's file names carry the pid
      // (the output names each process's pids) and the thread: a fixed name would be written by
      // tsx's loader thread too, over the main thread's profile.
      const prof = process.env.CHAOS_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CHAOS_CPU_PROF}`] : [];
      const c = spawn(process.execPath, [...prof, '--import', 'tsx', 'server/src/main.ts'], {
        cwd: ROOT, env: { ...process.env, ...cluster.env, FF_ROLE: role, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = c;
      children.add(c);
      c.once('exit', () => children.delete(c));
      c.stdout.pipe(log);
      c.stderr.pipe(log);
      await new Promise((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`${name} not ready after 120 s (log ${cluster.logDir}/${name}.${starts}.log)`)), 120_000);
        const onData = (b) => {
          out += b.toString();
          if (READY.test(out)) { clearTimeout(timer); c.stdout.off('data', onData); c.stderr.off('data', onData); resolve(); }
          else if (out.length > 100_000) out = out.slice(-50_000);
        };
        c.stdout.on('data', onData);
        c.stderr.on('data', onData);
        c.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`${name} exited (${code ?? sig}) before ready:\n${out.slice(-1500)}`)); });
      });
      return proc;
    },
    kill9() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => { c.once('exit', () => resolve()); c.kill('SIGKILL'); });
    },
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
  return proc;
}

/** Two schedulers (the first to start leads), two workers, two gateways on ports of their own. */
export async function startEngine(cluster) {
  const ports = [await freePort(), await freePort()];
  const schedulers = [0, 1].map((i) => engineProcess(cluster, 'scheduler', i));
  const workers = [0, 1].map((i) => engineProcess(cluster, 'worker', i));
  const gateways = ports.map((port, i) => engineProcess(cluster, 'gateway', i, { PORT: String(port), HOST: '127.0.0.1' }));
  const all = [...schedulers, ...workers, ...gateways];
  // a few at a time: six tsx start-ups at once on two shared cores take longer than in turn
  for (let i = 0; i < all.length; i += 2) await Promise.all(all.slice(i, i + 2).map((p) => p.start()));
  return {
    schedulers, workers, gateways, ports, all,
    urls: ports.map((p) => `ws://127.0.0.1:${p}/ws`),
    async stop() { await Promise.all(all.map((p) => p.stop())); },
  };
}

/** The scheduler process that leads now (by the pid in its announced node id), or null. */
export async function currentLeader(cluster, engine) {
  const id = await cluster.redis.get(schedulerKeys(cluster.config.keyPrefix).leader).catch(() => null);
  const pid = Number(id?.split(':')[1]);
  return engine.schedulers.find((s) => s.alive && s.pid === pid) ?? null;
}

/** A brand, a festival and one deal in state `scheduled` opening at `startsAt`: the scheduler
 *  warms it into Redis and opens it, as in production. */
export async function seedDeal(pool, { stock, limit, holdSeconds, startsAt, durationMs }) {
  const brand = await pool.query(`INSERT INTO brands (name) VALUES ('Chaos Brand') RETURNING id`);
  const fest = await pool.query(
    `INSERT INTO festivals (name, starts_at, ends_at) VALUES ('Chaos Festival', to_timestamp($1 / 1000.0), to_timestamp($2 / 1000.0)) RETURNING id`,
    [startsAt - 3_600_000, startsAt + 3_600_000]);
  const deal = await pool.query(
    `INSERT INTO deals (festival_id, brand_id, title, list_price_minor, deal_price_minor, currency, stock,
       per_shopper_limit, hold_seconds, starts_at, ends_at, state)
     VALUES ($1, $2, 'Chaos deal', 199800, 99900, 'PKR', $3, $4, $5, to_timestamp($6 / 1000.0), to_timestamp($7 / 1000.0), 'scheduled')
     RETURNING id`,
    [fest.rows[0].id, brand.rows[0].id, stock, limit, holdSeconds, startsAt, startsAt + durationMs]);
  return { dealId: String(deal.rows[0].id), festivalId: String(fest.rows[0].id) };
}
