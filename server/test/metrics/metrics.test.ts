// /metrics on every process: valid Prometheus text, counters that match a storm exactly, and the
// worker role's own small server on METRICS_PORT.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, startEngineIn, seedDeals, warmNow, type RunningEngine } from '../helpers/engine.ts';
import { waitFor } from '../helpers/test-env.ts';
import { runStorm, type StormResult } from '../live/storm.ts';
import { parsePrometheus, type Sample } from './prometheus.ts';

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hits.reduce((n, s) => n + s.value, 0);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

describe('/metrics', () => {
  let engine: RunningEngine;
  let worker: RunningEngine | undefined;
  let storm: StormResult;
  let dealIds: string[];

  beforeAll(async () => {
    engine = await startEngine({ RATE_LIMIT_BURST: '40' });
    ({ dealIds } = await seedDeals(engine.env.pool, [
      { stock: 120, limit: 2, startsIn: -1_000, currency: 'PKR' },
      // holds of 5 s that nobody pays: they expire during the test
      { stock: 30, limit: 1, startsIn: -1_000, holdSeconds: 5, currency: 'INR' },
    ]));
    await warmNow(engine.env, dealIds);
    storm = await runStorm({ wsUrl: engine.wsUrl, secret: engine.config.sessionSecret, dealIds: [dealIds[0]!], shoppers: 150, grabsEach: 4, payEvery: 4 });
    const expiring = await runStorm({ wsUrl: engine.wsUrl, secret: engine.config.sessionSecret, dealIds: [dealIds[1]!], shoppers: 40, grabsEach: 1, payEvery: 0 });
    storm.sockets.push(...expiring.sockets);
    for (const [k, v] of expiring.perDeal) storm.perDeal.set(k, v);
    storm.holds.push(...expiring.holds);
  }, 120_000);

  afterAll(async () => {
    for (const s of storm?.sockets ?? []) s.close();
    await worker?.stop();
    await engine?.stop();
    await engine?.env.cleanup();
  });

  it('is valid Prometheus text whose counters match the storm', async () => {
    const expiringHolds = storm.holds.filter((h) => h.deal === dealIds[1]).length;
    expect(expiringHolds).toBe(30);
    // wait for the 5 s holds to expire and every order row to be written
    await waitFor(async () => {
      const { rows } = await engine.env.pool.query<{ n: number; cancelled: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled FROM orders`);
      if (process.env.DEBUG_METRICS_TEST) console.log(rows[0], storm.holds.length, expiringHolds);
      return rows[0]!.n === storm.holds.length && rows[0]!.cancelled === expiringHolds;
    }, 'orders written and short holds expired', 30_000);

    const res = await fetch(`${engine.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheus(await res.text());

    let held = 0;
    const refusals = new Map<string, number>();
    let answered = 0;
    for (const d of storm.perDeal.values()) {
      for (const [k, n] of d.results) {
        answered += n;
        if (k === 'held') held += n;
        else refusals.set(k, (refusals.get(k) ?? 0) + n);
      }
    }
    expect(value(samples, 'flashfest_grabs_total', { result: 'held' })).toBe(held);
    for (const [code, n] of refusals) expect(value(samples, 'flashfest_grabs_total', { result: code })).toBe(n);
    expect(value(samples, 'flashfest_grabs_total')).toBe(answered);
    expect(value(samples, 'flashfest_grab_latency_seconds_count')).toBe(answered);
    expect(value(samples, 'flashfest_grab_latency_seconds_bucket', { le: '+Inf' })).toBe(answered);
    expect(value(samples, 'flashfest_orders_persisted_total')).toBe(storm.holds.length);
    expect(value(samples, 'flashfest_holds_expired_total')).toBe(expiringHolds);
    expect(value(samples, 'flashfest_payments_settled_total')).toBe(storm.paid.length);
    expect(value(samples, 'flashfest_ws_connections', { kind: 'shopper' })).toBe(storm.sockets.length);
    expect(value(samples, 'flashfest_queue_depth', { queue: 'orders', state: 'failed' })).toBe(0);
    expect(value(samples, 'flashfest_scheduler_leader')).toBe(1);
    expect(value(samples, 'flashfest_store_errors_total')).toBe(0);
    expect(value(samples, 'flashfest_ws_dropped_messages_total')).toBe(0);
    expect(samples.every((s) => s.labels.role === undefined || s.labels.role === 'all')).toBe(true);
  }, 60_000);

  it('a worker process serves its own /metrics on METRICS_PORT', async () => {
    const port = await freePort();
    worker = await startEngineIn(engine.env, { FF_ROLE: 'worker', METRICS_PORT: String(port) });
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    const samples = parsePrometheus(await res.text());
    expect(samples.some((s) => s.name === 'flashfest_orders_persisted_total' && s.labels.role === 'worker')).toBe(true);
    expect(samples.some((s) => s.name === 'flashfest_process_resident_memory_bytes')).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
  });
});
