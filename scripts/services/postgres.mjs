// Finds a Postgres for flashfest, in this order:
//   1. DATABASE_URL (or the caller's own variable, e.g. TEST_DATABASE_URL) when set;
//   2. a server answering on 127.0.0.1:5432 (FF_PROBE_PG_PORT overrides the port, for tests of this
//      script), as the OS user (pg's default); the database is created when missing;
//   3. a private cluster under .data/pg made with initdb/postgres from the PATH or
//      /usr/lib/postgresql/*/bin, on a free port (as root: run as the `postgres` OS user, since
//      initdb refuses root; skipped when there is no such user);
//   4. embedded PGlite (@electric-sql/pglite-socket) speaking the wire protocol on a free port.
//      For a laptop without Postgres, not for load.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, chownSync, openSync, closeSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { servePglite } from './pglite-server.mjs';
import {
  DATA_DIR, die, ensureDir, freePort, log, pidAlive, portOpen, processLooksLike, readOwner,
  removeFile, runSync, until, warn, which, writeOwner,
} from './util.mjs';

async function loadPg() {
  try {
    return (await import('pg')).default;
  } catch {
    die('the "pg" package is missing: run "npm ci" first');
  }
}

export function defaultPgUser() {
  return process.env.PGUSER || process.env.USER || os.userInfo().username;
}

function pgUrl(user, port, database) {
  return `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

/** Connects once; resolves with a connected client or null (and the error). */
async function tryConnect(config) {
  const pg = await loadPg();
  const client = new pg.Client({ ...config, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return { client };
  } catch (err) {
    await client.end().catch(() => {});
    return { client: null, err };
  }
}

/** CREATE DATABASE when missing, through a connection to an existing maintenance database. */
export async function ensureDatabase({ host = '127.0.0.1', port, user, database }) {
  let got = await tryConnect({ host, port, user, database: 'postgres' });
  if (!got.client && got.err?.code === '3D000') got = await tryConnect({ host, port, user, database: 'template1' });
  if (!got.client) throw got.err;
  const { client } = got;
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`).catch((err) => {
        if (err.code !== '42P04') throw err; // created meanwhile by a sibling
      });
      log(`postgres: created database "${database}"`);
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * @param {{ envUrl?: string, label?: string, database?: string, pgliteDir?: string|null }} opts
 *   pgliteDir: data directory of the PGlite fallback; null keeps it in memory (tests).
 * @returns {Promise<{ url: string, kind: 'env'|'local'|'private'|'pglite', stop: () => Promise<void> }>}
 */
export async function ensurePostgres({
  envUrl = process.env.DATABASE_URL, label = 'DATABASE_URL', database = 'flashfest',
  pgliteDir = path.join(DATA_DIR, 'pglite'),
} = {}) {
  const noop = async () => {};
  if (envUrl) {
    log(`postgres: using ${label} (${envUrl.replace(/\/\/([^@/]*)@/, '//***@')})`);
    return { url: envUrl, kind: 'env', stop: noop };
  }

  // 2. a local server
  const probePort = Number(process.env.FF_PROBE_PG_PORT || 5432);
  if (await portOpen(probePort)) {
    const user = defaultPgUser();
    try {
      await ensureDatabase({ port: probePort, user, database });
      log(`postgres: using the local server at 127.0.0.1:${probePort} (user ${user}, database ${database})`);
      return { url: pgUrl(user, probePort, database), kind: 'local', stop: noop };
    } catch (err) {
      warn(`a Postgres answers on 127.0.0.1:${probePort} but refused user "${user}": ${err.message} (set DATABASE_URL to use it); trying the next option`);
    }
  }

  // 3. a private cluster from the Postgres binaries
  const priv = await tryPrivateCluster(database, probePort);
  if (priv) return priv;

  // 4. embedded PGlite
  return startPglite(database, pgliteDir, probePort);
}

// ---------------------------------------------------------------------------------------------
// private cluster

function findPgBin() {
  if (process.env.FF_SKIP_PG_BINARIES === '1') return null; // internal: to exercise the PGlite path
  let extra = [];
  try {
    extra = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => `/usr/lib/postgresql/${v}/bin`);
  } catch { /* no Debian packages */ }
  const initdb = which('initdb', extra);
  if (!initdb) return null;
  const dir = path.dirname(realpathSync(initdb));
  const postgres = path.join(dir, 'postgres');
  return existsSync(postgres) ? { initdb: realpathSync(initdb), postgres, dir } : null;
}

