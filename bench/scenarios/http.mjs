// Scenario 5, HTTP: GET /api/festivals/current and /healthz on a flashfest gateway against
// baseline c's node:http server (the usual: query Postgres on every request), with autocannon
// (one Node process; tops out near 47k req/s here) and wrk (C, one thread), each for a fixed
// time. Which tool limited a figure: when autocannon's process sits at 100% CPU, it did.
import { ROOT, createNamespace, seedDeal, spawnNode, startEngine } from '../lib/env.mjs';
import { runCmd } from './grab.mjs';
import { existsSync } from 'node:fs';

export async function httpScenario(ctx) {
  const { opts, services } = ctx;
  const seconds = opts.smoke ? 1 : 4;
  const conns = 100;
  const rows = {};
  const put = (metric, variant, v) => { ((rows[metric] ??= {})[variant] ??= []).push(v); };
  const errors = [];
  const warnings = [];
  const hasWrk = existsSync('/usr/bin/wrk') || existsSync('/usr/local/bin/wrk');
  if (!hasWrk) warnings.push('wrk is not installed (apt-get install -y wrk): autocannon figures only');
  const ns = await createNamespace(services);
  await seedDeal(ns, { stock: 100, limit: 2 });
  const engine = await startEngine(ns, { gateways: 1, worker: false });
  const c = await spawnNode(['bench/baselines/http-pg-server.mjs'], { ...ns.env, PORT: '0' }, { ready: /baseline ready: \S+ :(\d+)/, name: 'baseline c' });
  const base = { ff: `http://127.0.0.1:${engine.ports[0]}`, c: `http://127.0.0.1:${c.match[1]}` };
  try {
    for (let run = 0; run < opts.runs; run++) {
      for (const path of ['/api/festivals/current', '/healthz']) {
        for (const v of ['ff', 'c']) {
          ctx.log(`http: run ${run + 1}/${opts.runs} ${v} ${path}`);
          const ac = JSON.parse((await runCmd(process.execPath, [`${ROOT}/node_modules/autocannon/autocannon.js`, '-j', '-c', String(conns), '-d', String(seconds), base[v] + path])).replace(/^[^{]*/, ''));
          const ok = ac['2xx'] ?? 0;
          if (ac.non2xx || ac.errors) errors.push(`${v} ${path}: ${ac.non2xx} non-2xx, ${ac.errors} errors (autocannon)`);
          put(`GET ${path} req/s, autocannon`, v, ok / ac.duration);
          put(`GET ${path} p99 ms, autocannon`, v, ac.latency.p99);
          if (hasWrk) {
            const out = await runCmd('wrk', ['-t1', `-c${conns}`, `-d${seconds}s`, '--latency', base[v] + path]);
            const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
            const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out);
            const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
            if (non2xx) errors.push(`${v} ${path}: ${non2xx} non-2xx (wrk)`);
            put(`GET ${path} req/s, wrk`, v, rps);
            if (p99) put(`GET ${path} p99 ms, wrk`, v, Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1));
          }
        }
      }
    }
  } finally {
    await c.stop();
    await engine.stop();
    await ns.cleanup();
  }
  return {
    name: 'http',
    title: 'HTTP API',
    load: `${conns} keep-alive connections for ${seconds} s per figure; autocannon ${'8'} (one Node process, its own ceiling is ~47k req/s here) and wrk -t1 (C). `
      + 'flashfest: one gateway (uWebSockets.js; /api/festivals/current = one indexed Postgres query + the cached festival view; /healthz = Redis PING + SELECT 1). '
      + 'c: node:http, the same two routes querying Postgres (and Redis for /healthz) per request.',
    labels: { ff: 'flashfest gateway', c: 'c: node:http, Postgres per request' },
    rows, errors, warnings,
  };
}
