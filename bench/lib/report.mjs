// Results -> a Markdown table per scenario (median with min-max spread, and per-run ratios of
// flashfest to each baseline) and an SVG bar chart, both generated from the JSON.
import { round, spread } from './stats.mjs';

export const VARIANTS = {
  ff: 'flashfest',
  ff_half: 'flashfest at half rate',
  ff_live: 'flashfest, worker live',
  ff_quarter: 'flashfest at quarter rate',
  ff_perhold: 'flashfest worker, one job per hold (previous design)',
  a: 'a: ws + EVALSHA per grab',
  b: 'b: socket.io + EVALSHA per grab',
  c: 'c: node:http + Postgres row lock',
  d: 'd: redis-benchmark EVALSHA ceiling',
  e_half: 'e: uWS echo, no Redis (latency floor), at half rate',
  wrk: 'flashfest, wrk',
  autocannon: 'flashfest, autocannon',
  c_autocannon: 'c: node:http + pg, autocannon',
  c_wrk: 'c: node:http + pg, wrk',
};
const BASELINES = ['ff_perhold', 'a', 'b', 'c', 'd', 'e_half', 'c_autocannon', 'c_wrk'];

const fmt = (x) => {
  if (x === null || x === undefined) return '–';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
};
const cell = (s) => (s ? (s.n > 1 ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : fmt(s.median)) : '–');

/** per-run ratios ours/baseline for runs where both exist */
function ratios(ours, theirs) {
  if (!ours || !theirs) return null;
  const r = [];
  const n = Math.min(ours.length, theirs.length);
  for (let i = 0; i < n; i++) if (ours[i] && theirs[i]) r.push(ours[i] / theirs[i]);
  // a baseline measured once (or fewer times) against every run of ours
  if (r.length === 0 && theirs.length && ours.length) for (const o of ours) r.push(o / theirs[0]);
  return spread(r);
}

