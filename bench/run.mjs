// `npm run bench [-- <scenario>... ] [--big] [--runs=N] [--seconds=S] [--max-rate=N] [--smoke] [--cluster] [--report]`
// Runs the scenarios (grab, storm, drain, fanout, http, slowreaders, hotdeal, room; all by default) against flashfest and
// the baselines in bench/baselines, on the same Redis and Postgres in the same run, and writes
// bench/results/latest.{json,md,svg} (a part, e.g. `grab`, or --big: bench/results/grab-big.*;
// --smoke: a temp dir, nothing committed). --cluster: each chosen scenario (default grab, storm,
// drain) runs on the single Redis and then on a private local 3-master Redis Cluster, in the same
// run (the cluster's rows are named `<scenario>@cluster`); hotdeal compares the two itself. Exits 1 when a correctness
// check fails (oversell, duplicate, lost order), whatever the timings.
import { writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ensureServices, machineFacts, onCluster, ROOT } from './lib/env.mjs';
import { buildReport } from './lib/report.mjs';
import { grabScenario, grabVariantError } from './scenarios/grab.mjs';
import { stormScenario } from './scenarios/storm.mjs';
import { drainScenario } from './scenarios/drain.mjs';
import { fanoutScenario } from './scenarios/fanout.mjs';
import { httpScenario } from './scenarios/http.mjs';
import { slowReadersScenario } from './scenarios/slow-readers.mjs';
import { hotDealScenario } from './scenarios/hot-deal.mjs';
import { roomScenario } from './scenarios/room.mjs';
import { answerHelp } from '../scripts/services/usage.mjs';

const SCENARIOS = { grab: grabScenario, storm: stormScenario, drain: drainScenario, fanout: fanoutScenario, http: httpScenario, slowreaders: slowReadersScenario, hotdeal: hotDealScenario, room: roomScenario };

answerHelp(`
usage: npm run bench [-- <scenario>...] [--big] [--runs=N] [--seconds=S] [--max-rate=N]
                     [--variants=ff,a,...] [--smoke] [--cluster] [--report]
       npm run bench:smoke

Runs the scenarios (${Object.keys(SCENARIOS).join(', ')}; all by default) against flashfest
and the baselines in bench/baselines on the same Redis and Postgres, and writes
bench/results/latest.{json,md,svg}. Exit 1 when a correctness check fails (oversell, duplicate,
lost order), whatever the timings.

  <scenario>       only these scenarios (writes bench/results/<scenario>.*)
  --big            the big grab run (bench/results/grab-big.*)
  --runs=N         runs per variant (default 3; 1 with --smoke)
  --seconds=S      seconds per run (default 5)
  --max-rate=N     open-loop variants sweep up to N grabs/s instead of this run's closed-loop rate
  --variants=LIST  only these engines/baselines, e.g. ff,a,ff@0.25
  --smoke          seconds per scenario, correctness only, results in a temp dir (CI)
  --cluster        also on a private local 3-master Redis Cluster, same run (default scenarios:
                   grab, storm, drain, hotdeal; results in bench/results/<scenarios>-cluster.*)
  --report         re-render latest.md and latest.svg from latest.json, run nothing
  --help, -h       this text`);
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const value = (name, dflt) => {
  const a = argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : dflt;
};
const smoke = flag('smoke');
const cluster = flag('cluster');
const opts = {
  smoke, big: flag('big'),
  runs: value('runs', smoke ? 1 : 3),
  durationMs: value('seconds', 5) * 1000,
  // --max-rate=N: the open-loop variants (the sweep) take N grabs/s as the maximum instead
  // of the rate this run's closed loop measured (to compare changes at one fixed load)
  maxRate: value('max-rate', undefined),
  // --variants=ff,a,ff@0.25: only these engines/baselines, closed or open loop (for iterating)
  variants: argv.find((x) => x.startsWith('--variants='))?.split('=')[1].split(','),
};
const chosen = argv.filter((a) => !a.startsWith('--'));
for (const c of chosen) if (!SCENARIOS[c]) { console.error(`bench: unknown scenario "${c}" (one of ${Object.keys(SCENARIOS).join(', ')})`); process.exit(2); }
const names = chosen.length ? chosen : cluster ? ['grab', 'storm', 'drain', 'hotdeal'] : Object.keys(SCENARIOS);
/** scenarios that compare the single Redis and the cluster inside one run of their own */
const COMPARES_ITSELF = new Set(['hotdeal']);
for (const v of opts.variants ?? []) {
  const problem = grabVariantError(v);
  if (problem) { console.error(`bench: ${problem}`); process.exit(2); }
}
const log = (m) => console.log(`bench: ${m}`);

