#!/usr/bin/env node
// `npm start`: bring up everything flashfest needs on this machine and run it (role `all` unless
// FF_ROLE says otherwise):
//   Node ^20.19 and node_modules -> Redis -> Postgres -> client build -> demo festival seed ->
//   `node --import tsx server/src/main.ts`, in this process tree, with REDIS_URL/DATABASE_URL set.
// The terminal gets short human lines; the server's JSON log goes to FF_LOG_FILE
// (.data/flashfest.log), its warnings and errors summed up on the terminal too.
// A signal to any of npm, this script or the server stops all three: package.json runs this
// script with `exec`, so npm passes SIGINT/SIGTERM to us and not to a shell that would swallow
// them; we forward them to the server; an npm that dies without passing one on is noticed by our
// re-parenting; the server's end ends this script. Private services this script started stop last.
// See README.md "Quick start" and "Configuration".
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { buildClient, checkNode, checkNodeModules } from './services/checks.mjs';
import { firstOpeningLine } from './services/first-opening.mjs';
import { openServerLog, terminalLine } from './services/server-log.mjs';
import { watchParent } from './services/parent-watch.mjs';
import { ensurePostgres } from './services/postgres.mjs';
import { ensureRedis } from './services/redis.mjs';
import { startRedisCluster } from './services/redis-cluster.mjs';
import { answerHelp } from './services/usage.mjs';
import { DATA_DIR, ROOT, log, portOpen, run, sleep, warn } from './services/util.mjs';

answerHelp(`
usage: npm start

Runs flashfest on this machine: finds or starts Redis and Postgres, builds the client when it is
stale, seeds a fresh demo festival whose first deals open 30 s later, then runs the server (role
FF_ROLE, default all) until Ctrl-C, SIGINT or SIGTERM reaches npm, this script or the server.
The terminal shows what happens; the server's JSON log goes to FF_LOG_FILE.

Variables (besides the server's own, README "Configuration"):
  FF_DEMO=0          do not seed the demo festival
  FF_REDIS_CLUSTER=1 run on a private local 3-master Redis Cluster (redis-server from the PATH)
  FF_LOG_FILE=PATH   the server's JSON log (default .data/flashfest.log, the previous run's kept
                     as .data/flashfest.log.1); "-" prints it on the terminal instead
  FF_ALLOW_ANY_NODE=1  warn instead of stopping on a Node other than ^20.19`);

checkNode();
checkNodeModules('npm start');
process.chdir(ROOT);

/** @type {Array<{ stop: () => Promise<void>, pid?: number }>} */
const services = [];
/** @type {import('node:child_process').ChildProcess | null} */
let server = null;
/** a one-shot step running now (client build, seed), stopped with us */
/** @type {import('node:child_process').ChildProcess | null} */
let step = null;
let stopping = false;
let signals = 0;
/** the server has printed its ready line */
let ready = false;
/** a stop asked for before the server was ready, sent to it when it is */
let pendingStop = null;

async function stopServices() {
  for (const s of services.splice(0).reverse()) await s.stop().catch((err) => warn(`stopping a service: ${err.message}`));
}

async function shutdown(code) {
  stopping = true;
  await stopServices();
  log('stopped');
  process.exit(code);
}

const running = (child) => child !== null && child.exitCode === null && child.signalCode === null;

// A Ctrl-C reaches us twice: from the terminal (npm and this script share its process group)
// and from npm, which passes SIGINT/SIGTERM on to its script. One press, one request.
const SAME_PRESS_MS = 500;
let lastSignal = { sig: '', at: 0 };

/** A stop request: a signal (`escalates`: the second forces the server, the third kills it) or npm gone. */
function requestStop(reason, sig, escalates) {
  if (escalates) {
    const now = Date.now();
    const repeat = sig === lastSignal.sig && now - lastSignal.at < SAME_PRESS_MS;
    lastSignal = { sig, at: now };
    if (repeat) return;
  }
  if (escalates) signals += 1;
  else if (signals > 0) return; // already stopping: npm's end is not a second Ctrl-C
  else signals = 1;
  if (running(server)) {
    if (!ready && signals === 1) {
      // its signal handlers are not in place until it is ready: a signal now would kill it
      // mid-boot (a migration, say) instead of stopping it
      pendingStop = sig;
      log(`${reason}: stopping the server as soon as it has started (again to force it)`);
      return;
    }
    const send = signals >= 3 ? 'SIGKILL' : sig;
    if (signals === 1) log(`${reason}: stopping the server`);
    try { process.kill(server.pid, send); } catch { /* already gone */ }
    return;
  }
  if (running(step)) try { step.kill(sig); } catch { /* gone */ }
  if (!stopping) void shutdown(128 + (os.constants.signals[sig] ?? 1));
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => requestStop(sig, sig, true));
watchParent((parent) => requestStop(`its parent process (pid ${parent}, npm or its shell) has exited`, 'SIGTERM', false));
// Last resort (an exception in this script): do not leave the server or private servers behind.
process.on('exit', () => {
  if (running(server)) try { process.kill(server.pid, 'SIGTERM'); } catch { /* gone */ }
  if (running(step)) try { step.kill('SIGTERM'); } catch { /* gone */ }
  for (const s of services) if (s.pid) try { process.kill(s.pid, 'SIGTERM'); } catch { /* gone */ }
});

/** A one-shot child, stopped with us if a signal comes while it runs. */
async function runStep(cmd, args, opts = {}) {
  try {
    return await run(cmd, args, { ...opts, onChild: (c) => { step = c; } });
  } finally {
    step = null;
  }
}

