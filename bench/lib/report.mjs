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
    if (r.sweep) lines.push(...sweepTable(r), '');
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

const SWEEP_SYSTEMS = [['ff', 'flashfest'], ['a', 'a: ws + EVALSHA per grab'], ['e', 'e: uWS echo, no Redis (floor)']];
const sweepShares = (sweep) => [...new Set(Object.values(sweep).flatMap((bySystem) => Object.keys(bySystem)))].sort((x, y) => Number(x) - Number(y));

/** The open-loop sweep: latency against offered load, flashfest beside baseline a and the echo floor. */
function sweepTable(r) {
  const systems = SWEEP_SYSTEMS.filter(([k]) => r.sweep[k]);
  const out = [`### Latency under open-loop load (the sweep)`, '', `Load: ${r.sweepLoad ?? 'open loop'}`, ''];
  const head = ['offered grabs/s (share of flashfest\'s closed-loop rate)', ...systems.map(([, label]) => `${label}: p50 / p99 / p99.9 ms (answered/s; CPU per grab)`)];
  out.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const share of sweepShares(r.sweep)) {
    const offered = spread(systems.map(([k]) => r.sweep[k][share]?.['offered/s']).find(Boolean) ?? []);
    const cells = systems.map(([k]) => {
      const x = r.sweep[k][share];
      if (!x) return '–';
      const m = (f) => fmt(spread(x[f] ?? [])?.median);
      const skipped = spread(x.skipped ?? [])?.median;
      const cpu = x['server CPU µs/grab'] ? `; CPU µs/grab ${m('server CPU µs/grab')} server, ${m('Redis CPU µs/grab')} Redis` : '';
      return `${m('p50')} / **${m('p99')}** / ${m('p99.9')} (${m('answered/s')}${skipped ? `; ${fmt(skipped)} skipped` : ''}${cpu})`;
    });
    out.push(`| ${cell(offered)} (${share}) | ${cells.join(' | ')} |`);
  }
  out.push('', 'Medians of the runs; p99 in bold. A row where answered/s falls short of offered, or where grabs were skipped, is past that system\'s open-loop capacity. '
    + 'CPU per grab: the server process (gateway or baseline) and redis-server, user + system, over the whole load run per grab answered; the load generator\'s is in the JSON.');
  return out;
}

