// npm run reconcile [-- --json]
// Checks Redis against Postgres once (see server/src/scheduler/reconcile.ts): prints a table
// per deal (Redis counters, orders and stock ledger units) and a summary, re-admits lost orders
// and expiries, and exits 1 on any invariant violation (stock or ledger). It writes nothing to
// Postgres: final counters are the leader's to refresh.
import { loadConfig } from '../server/src/config.ts';
import { createRedis } from '../server/src/redis.ts';
import { createPool } from '../server/src/db/pool.ts';
import { createLogger } from '../server/src/logger.ts';
import { reconcile } from '../server/src/scheduler/reconcile.ts';
import { answerHelp } from './services/usage.mjs';

answerHelp(`
usage: npm run reconcile [-- --json]

Checks Redis against Postgres once (REDIS_URL, DATABASE_URL, KEY_PREFIX, DB_SCHEMA as the server):
a table per deal and a summary, lost orders and expiries re-admitted. Exit 1 on any invariant
violation, 2 when it could not run.

  --json       the report as JSON on stdout, no logs
  --help, -h   this text`);
const unknown = process.argv.slice(2).filter((a) => a !== '--json');
if (unknown.length) {
  console.error(`reconcile: unknown argument ${JSON.stringify(unknown[0])} (npm run reconcile -- --help)`);
  process.exit(2);
}
const json = process.argv.includes('--json');
const config = loadConfig();
const logger = createLogger(json ? 'silent' : config.logLevel, { role: 'reconcile' });
const redis = createRedis(config);
const pool = createPool(config, 2);

let exitCode = 0;
try {
  const report = await reconcile({
    redis, pool, keyPrefix: config.keyPrefix, admissionShards: config.admissionShards, stockBucketUnits: config.stockBucketUnits, logger,
  });
  if (json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    if (report.perDeal.length) console.table(report.perDeal);
    for (const v of report.details) console.error(`VIOLATION deal ${v.dealId} [${v.kind}]: ${v.detail}`);
    const { perDeal: _p, details: _d, ...summary } = report;
    console.table([summary]);
  }
  if (report.violations > 0) exitCode = 1;
} catch (err) {
  console.error(`reconcile failed: ${(err as Error).message}`);
  exitCode = 2;
} finally {
  await pool.end().catch(() => {});
  redis.disconnect();
}
process.exit(exitCode);