if (flag('report')) {
  // re-render latest.md / latest.svg from latest.json (after a change to the report only)
  const { readFileSync } = await import('node:fs');
  const dir = path.join(ROOT, 'bench', 'results');
  const doc = JSON.parse(readFileSync(path.join(dir, 'latest.json'), 'utf8'));
  const report = buildReport(doc);
  writeFileSync(path.join(dir, 'latest.md'), report.markdown);
  writeFileSync(path.join(dir, 'latest.svg'), report.svg);
  console.log(report.markdown);
  process.exit(0);
}

const started = Date.now();
const services = await ensureServices({ cluster });
const facts = await collectFacts(services);
log(`${facts.machine.cores} cores, Node ${facts.machine.node}, Redis ${facts.redis}, ${facts.postgres.split(' on ')[0]}; runs ${opts.runs}${opts.big ? ', big' : ''}${smoke ? ', smoke' : ''}${cluster ? `, and on a 3-master cluster (${services.clusterNodes})` : ''}`);
const results = [];
let failed = false;
const runs = names.flatMap((name) => cluster && !COMPARES_ITSELF.has(name)
  ? [{ name, label: name, services }, { name, label: `${name}@cluster`, services: onCluster(services) }]
  : [{ name, label: name, services }]);
for (const { name, label, services: where } of runs) {
  const t0 = Date.now();
  try {
    const r = await SCENARIOS[name]({ opts, services: where, log: (m) => log(label === name ? m : `[cluster] ${m}`) });
    if (label !== name) Object.assign(r, { name: label, title: `${r.title}, on a local 3-master Redis Cluster` });
    r.seconds = Math.round((Date.now() - t0) / 1000);
    results.push(r);
    for (const e of r.errors ?? []) { console.error(`bench: FAILED ${label}: ${e}`); failed = true; }
    for (const w of r.warnings ?? []) console.warn(`bench: warning ${label}: ${w}`);
  } catch (err) {
    console.error(`bench: scenario ${label} crashed:`, err);
    results.push({ name: label, title: label, rows: {}, errors: [`crashed: ${err.message}`], seconds: Math.round((Date.now() - t0) / 1000) });
    failed = true;
  }
}
const doc = {
  when: new Date().toISOString(), options: { ...opts, scenarios: names }, facts, results,
  seconds: Math.round((Date.now() - started) / 1000), ok: !failed,
};
const report = buildReport(doc);
const dir = smoke ? os.tmpdir() : path.join(ROOT, 'bench', 'results');
mkdirSync(dir, { recursive: true });
// the full default run is `latest` (README's table); a part or --big gets its own name
const partial = chosen.length > 0 || opts.big || opts.variants || cluster;
const base = smoke ? 'flashfest-bench-smoke' : partial ? `${names.join('+')}${opts.big ? '-big' : ''}${cluster ? '-cluster' : ''}` : 'latest';
writeFileSync(path.join(dir, `${base}.json`), JSON.stringify({ ...doc, summary: report.summary }, null, 2) + '\n');
writeFileSync(path.join(dir, `${base}.md`), report.markdown);
if (!smoke) writeFileSync(path.join(dir, `${base}.svg`), report.svg);
console.log('\n' + report.markdown);
log(`wrote ${path.relative(ROOT, dir) || '.'}/${base}.{json,md${smoke ? '' : ',svg'}} in ${doc.seconds} s`);
await services.stop();
if (failed) {
  console.error('bench: FAILED: a correctness check failed (see above)');
  process.exit(1);
}
process.exit(0);

async function collectFacts(services) {
  const redis = new Redis(services.redisUrl);
  const info = await redis.info('server');
  redis.disconnect();
  const client = new pg.Client({ connectionString: services.databaseUrl });
  await client.connect();
  const { rows } = await client.query('SELECT version()');
  await client.end();
  const tool = (cmd, args) => { try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0].trim(); } catch (e) { return (e.stdout || e.stderr || '').split('\n')[0].trim() || null; } };
  const pkg = (name) => { try { return JSON.parse(execFileSync('node', ['-p', `JSON.stringify(require('${name}/package.json').version)`], { cwd: ROOT, encoding: 'utf8' })); } catch { return null; } };
  return {
    machine: machineFacts(),
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? '?',
    postgres: rows[0].version,
    tools: {
      autocannon: pkg('autocannon'), ws: pkg('ws'), 'socket.io': pkg('socket.io'), ioredis: pkg('ioredis'), bullmq: pkg('bullmq'),
      wrk: tool('wrk', ['-v']), 'redis-benchmark': tool('redis-benchmark', ['--version']),
    },
  };
}
