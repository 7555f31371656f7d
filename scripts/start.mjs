#!/usr/bin/env node
// `npm start`: bring up everything flashfest needs on this machine and run it (role `all` unless
// FF_ROLE says otherwise):
//   Node ^20.19 and node_modules -> Redis -> Postgres -> client build -> demo festival seed ->
//   `node --import tsx server/src/main.ts`, in this process tree, with REDIS_URL/DATABASE_URL set.
// SIGINT/SIGTERM are forwarded to the server; the private services this script started are
// stopped after the server exits. See README.md "Configuration".
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { buildClient, checkNode, checkNodeModules } from './services/checks.mjs';
import { ensurePostgres } from './services/postgres.mjs';
import { ensureRedis } from './services/redis.mjs';
import { ROOT, die, log, portOpen, run, sleep, warn } from './services/util.mjs';

checkNode();
checkNodeModules('npm start');
process.chdir(ROOT);

/** @type {Array<{ stop: () => Promise<void>, pid?: number }>} */
const services = [];
/** @type {import('node:child_process').ChildProcess | null} */
let server = null;
let stopping = false;
let signals = 0;

async function stopServices() {
  for (const s of services.splice(0).reverse()) await s.stop().catch((err) => warn(`stopping a service: ${err.message}`));
}

async function shutdown(code) {
  stopping = true;
  await stopServices();
  process.exit(code);
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    signals += 1;
    if (server && server.exitCode === null && server.signalCode === null) {
      // first signal: the server shuts down gracefully; the third one ends it at once
      const send = signals >= 3 ? 'SIGKILL' : sig;
      if (signals === 1) log(`${sig}: stopping the server`);
      try { process.kill(server.pid, send); } catch { /* already gone */ }
    } else if (!stopping) {
      void shutdown(128 + (os.constants.signals[sig] ?? 1));
    }
  });
}
// Last resort (an exception in this script): do not leave private servers behind.
process.on('exit', () => {
  if (server && server.exitCode === null) try { process.kill(server.pid, 'SIGTERM'); } catch { /* gone */ }
  for (const s of services) if (s.pid) try { process.kill(s.pid, 'SIGTERM'); } catch { /* gone */ }
});

const redis = await ensureRedis();
services.push(redis);
const pg = await ensurePostgres({ database: 'flashfest' });
services.push(pg);

const env = {
  ...process.env,
  FF_ROLE: process.env.FF_ROLE || 'all',
  REDIS_URL: redis.url,
  DATABASE_URL: pg.url,
};
const port = Number(env.PORT || 8080);
const url = env.PUBLIC_URL || `http://localhost:${port}`;
const servesHttp = env.FF_ROLE === 'all' || env.FF_ROLE === 'gateway';

if (!(await buildClient())) warn('continuing without a fresh client build: the pages may be missing or stale');

if (process.env.FF_DEMO === '0') {
  log('FF_DEMO=0: not seeding the demo festival');
} else {
  const code = await run(process.execPath, ['--import', 'tsx', 'scripts/seed-demo.ts'], { env });
  if (code !== 0) {
    warn(`seeding the demo festival failed (exit ${code})`);
    await shutdown(code);
  }
}

const main = path.join(ROOT, 'server', 'src', 'main.ts');
if (!existsSync(main)) {
  warn('server/src/main.ts does not exist yet: nothing to run');
  await shutdown(1);
}
if (servesHttp && port !== 0 && (await portOpen(port))) {
  warn(`port ${port} is already in use: stop what runs there, or start with PORT=<another port>`);
  await shutdown(1);
}

// The server runs in its own process group, so a Ctrl-C reaches it once, through us, and the
// private Redis/Postgres stay up until it has finished shutting down.
server = spawn(process.execPath, ['--import', 'tsx', main], {
  cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true,
});
log(`started the server (role ${env.FF_ROLE}, pid ${server.pid})`);

const exited = new Promise((resolve) => {
  server.on('exit', (code, signal) => resolve(code ?? 128 + (os.constants.signals[signal] ?? 1)));
  server.on('error', (err) => { warn(`could not run the server: ${err.message}`); resolve(1); });
});

if (servesHttp) {
  void (async () => {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && server.exitCode === null && !signals) {
      if (await answers(port)) {
        log(`flashfest is up: open ${url}  (Ctrl-C stops it)`);
        log(`  ops board     ${url}/ops    token: ${env.OPS_TOKEN ? '(your OPS_TOKEN)' : 'flashfest-ops-dev-token (the development default; set OPS_TOKEN)'}`);
        log(`  brand console ${url}/brand  key: the demo key printed above, or npm run brand:create`);
        return;
      }
      await sleep(250);
    }
    if (server.exitCode === null && !signals) warn(`the server has not answered on port ${port} after 2 minutes`);
  })();
}

const code = await exited;
if (signals === 0 && code !== 0) warn(`the server exited with code ${code}`);
stopping = true;
await stopServices();
process.exit(signals > 0 && (code === 130 || code === 143) ? 0 : code);

/** Whether anything HTTP answers on 127.0.0.1:port (status does not matter). */
function answers(p) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: p, path: '/healthz', timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.on('error', () => resolve(false));
  });
}
