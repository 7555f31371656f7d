// Latency histograms that merge across processes, and the median/min/max of repeated runs.
// Buckets grow by 2% from 10 µs, so a percentile is within 2% of the true value; a histogram
// is a plain array of counts, cheap to send between processes and to add up.
const BASE_US = 10;
const GROWTH = Math.log(1.02);
export const BUCKETS = 1200; // 10 µs * 1.02^1200 ~ 200 s: anything longer is clamped

export function newHistogram() {
  return new Uint32Array(BUCKETS);
}

export function record(hist, ms) {
  const us = ms * 1000;
  let i = us <= BASE_US ? 0 : Math.ceil(Math.log(us / BASE_US) / GROWTH);
  if (i >= BUCKETS) i = BUCKETS - 1;
  hist[i]++;
}

export function merge(into, from) {
  for (let i = 0; i < BUCKETS; i++) into[i] += from[i] ?? 0;
  return into;
}

/** Upper edge of the bucket holding the q-th quantile, in ms; null for an empty histogram. */
export function quantile(hist, q) {
  let total = 0;
  for (let i = 0; i < BUCKETS; i++) total += hist[i];
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(total * q));
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += hist[i];
    if (seen >= rank) return (BASE_US * Math.exp(i * GROWTH)) / 1000;
  }
  return null;
}

export function summarizeHist(hist) {
  let n = 0;
  for (let i = 0; i < BUCKETS; i++) n += hist[i];
  return { count: n, p50: quantile(hist, 0.5), p99: quantile(hist, 0.99), p999: quantile(hist, 0.999), max: quantile(hist, 1) };
}

/** median, min and max of repeated measurements (nulls ignored) */
export function spread(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { median, min: v[0], max: v[v.length - 1], n: v.length };
}

export function round(x, digits = 2) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