function osUser(name) {
  const uid = runSync('id', ['-u', name]);
  const gid = runSync('id', ['-g', name]);
  if (uid.status !== 0 || gid.status !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function tryPrivateCluster(database, probePort) {
  const bins = findPgBin();
  if (!bins) return null;
  let as = null; // { uid, gid } when we must drop root
  if (process.getuid?.() === 0) {
    as = osUser('postgres');
    if (!as) {
      warn('found Postgres binaries, but initdb refuses to run as root and there is no "postgres" OS user; skipping the private cluster');
      return null;
    }
  }
  const dir = path.join(DATA_DIR, 'pg');
  const ownerFile = path.join(DATA_DIR, 'pg.owner.json');
  const logFile = path.join(DATA_DIR, 'pg.log');
  const user = 'flashfest';
  ensureDir(DATA_DIR);

  // A cluster already running from .data/pg (a sibling run, or an orphan of a killed run)?
  const running = runningPostmaster(dir);
  if (running) {
    const o = readOwner(ownerFile);
    const shared = o && o.owner !== process.pid && pidAlive(o.owner);
    try {
      await ensureDatabase({ port: running.port, user, database });
    } catch (err) {
      warn(`the private cluster in .data/pg (pid ${running.pid}) does not answer: ${err.message}; skipping it`);
      return null;
    }
    if (shared) {
      log(`postgres: using the private cluster already started by pid ${o.owner} on 127.0.0.1:${running.port} (database ${database})`);
      return { url: pgUrl(user, running.port, database), kind: 'private', stop: async () => {} };
    }
    writeOwner(ownerFile, { pid: running.pid, exe: 'postgres', port: running.port });
    log(`postgres: adopted the private cluster left running in .data/pg on 127.0.0.1:${running.port} (pid ${running.pid}, database ${database})`);
    return { url: pgUrl(user, running.port, database), kind: 'private', stop: stopper(running.pid, null, ownerFile) };
  }

  const spawnOpts = as ? { uid: as.uid, gid: as.gid, env: { ...process.env, HOME: dir, USER: 'postgres', LOGNAME: 'postgres' } } : {};
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (as) chownSync(dir, as.uid, as.gid);
    log(`postgres: initialising a private cluster in .data/pg with ${bins.initdb}${as ? ' (as OS user postgres)' : ''}`);
    const r = runSync(bins.initdb, ['-D', dir, '-A', 'trust', '-U', user, '-E', 'UTF8', '--locale=C', '--no-sync'], { ...spawnOpts, cwd: '/' });
    if (r.status !== 0) {
      warn(`initdb failed (${(r.stderr || r.error?.message || '').trim().split('\n').pop()}); skipping the private cluster`);
      rmSync(dir, { recursive: true, force: true });
      return null;
    }
  }

  const port = await freePort();
  const logFd = openSync(logFile, 'a');
  if (as) chownSync(logFile, as.uid, as.gid);
  const child = spawn(bins.postgres, [
    '-D', dir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=',
  ], { ...spawnOpts, cwd: '/', stdio: ['ignore', logFd, logFd], detached: true });
  closeSync(logFd);
  let exited = false;
  child.on('exit', () => { exited = true; });
  child.on('error', () => { exited = true; });
  writeOwner(ownerFile, { pid: child.pid, exe: 'postgres', port });

  const up = await until(async () => {
    if (exited) throw new Error('exited');
    const { client } = await tryConnect({ host: '127.0.0.1', port, user, database: 'postgres' });
    if (client) await client.end();
    return !!client;
  }, 30_000, 200);
  if (!up) {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
    removeFile(ownerFile);
    warn(`the private Postgres did not start (see .data/pg.log); skipping it`);
    return null;
  }
  await ensureDatabase({ port, user, database });
  log(`postgres: no Postgres at 127.0.0.1:${probePort}; started a private cluster (.data/pg) on 127.0.0.1:${port} (pid ${child.pid}, database ${database})`);
  return { url: pgUrl(user, port, database), kind: 'private', stop: stopper(child.pid, child, ownerFile), pid: child.pid };
}

function runningPostmaster(dir) {
  let lines;
  try {
    lines = readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pidAlive(pid) || !processLooksLike(pid, 'postgres') || !port) return null;
  return { pid, port };
}

function stopper(pid, child, ownerFile) {
  return async () => {
    if (pidAlive(pid) && processLooksLike(pid, 'postgres')) {
      try { process.kill(pid, 'SIGINT'); } catch { /* gone */ } // fast shutdown
      const gone = await until(async () => !pidAlive(pid) || (child && child.exitCode !== null), 15_000, 100);
      if (!gone) {
        warn(`postgres pid ${pid} did not stop; sending SIGQUIT`);
        try { process.kill(pid, 'SIGQUIT'); } catch { /* gone */ }
      }
    }
    removeFile(ownerFile);
  };
}

// ---------------------------------------------------------------------------------------------
// embedded PGlite

async function startPglite(database, dataDir, probePort) {
  let PGlite, PGLiteSocketHandler;
  try {
    ({ PGlite } = await import('@electric-sql/pglite'));
    ({ PGLiteSocketHandler } = await import('@electric-sql/pglite-socket'));
  } catch (err) {
    die(`no Postgres found and embedded PGlite could not load (${err.message}): run "npm ci", or set DATABASE_URL`);
  }
  let ownerFile = null;
  if (dataDir) {
    ensureDir(dataDir);
    ownerFile = `${dataDir}.owner.json`;
    const o = readOwner(ownerFile);
    if (o && o.owner !== process.pid && pidAlive(o.owner)) {
      die(`embedded PGlite data in ${path.relative(process.cwd(), dataDir)} is in use by pid ${o.owner}; stop that run, or set DATABASE_URL`);
    }
    writeOwner(ownerFile, { pid: process.pid, exe: 'node' });
  }
  const t0 = Date.now();
  const db = await PGlite.create(dataDir ?? undefined);
  // One PGlite serves one connection's protocol cycle at a time; many connections may be open
  // (the engine's pools need that), and one inside a transaction holds the others back.
  const server = await servePglite({ db, PGLiteSocketHandler, host: '127.0.0.1', port: 0, maxConnections: 100 });
  const { port } = server;
  log(`postgres: no Postgres at 127.0.0.1:${probePort} and no usable binaries; started embedded PGlite (${dataDir ? path.relative(process.cwd(), dataDir) : 'in memory'}) on 127.0.0.1:${port} in ${Date.now() - t0} ms; fine for a laptop, not for load`);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop().catch(() => {});
    await db.close().catch(() => {});
    if (ownerFile) removeFile(ownerFile);
  };
  // PGlite has one database; the name in the URL is not checked.
  return { url: pgUrl('postgres', port, database), kind: 'pglite', stop };
}
