#!/usr/bin/env node
// `npm test [-- vitest args]`: bring up what the tests need and run the whole suite.
//   Node ^20.19 and node_modules -> Redis and Postgres (database `test`; TEST_REDIS_URL /
//   TEST_DATABASE_URL, else REDIS_URL / DATABASE_URL, else found or started like `npm start`) ->
//   Chromium at /usr/bin/chromium (installed with apt-get when we are root) -> client build ->
//   typecheck (tsc) -> `vitest run --config vitest.config.ts <args>`.
// Exits with vitest's code (or 1 when vitest passed but the build or the typecheck failed), and
// ends with one line "tests: N passed, N failed, N skipped".
// FF_TYPECHECK=0 skips the typecheck (quicker when iterating on one file). FF_REDIS_CLUSTER=1 runs
// the suite against a private local 3-master Redis Cluster (or REDIS_CLUSTER_NODES when set).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildClient, checkNode, checkNodeModules, ensureChromium } from './services/checks.mjs';
import { ensurePostgres } from './services/postgres.mjs';
import { ensureRedis } from './services/redis.mjs';
import { startRedisCluster } from './services/redis-cluster.mjs';
import { answerHelp } from './services/usage.mjs';
import { ROOT, bin, log, run, warn } from './services/util.mjs';

answerHelp(`
usage: npm test [-- <vitest arguments>]

Brings up what the tests need (Redis, Postgres database "test", Chromium, the client build),
typechecks, then runs the whole suite; the last line is "tests: N passed, N failed, N skipped".
Arguments go to vitest, e.g. npm test -- server/test/scripts/start.test.ts -t "SIGTERM"
(npx vitest --help lists vitest's own).

  FF_TYPECHECK=0                           skip the typecheck (quicker while iterating)
  FF_REDIS_CLUSTER=1                       run against a private local 3-master Redis Cluster
  TEST_REDIS_URL, TEST_DATABASE_URL        Redis and Postgres for the tests (README "Configuration")`);

const started = Date.now();
checkNode();
checkNodeModules('npm test');
process.chdir(ROOT);

const services = [];
let stopping = false;
async function stopServices() {
  for (const s of services.splice(0).reverse()) await s.stop().catch((err) => warn(`stopping a service: ${err.message}`));
}
let current = null; // the running step (vite, tsc, vitest): it ends on the signal, we clean up after
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (current) {
      // a Ctrl-C reaches the child from the terminal already; a signal sent to us alone
      // (a CI timeout, kill) is passed on
      if (current !== true && current.exitCode === null) try { current.kill(sig); } catch { /* gone */ }
      return;
    }
    if (stopping) return;
    stopping = true;
    void stopServices().then(() => process.exit(128 + (os.constants.signals[sig] ?? 1)));
  });
}
process.on('exit', () => {
  for (const s of services) if (s.pid) try { process.kill(s.pid, 'SIGTERM'); } catch { /* gone */ }
});

/** The suite on a Redis Cluster: REDIS_CLUSTER_NODES as given, or with FF_REDIS_CLUSTER=1 a
 *  private 3-master cluster started here (stopped with the run). '' = a single Redis. */
async function clusterForTests() {
  const given = process.env.TEST_REDIS_CLUSTER_NODES || process.env.REDIS_CLUSTER_NODES || '';
  if (given) {
    log(`redis: using the cluster at ${given}`);
    return given;
  }
  if (process.env.FF_REDIS_CLUSTER !== '1') return '';
  const c = await startRedisCluster({ masters: 3 });
  services.push(c);
  log(`redis: started a private 3-master Redis Cluster at ${c.nodes} (FF_REDIS_CLUSTER=1)`);
  return c.nodes;
}

async function step(cmd, args, opts = {}) {
  current = true;
  try {
    return await run(cmd, args, { ...opts, onChild: (c) => { current = c; } });
  } finally {
    current = null;
  }
}

const redis = await ensureRedis({
  envUrl: process.env.TEST_REDIS_URL || process.env.REDIS_URL,
  label: process.env.TEST_REDIS_URL ? 'TEST_REDIS_URL' : 'REDIS_URL',
});
services.push(redis);
const cluster = await clusterForTests();
const pg = await ensurePostgres({
  envUrl: process.env.TEST_DATABASE_URL || process.env.DATABASE_URL,
  label: process.env.TEST_DATABASE_URL ? 'TEST_DATABASE_URL' : 'DATABASE_URL',
  database: 'test',
  pgliteDir: null, // a PGlite fallback for tests lives in memory: fresh every run
});
services.push(pg);

await ensureChromium();

const failures = [];
current = true;
const built = await buildClient();
current = null;
if (!built) failures.push('the client build');

if (process.env.FF_TYPECHECK === '0') {
  log('typecheck: skipped (FF_TYPECHECK=0)');
} else {
  const projects = ['tsconfig.json', 'client/tsconfig.json'].filter((p) => existsSync(path.join(ROOT, p)));
  for (const p of projects) {
    log(`typecheck: tsc -p ${p} --noEmit`);
    const code = await step(bin('tsc'), ['-p', p, '--noEmit']);
    if (code !== 0) failures.push(`the typecheck of ${p}`);
  }
}

// Vitest: the project's config and reporters, plus a JSON report we read for the closing line
// (unless the caller chose reporters).
const args = process.argv.slice(2);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'flashfest-test-'));
const jsonReport = path.join(tmp, 'vitest.json');
const ownReporters = args.some((a) => a.startsWith('--reporter'));
const vitestArgs = ['run', '--config', 'vitest.config.ts'];
if (!ownReporters) vitestArgs.push('--reporter=default', '--reporter=json', `--outputFile.json=${jsonReport}`);
vitestArgs.push(...args);

const env = {
  ...process.env,
  TEST_REDIS_URL: redis.url,
  TEST_DATABASE_URL: pg.url,
  REDIS_URL: redis.url,
  DATABASE_URL: pg.url,
  TEST_REDIS_CLUSTER_NODES: cluster,
  REDIS_CLUSTER_NODES: cluster,
};
log(`vitest ${vitestArgs.join(' ')}`);
const vitestCode = await step(bin('vitest'), vitestArgs, { env });

let summary = null;
try {
  const r = JSON.parse(readFileSync(jsonReport, 'utf8'));
  summary = {
    passed: r.numPassedTests ?? 0,
    failed: r.numFailedTests ?? 0,
    skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0),
  };
} catch { /* the caller's reporters, or vitest did not get that far */ }
rmSync(tmp, { recursive: true, force: true });

stopping = true;
await stopServices();

const secs = Math.round((Date.now() - started) / 1000);
if (failures.length) warn(`failed: ${failures.join(', ')}`);
log(`done in ${secs} s; vitest exited with ${vitestCode}`);
if (summary) console.log(`tests: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped`);
process.exit(vitestCode !== 0 ? vitestCode : failures.length ? 1 : 0);