export function buildReport(doc) {
  const lines = [];
  const f = doc.facts;
  lines.push(`# flashfest bench: ${doc.when.slice(0, 19).replace('T', ' ')} UTC`);
  lines.push('');
  lines.push(`Machine: ${f.machine.cores} cores (${f.machine.cpuModel}), ${f.machine.memoryGiB} GiB, ${f.machine.platform}; Node ${f.machine.node}; `
    + `Redis ${f.redis}; ${f.postgres.split(',')[0]}. Load generators, engine, baselines, Redis and Postgres all share these cores.`);
  lines.push(`Tools: ${Object.entries(f.tools).filter(([, v]) => v).map(([k, v]) => `${k} ${String(v).replace(/^redis-benchmark /, '')}`).join(', ')}.`);
  lines.push(`Runs: ${doc.options.runs} per figure${doc.options.big ? ' (--big)' : ''}${doc.options.smoke ? ' (smoke: correctness only)' : ''}; `
    + 'each cell is the median with the min–max of the runs in brackets; a ratio is flashfest / baseline, per run, then the median (min–max) of those. '
    + `Correctness: ${doc.ok ? 'every check passed' : '**FAILED**'}. Whole run ${doc.seconds} s.`);
  lines.push('');
  lines.push(...headline(doc), '');
  const summary = {};
  for (const r of doc.results) {
    lines.push(`## ${r.title}`);
    lines.push('');
    if (r.load) lines.push(`Load: ${r.load}`, '');
    const variants = [...new Set(Object.values(r.rows).flatMap((v) => Object.keys(v)))];
    const ours = variants.filter((v) => !BASELINES.includes(v));
    const theirs = variants.filter((v) => BASELINES.includes(v));
    if (variants.length) {
      const head = ['metric', ...variants.map((v) => r.labels?.[v] ?? VARIANTS[v] ?? v), ...theirs.map((b) => `flashfest / ${b.replace(/_.*/, '')}`)];
      lines.push(`| ${head.join(' | ')} |`);
      lines.push(`|${head.map(() => '---').join('|')}|`);
      for (const [metric, byVariant] of Object.entries(r.rows)) {
        const cells = variants.map((v) => cell(spread(byVariant[v] ?? [])));
        const main = byVariant.ff ?? byVariant[ours[0]];
        const rs = theirs.map((b) => {
          const s = ratios(main, byVariant[b]);
          return s ? `${s.n > 1 ? `${fmt(s.median)}× (${fmt(s.min)}–${fmt(s.max)})` : `${fmt(s.median)}×`}` : '–';
        });
        lines.push(`| ${metric} | ${cells.join(' | ')} | ${rs.join(' | ')} |`);
        for (const v of variants) {
          const s = spread(byVariant[v] ?? []);
          if (s) (summary[r.name] ??= {})[`${metric} [${v}]`] = { median: round(s.median, 3), min: round(s.min, 3), max: round(s.max, 3), n: s.n };
        }
        for (const b of theirs) {
          const s = ratios(main, byVariant[b]);
          if (s) (summary[r.name] ??= {})[`${metric} [ff/${b}]`] = { median: round(s.median, 3), min: round(s.min, 3), max: round(s.max, 3), n: s.n };
        }
      }
      lines.push('');
    }
    if (r.checks?.length) {
      lines.push(`Correctness: ${r.checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.what}`).join('; ')}.`, '');
    }
    for (const n of r.notes ?? []) lines.push(`- ${n}`);
    if (r.notes?.length) lines.push('');
    for (const e of r.errors ?? []) lines.push(`- **FAILED**: ${e}`);
    for (const w of r.warnings ?? []) lines.push(`- warning: ${w}`);
    if (r.errors?.length || r.warnings?.length) lines.push('');
  }
  return { markdown: lines.join('\n') + '\n', svg: chart(doc), summary };
}

/** Bars (median) with min-max whiskers: grab decisions/s per variant, and admission orders/s. */
function chart(doc) {
  const panels = [];
  const grab = doc.results.find((r) => r.name === 'grab')?.rows['decisions/s'];
  if (grab) panels.push({ title: 'Grab decisions per second (WebSockets unless noted)', data: grab, order: ['ff', 'ff_live', 'a', 'b', 'c', 'd'] });
  const drain = doc.results.find((r) => r.name === 'drain')?.rows['orders/s into Postgres'];
  if (drain) panels.push({ title: 'Admission: orders per second into Postgres', data: drain, order: ['ff', 'ff_perhold'] });
  const W = 760, barH = 26, gap = 10, left = 290, right = 90;
  let y = 40;
  const parts = [];
  for (const p of panels) {
    const items = p.order.filter((k) => p.data[k]?.length).map((k) => ({ k, s: spread(p.data[k]) }));
    const max = Math.max(...items.map((i) => i.s.max)) * 1.05 || 1;
    const x = (v) => left + (v / max) * (W - left - right);
    parts.push(`<text x="10" y="${y}" font-size="15" font-weight="bold">${esc(p.title)}</text>`);
    y += 14;
    for (const it of items) {
      const color = it.k.startsWith('ff') && it.k !== 'ff_perhold' ? '#e4572e' : '#7d8597';
      parts.push(`<text x="${left - 8}" y="${y + barH * 0.68}" font-size="12" text-anchor="end">${esc(VARIANTS[it.k] ?? it.k)}</text>`);
      parts.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(it.s.median) - left)}" height="${barH}" fill="${color}"/>`);
      if (it.s.n > 1) {
        const cy = y + barH / 2;
        parts.push(`<line x1="${x(it.s.min)}" x2="${x(it.s.max)}" y1="${cy}" y2="${cy}" stroke="#222" stroke-width="1.5"/>`);
        parts.push(`<line x1="${x(it.s.min)}" x2="${x(it.s.min)}" y1="${cy - 6}" y2="${cy + 6}" stroke="#222"/><line x1="${x(it.s.max)}" x2="${x(it.s.max)}" y1="${cy - 6}" y2="${cy + 6}" stroke="#222"/>`);
      }
      parts.push(`<text x="${x(it.s.max) + 6}" y="${y + barH * 0.68}" font-size="12">${esc(fmt(it.s.median))}</text>`);
      y += barH + gap;
    }
    y += 30;
  }
  const f = doc.facts;
  parts.push(`<text x="10" y="${y}" font-size="11" fill="#555">${esc(`${doc.when.slice(0, 10)}: ${f.machine.cores} cores, Node ${f.machine.node}, Redis ${f.redis}; median of ${doc.options.runs} runs, whiskers min–max. Generated by npm run bench.`)}</text>`);
  y += 14;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" viewBox="0 0 ${W} ${y}" font-family="system-ui, sans-serif">\n<rect width="100%" height="100%" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`;
}

