// `npm run bench:lua [-- --batch=36,300 --rounds=3 --grabs=200000] [variant.lua ...]`
// Redis CPU per grab of the grab-batch script at a few batch sizes: the cost inside Redis, the
// one resource every gateway shares for a hot deal. Calls the script with 4 in flight on one
// fresh deal (stock and limit never reached, 2,000 shoppers), so its hashes grow as a sale's
// do, and reads redis-server's own CPU (INFO cpu) before and after. Given .lua files, it runs
// them and the engine's script alternately, round by round, to compare a change on the same
// Redis in the same minutes; prints the median and range per script and batch size.
// Redis must be local and otherwise idle (REDIS_URL, default 127.0.0.1:6379); it writes only
// under its own prefix and deletes it after each run.
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { answerHelp } from '../scripts/services/usage.mjs';

answerHelp(`
usage: npm run bench:lua [-- --batch=1,36,300 --rounds=3 --grabs=200000] [variant.lua ...]

Redis CPU per grab of the grab-batch Lua script at a few batch sizes, read from redis-server's
own INFO cpu; given .lua files, runs them and the engine's script alternately to compare.
Redis must be local and otherwise idle (REDIS_URL, default 127.0.0.1:6379).

  --batch=LIST   batch sizes (default 1,36,300)
  --rounds=N     rounds per script and batch size (default 3)
  --grabs=N      grabs per run (default 200000)
  --help, -h     this text`);

const ENGINE_SCRIPT = new URL('../server/src/stock/lua/grab-batch-5.lua', import.meta.url).pathname;
const argv = process.argv.slice(2);
const option = (name, dflt) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const batches = option('batch', '1,36,300').split(',').map(Number);
const rounds = Number(option('rounds', 3));
const grabsPerRun = Number(option('grabs', 200_000));
const scripts = [ENGINE_SCRIPT, ...argv.filter((a) => !a.startsWith('--'))];
if (batches.some((b) => !(b >= 1)) || !(rounds >= 1) || !(grabsPerRun >= 1)) {
  console.error('bench:lua: --batch=<n,...> --rounds=<n> --grabs=<n>, all positive');
  process.exit(2);
}

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const shas = [];
for (const file of scripts) shas.push(await redis.script('LOAD', readFileSync(file, 'utf8')));

async function redisCpuSeconds() {
  const info = await redis.info('cpu');
  return [...info.matchAll(/^used_cpu_(?:sys|user):([\d.]+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** Redis CPU µs per grab of one script at one batch size, on a fresh deal. */
async function measure(sha, batch) {
  const prefix = `ffbench:lua:${process.pid}:{d:1}`;
  const keys = ['deal', 'rids', 'per', 'holds', 'exp'].map((k) => `${prefix}:${k}`);
  await redis.hset(keys[0], { id: '1', festival: '1', stock: 1e12, available: 1e12, held: 0, sold: 0, seq: 0,
    limit: 1e12, holdMs: 600_000, startsAt: 0, endsAt: 9e15, status: 'open' });
  const calls = Math.max(1, Math.round(grabsPerRun / batch));
  let rid = 0;
  const call = () => {
    const args = [];
    for (let i = 0; i < batch; i++, rid++) args.push(`s${rid % 2000}`, 1, String(rid));
    return redis.evalsha(sha, 5, ...keys, '1', batch, 1, '1', ...args);
  };
  const before = await redisCpuSeconds();
  const inFlight = [];
  for (let c = 0; c < calls; c++) {
    inFlight.push(call());
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const used = (await redisCpuSeconds()) - before;
  await redis.unlink(...keys);
  return (used / (calls * batch)) * 1e6;
}

const results = scripts.map(() => batches.map(() => []));
for (let round = 0; round < rounds; round++) {
  for (const [b, batch] of batches.entries()) {
    for (const [s, sha] of shas.entries()) results[s][b].push(await measure(sha, batch));
  }
}
redis.disconnect();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`Redis CPU µs per grab (median (min-max) of ${rounds} rounds, ~${grabsPerRun.toLocaleString('en')} grabs each, 4 calls in flight)`);
console.log(`| script | ${batches.map((b) => `batch ${b}`).join(' | ')} |`);
console.log(`|---|${batches.map(() => '---').join('|')}|`);
for (const [s, file] of scripts.entries()) {
  const cells = results[s].map((xs) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`);
  console.log(`| ${s === 0 ? 'engine: grab-batch-5.lua' : file} | ${cells.join(' | ')} |`);
}