// FF_REDIS_CLUSTER=1: a private local 3-master Redis Cluster instead of the one Redis (nothing
// persisted; stopped with us); REDIS_CLUSTER_NODES set by the caller is used as it is.
let clusterNodes = process.env.REDIS_CLUSTER_NODES || '';
let redisUrl = process.env.REDIS_URL || '';
if (!clusterNodes && process.env.FF_REDIS_CLUSTER === '1') {
  const cluster = await startRedisCluster({ masters: 3 });
  services.push(cluster);
  clusterNodes = cluster.nodes;
  log(`redis: started a private 3-master Redis Cluster at ${clusterNodes} (FF_REDIS_CLUSTER=1, nothing persisted)`);
} else if (clusterNodes) {
  log(`redis: using the cluster at ${clusterNodes} (REDIS_CLUSTER_NODES)`);
} else {
  const redis = await ensureRedis();
  services.push(redis);
  redisUrl = redis.url;
}
const pg = await ensurePostgres({ database: 'flashfest' });
services.push(pg);

const env = {
  ...process.env,
  FF_ROLE: process.env.FF_ROLE || 'all',
  REDIS_URL: redisUrl,
  REDIS_CLUSTER_NODES: clusterNodes,
  DATABASE_URL: pg.url,
};
const port = Number(env.PORT || 8080);
const servesHttp = env.FF_ROLE === 'all' || env.FF_ROLE === 'gateway';

if (!(await buildClient({ runner: runStep })) && !stopping) warn('continuing without a fresh client build: the pages may be missing or stale');

if (process.env.FF_DEMO === '0') {
  log('FF_DEMO=0: not seeding the demo festival');
} else if (!stopping) {
  const code = await runStep(process.execPath, ['--import', 'tsx', 'scripts/seed-demo.ts'], { env });
  if (code !== 0 && !stopping) {
    warn(`seeding the demo festival failed (exit ${code})`);
    await shutdown(code);
  }
}
if (stopping) await new Promise(() => {}); // a signal came during a step: shutdown() exits

const main = path.join(ROOT, 'server', 'src', 'main.ts');
if (!existsSync(main)) {
  warn('server/src/main.ts does not exist yet: nothing to run');
  await shutdown(1);
}
if (servesHttp && port !== 0 && (await portOpen(port))) {
  warn(`port ${port} is already in use: stop what runs there, or start with PORT=<another port>`);
  await shutdown(1);
}

const logTarget = openServerLog(process.env.FF_LOG_FILE ?? path.join(DATA_DIR, 'flashfest.log'));

// The server runs in its own process group, so a Ctrl-C reaches it once, through us, and the
// private Redis/Postgres stay up until it has finished shutting down.
server = spawn(process.execPath, ['--import', 'tsx', '--import', './scripts/services/exit-with-parent.mjs', main], {
  cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'], detached: true,
});
log(`started the server (role ${env.FF_ROLE}, pid ${server.pid}); its log: ${logTarget.name}`);

const exited = new Promise((resolve) => {
  server.on('exit', (code, signal) => resolve(code ?? 128 + (os.constants.signals[signal] ?? 1)));
  server.on('error', (err) => { warn(`could not run the server: ${err.message}`); resolve(1); });
});

const lines = readline.createInterface({ input: server.stdout, crlfDelay: Infinity });
const outputDone = new Promise((resolve) => lines.on('close', resolve));
lines.on('line', (line) => {
  // main.ts prints one plain "flashfest ready: <url>:<port>" (or "role <role>") line when every
  // part has started; scripts and tests wait for it. Here it becomes the one "up" message.
  const m = /^flashfest ready: (?:\S+:(\d+)|role \S+)$/.exec(line);
  if (m && !ready) {
    ready = true;
    logTarget.write(line);
    if (pendingStop) {
      try { process.kill(server.pid, pendingStop); } catch { /* gone */ }
    } else {
      void announceUp(m[1] ? Number(m[1]) : null);
    }
    return;
  }
  logTarget.write(line);
  if (logTarget.toTerminal) return;
  const human = terminalLine(line);
  if (human) (human.toStderr ? process.stderr : process.stdout).write(`${human.text}\n`);
});

void (async () => {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && !ready && running(server) && !signals) await sleep(250);
  if (!ready && running(server) && !signals) warn(`the server is not ready after 2 minutes (see ${logTarget.name})`);
})();

const code = await exited;
await outputDone;
logTarget.close();
if (signals === 0 && code !== 0) warn(`the server exited with code ${code}${logTarget.toTerminal ? '' : ` (see ${logTarget.name})`}`);
else if (signals === 0) log('the server has stopped');
await shutdown(signals > 0 && (code === 130 || code === 143) ? 0 : code);

async function announceUp(listenPort) {
  if (listenPort === null) {
    log(`up (role ${env.FF_ROLE})  (Ctrl-C stops it)`);
    return;
  }
  const url = env.PUBLIC_URL || `http://localhost:${listenPort}`;
  log(`up: open ${url}  (Ctrl-C stops it)`);
  log(`  ops board     ${url}/ops    token: ${env.OPS_TOKEN ? '(your OPS_TOKEN)' : 'flashfest-ops-dev-token (the development default; set OPS_TOKEN)'}`);
  log(`  brand console ${url}/brand  key: the demo key printed above, or npm run brand:create`);
  const line = await firstOpeningLine(`http://127.0.0.1:${listenPort}`, url);
  if (line && !signals) log(line);
}