/** The figures the targets are about, one line each, with their spreads: README's table. */
export function headline(doc) {
  const res = (n) => doc.results.find((r) => r.name === n)?.rows ?? {};
  const g = res('grab'), st = res('storm'), dr = res('drain'), fo = res('fanout'), h = res('http');
  const out = ['| figure | flashfest | against the baselines, same run |', '|---|---|---|'];
  const med = (rows, m, v) => spread(rows[m]?.[v] ?? []);
  const vs = (rows, m, v, bs) => bs.map((b) => {
    const s = ratios(rows[m]?.[v], rows[m]?.[b]);
    return s ? `${s.n > 1 ? `${fmt(s.median)}× (${fmt(s.min)}–${fmt(s.max)})` : `${fmt(s.median)}×`} ${b}` : null;
  }).filter(Boolean).join(', ');
  const add = (label, s, unit, against) => { if (s) out.push(`| ${label} | ${cell(s)}${unit} | ${against || '–'} |`); };
  add('grab decisions/s, WebSockets (worker paused: queue absorbs)', med(g, 'decisions/s', 'ff'), '', vs(g, 'decisions/s', 'ff', ['a', 'b', 'c', 'd']));
  add('grab decisions/s, worker writing orders meanwhile', med(g, 'decisions/s', 'ff_live'), '', vs(g, 'decisions/s', 'ff_live', ['a', 'b', 'c', 'd']));
  for (const [v, what] of [['ff_half', 'half'], ['ff_quarter', 'a quarter']]) {
    const floor = v === 'ff_half' && med(g, 'latency p99 ms', 'e_half');
    add(`grab latency p99 at ${what} of max rate (${fmt(med(g, 'offered rate, open loop (grabs/s)', v)?.median)}/s)`, med(g, 'latency p99 ms', v), ' ms',
      `p50 ${cell(med(g, 'latency p50 ms', v))} ms, p99.9 ${cell(med(g, 'latency p99.9 ms', v))} ms`
      + (floor ? `; floor at the same load (e: echo, no Redis): p99 ${cell(floor)} ms` : ''));
  }
  add('gateway + Redis CPU s per 1M decisions', med(g, 'CPU s per 1M decisions (gateway + Redis)', 'ff'), ' s', vs(g, 'CPU s per 1M decisions (gateway + Redis)', 'ff', ['a', 'b', 'd']));
  add('storm: opening to sold out (10,000 units, 100,000 grabs)', med(st, 'time to sell out ms (opening to last hold answered)', 'ff'), ' ms', vs(st, 'time to sell out ms (opening to last hold answered)', 'ff', ['a']));
  add('storm: last order row after the last hold', med(st, 'last order row, ms after last hold', 'ff'), ' ms', '');
  add('admission drain into Postgres, orders/s', med(dr, 'orders/s into Postgres', 'ff'), '', vs(dr, 'orders/s into Postgres', 'ff', ['ff_perhold']).replace('ff_perhold', 'one job per hold'));
  add('fan-out to 10,000 subscribers, publish -> arrival p99', med(fo, 'publish -> subscriber p99 ms', 'ff'), ' ms', `p50 ${cell(med(fo, 'publish -> subscriber p50 ms', 'ff'))} ms`);
  for (const tool of ['wrk', 'autocannon']) {
    for (const path of ['/api/festivals/current', '/healthz']) {
      add(`HTTP GET ${path} req/s (${tool})`, med(h, `GET ${path} req/s, ${tool}`, 'ff'), '', vs(h, `GET ${path} req/s, ${tool}`, 'ff', ['c']));
    }
  }
  out.push('', `Correctness on every run: ${doc.ok ? 'passed (no oversell, no duplicate, no lost order)' : '**FAILED**'}.`);
  return out;
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