/** p99 (median, whiskers min-max) against offered grabs/s, log scale, with the 10 ms target. */
function sweepPanel(sweep, W, y0) {
  const parts = [];
  const H = 260, left = 70, right = 200, top = y0 + 24;
  const series = SWEEP_SYSTEMS.filter(([k]) => sweep[k]).map(([k, label]) => ({
    k, label,
    points: sweepShares(sweep).filter((sh) => sweep[k][sh]).map((sh) => ({
      x: spread(sweep[k][sh]['offered/s']).median, p99: spread(sweep[k][sh].p99),
    })).filter((p) => p.p99),
  }));
  const all = series.flatMap((s) => s.points);
  if (!all.length) return { parts, y: y0 };
  const xMax = Math.max(...all.map((p) => p.x)) * 1.05;
  const yMin = 0.1, yMax = Math.max(100, ...all.map((p) => p.p99.max)) * 1.5;
  const X = (v) => left + (v / xMax) * (W - left - right);
  const Y = (ms) => top + H - ((Math.log10(Math.max(ms, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * H;
  parts.push(`<text x="10" y="${y0 + 6}" font-size="15" font-weight="bold">Grab latency p99 against offered load, open loop (log scale)</text>`);
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + H}" stroke="#222"/><line x1="${left}" x2="${W - right}" y1="${top + H}" y2="${top + H}" stroke="#222"/>`);
  for (let d = Math.log10(yMin); d <= Math.log10(yMax); d++) {
    const ms = Number((10 ** d).toPrecision(1));
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${Y(ms)}" y2="${Y(ms)}" stroke="#ddd"/><text x="${left - 6}" y="${Y(ms) + 4}" font-size="11" text-anchor="end">${ms.toLocaleString('en')} ms</text>`);
  }
  parts.push(`<line x1="${left}" x2="${W - right}" y1="${Y(10)}" y2="${Y(10)}" stroke="#e4572e" stroke-dasharray="5 4"/><text x="${W - right + 6}" y="${Y(10) + 4}" font-size="11" fill="#e4572e">target p99 10 ms</text>`);
  for (const x of new Set(series[0].points.map((p) => p.x))) parts.push(`<text x="${X(x)}" y="${top + H + 16}" font-size="11" text-anchor="middle">${fmt(x)}</text>`);
  parts.push(`<text x="${(left + W - right) / 2}" y="${top + H + 32}" font-size="11" text-anchor="middle">offered grabs/s</text>`);
  const colors = { ff: '#e4572e', a: '#7d8597', e: '#2a9d8f' };
  series.forEach((s, i) => {
    const c = colors[s.k];
    parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${s.points.map((p) => `${X(p.x)},${Y(p.p99.median)}`).join(' ')}"/>`);
    for (const p of s.points) {
      parts.push(`<circle cx="${X(p.x)}" cy="${Y(p.p99.median)}" r="3.5" fill="${c}"/>`);
      if (p.p99.n > 1) parts.push(`<line x1="${X(p.x)}" x2="${X(p.x)}" y1="${Y(p.p99.min)}" y2="${Y(p.p99.max)}" stroke="${c}"/>`);
    }
    parts.push(`<rect x="${W - right + 6}" y="${top + 30 + i * 20}" width="12" height="12" fill="${c}"/><text x="${W - right + 24}" y="${top + 40 + i * 20}" font-size="11">${esc(s.label)}</text>`);
  });
  return { parts, y: top + H + 60 };
}

/** Bars (median) with min-max whiskers: grab decisions/s per variant, and admission orders/s;
 *  then the open-loop latency curve when the run has one. */
function chart(doc) {
  const panels = [];
  const grab = doc.results.find((r) => r.name === 'grab')?.rows['decisions/s'];
  if (grab) panels.push({ title: 'Grab decisions per second (WebSockets unless noted)', data: grab, order: ['ff', 'ff_live', 'a', 'b', 'c', 'd'] });
  const drain = doc.results.find((r) => r.name === 'drain')?.rows['orders/s into Postgres'];
  if (drain) panels.push({ title: 'Admission: orders per second into Postgres', data: drain, order: ['ff', 'ff_k3', 'ff_perhold'] });
  const W = 800, barH = 26, gap = 10, left = 340, right = 90;
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
  const sweep = doc.results.find((r) => r.name === 'grab')?.sweep;
  if (sweep) {
    const panel = sweepPanel(sweep, W, y);
    parts.push(...panel.parts);
    y = panel.y;
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
  const sweep = doc.results.find((r) => r.name === 'grab')?.sweep;
  // ff_half and ff_quarter are the sweep's ff@0.5 and ff@0.25 (bench/scenarios/grab.mjs NAMED)
  for (const [v, what, share] of [['ff_half', 'half', '0.5'], ['ff_quarter', 'a quarter', '0.25']]) {
    const floor = v === 'ff_half' && med(g, 'latency p99 ms', 'e_half');
    const sweepA = sweep?.a?.[share];
    add(`grab latency p99 at ${what} of max rate (${fmt(med(g, 'offered rate, open loop (grabs/s)', v)?.median)}/s)`, med(g, 'latency p99 ms', v), ' ms',
      `p50 ${cell(med(g, 'latency p50 ms', v))} ms, p99.9 ${cell(med(g, 'latency p99.9 ms', v))} ms`
      + (sweepA ? `; a (ws + EVALSHA) at the same load: p99 ${cell(spread(sweepA.p99))} ms, ${fmt(spread(sweepA['answered/s']).median)} answered/s` : '')
      + (floor ? `; floor at the same load (e: echo, no Redis): p99 ${cell(floor)} ms` : ''));
  }
  add('gateway + Redis CPU s per 1M decisions', med(g, 'CPU s per 1M decisions (gateway + Redis)', 'ff'), ' s', vs(g, 'CPU s per 1M decisions (gateway + Redis)', 'ff', ['a', 'b', 'd']));
  add('storm: opening to sold out (10,000 units, 100,000 grabs)', med(st, 'time to sell out ms (opening to last hold answered)', 'ff'), ' ms', vs(st, 'time to sell out ms (opening to last hold answered)', 'ff', ['a']));
  add('storm: last order row after the last hold', med(st, 'last order row, ms after last hold', 'ff'), ' ms', '');
  add('admission drain into Postgres, orders/s', med(dr, 'orders/s into Postgres', 'ff'), '', vs(dr, 'orders/s into Postgres', 'ff', ['ff_perhold']).replace('ff_perhold', 'one job per hold'));
  add('admission drain, ADMISSION_SHARDS=3 on one Redis, orders/s', med(dr, 'orders/s into Postgres', 'ff_k3'), '', vs(dr, 'orders/s into Postgres', 'ff_k3', ['ff']).replace(/ ff$/, ' ADMISSION_SHARDS=1'));
  add('fan-out to 10,000 subscribers, publish -> arrival p99', med(fo, 'publish -> subscriber p99 ms', 'ff'), ' ms', `p50 ${cell(med(fo, 'publish -> subscriber p50 ms', 'ff'))} ms`);
  for (const tool of ['wrk', 'autocannon']) {
    for (const path of ['/api/festivals/current', '/healthz']) {
      add(`HTTP GET ${path} req/s (${tool})`, med(h, `GET ${path} req/s, ${tool}`, 'ff'), '', vs(h, `GET ${path} req/s, ${tool}`, 'ff', ['c']));
    }
  }
  // --cluster: the same scenarios on a local 3-master cluster against the single Redis, per run
  const gc = res('grab@cluster'), stc = res('storm@cluster'), drc = res('drain@cluster');
  const across = (cl, single, m, v) => {
    const s = ratios(cl[m]?.[v], single[m]?.[v]);
    return s ? `${s.n > 1 ? `${fmt(s.median)}× (${fmt(s.min)}–${fmt(s.max)})` : `${fmt(s.median)}×`} single Redis` : '';
  };
  add('cluster: grab decisions/s (worker paused)', med(gc, 'decisions/s', 'ff'), '', across(gc, g, 'decisions/s', 'ff'));
  add('cluster: Redis CPU s per 1M decisions (all masters)', med(gc, 'CPU s per 1M decisions (Redis)', 'ff'), ' s', across(gc, g, 'CPU s per 1M decisions (Redis)', 'ff'));
  add('cluster: grab decisions/s, worker live', med(gc, 'decisions/s', 'ff_live'), '', across(gc, g, 'decisions/s', 'ff_live'));
  add('cluster: storm, opening to sold out', med(stc, 'time to sell out ms (opening to last hold answered)', 'ff'), ' ms',
    across(stc, st, 'time to sell out ms (opening to last hold answered)', 'ff'));
  add('cluster: admission drain into Postgres, orders/s', med(drc, 'orders/s into Postgres', 'ff'), '', across(drc, dr, 'orders/s into Postgres', 'ff'));
  out.push('', `Correctness on every run: ${doc.ok ? 'passed (no oversell, no duplicate, no lost order)' : '**FAILED**'}.`);
  return out;
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
