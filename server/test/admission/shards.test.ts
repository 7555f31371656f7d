// Admission shards (admission/shards.ts): K shards whose queues sit on K different masters of a
// cluster, a deal's jobs always in its shard (reconcile finds them there), and workers that
// consume only the shards they are given. Runs on a single Redis and on the cluster.
import calculateSlot from 'cluster-key-slot';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type RunningWorkers } from '../../src/admission/index.ts';
import { Admission, jobId } from '../../src/admission/queues.ts';
import { queuePrefix, shardOfDeal, shardTag } from '../../src/admission/shards.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { countOrdersByHold } from '../../src/db/orders-repo.ts';
import { createLogger } from '../../src/logger.ts';
import { ProcessMetrics } from '../../src/metrics/process-metrics.ts';
import { readQueueDepths, sumOverShards } from '../../src/metrics/queue-depths.ts';
import { isCluster } from '../../src/redis.ts';
import { reconcile } from '../../src/scheduler/reconcile.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { createTestEnv, onCluster, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { parsePrometheus } from '../metrics/prometheus.ts';
import { createDeal, grabHolds, type TestDeal } from './helpers.ts';

const SLOTS = 16_384;
const logger = createLogger('silent');

describe('shard tags and the ADMISSION_SHARDS settings', () => {
  it('puts the K tags in K different equal slot ranges, and a 3-master redis-cli layout on 3 masters', () => {
    for (const k of [1, 2, 3, 4, 6, 16]) {
      const tags = Array.from({ length: k }, (_, i) => shardTag(i, k));
      expect(new Set(tags).size).toBe(k);
      tags.forEach((t, i) => expect(Math.floor(calculateSlot(t) / (SLOTS / k))).toBe(i));
    }
    // redis-cli --cluster create with 3 masters: 0-5460, 5461-10922, 10923-16383
    const master = (slot: number) => (slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2);
    expect([0, 1, 2].map((k) => master(calculateSlot(shardTag(k, 3))))).toEqual([0, 1, 2]);
    expect(() => shardTag(3, 3)).toThrow(RangeError);
  });

  it('maps a deal to one shard, going round the shards with consecutive ids', () => {
    expect(['1', '2', '3', '4'].map((d) => shardOfDeal(d, 3))).toEqual([1, 2, 0, 1]);
    expect(shardOfDeal('12345', 1)).toBe(0);
    expect(shardOfDeal('not-a-number', 3)).toBe(shardOfDeal('not-a-number', 3));
  });

  it('defaults to 1 shard on a single Redis and 3 on a cluster, all consumed; refuses a bad subset clearly', () => {
    expect(loadConfig({})).toMatchObject({ admissionShards: 1, admissionShardsConsumed: [0] });
    expect(loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000' })).toMatchObject({ admissionShards: 3, admissionShardsConsumed: [0, 1, 2] });
    expect(loadConfig({ ADMISSION_SHARDS: '4', ADMISSION_SHARDS_CONSUMED: '3, 1' }).admissionShardsConsumed).toEqual([1, 3]);
    const refused = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused({ ADMISSION_SHARDS: '0' })).toMatch(/ADMISSION_SHARDS.*between 1 and 256/);
    expect(refused({ ADMISSION_SHARDS: '3', ADMISSION_SHARDS_CONSUMED: '0,3' })).toMatch(/ADMISSION_SHARDS_CONSUMED.*"3" is not a shard of 0\.\.2/);
    expect(refused({ ADMISSION_SHARDS: '3', ADMISSION_SHARDS_CONSUMED: '1,1' })).toMatch(/shard 1 is named twice/);
    expect(refused({ ADMISSION_SHARDS: '3', ADMISSION_SHARDS_CONSUMED: 'all' })).toMatch(/"all" is not a shard/);
  });
});

describe('three admission shards', () => {
  let env: TestEnv;
  let stock: StockStore;
  let admission: Admission;
  const running: RunningWorkers[] = [];
  /** deals of shard 0, 1 and 2 (consecutive ids go round the shards) */
  const deals: TestDeal[] = [];
  /** every hold admitted so far, so a test can wait until all have their order row */
  const admitted: string[] = [];

  beforeAll(async () => {
    env = await createTestEnv({ ADMISSION_SHARDS: '3', ADMISSION_SHARDS_CONSUMED: '0,2', STALLED_INTERVAL_MS: '1000' });
    stock = new StockStore(env.redis, env.config.keyPrefix);
    admission = new Admission(env.config, env.redis);
    const byShard = new Map<number, TestDeal>();
    while (byShard.size < 3) {
      const d = await createDeal(env, stock, { stock: 20, holdSeconds: 600 });
      byShard.set(shardOfDeal(d.dealId, 3), d);
    }
    deals.push(...[0, 1, 2].map((k) => byShard.get(k)!));
  });
  afterAll(async () => {
    for (const w of running) await w.close();
    await admission?.close();
    await env?.cleanup();
  });

  it.runIf(onCluster)('keeps each shard\'s queues on a master of its own', async () => {
    const redis = env.redis;
    if (!isCluster(redis)) throw new Error('expected a cluster client');
    const masters = redis.nodes('master') as Redis[];
    expect(masters).toHaveLength(3);
    const owners: string[] = [];
    for (const [k, deal] of deals.entries()) {
      const [h] = await grabHolds(stock, deal, 1, 1, `m${k}`);
      await admission.admitHolds([h!]);
      admitted.push(h!.hold);
      // BullMQ's hash of that job: which master holds it, by the cluster's slot map and for real
      const key = `${queuePrefix(env.config.keyPrefix, k, 3)}:orders:${jobId.order(h!.hold)}`;
      const slot = Number(await redis.cluster('KEYSLOT', key));
      expect(slot).toBe(calculateSlot(shardTag(k, 3)));
      const holding = [];
      // a master that does not own the slot answers MOVED: not there
      const here = (m: Redis) => m.exists(key).catch((err: Error) => (err.message.startsWith('MOVED') ? 0 : Promise.reject(err)));
      for (const m of masters) if (await here(m)) holding.push(`${m.options.host}:${m.options.port}`);
      expect(holding).toHaveLength(1);
      expect(redis.slots[slot]?.[0]).toBe(holding[0]);
      owners.push(holding[0]!);
    }
    expect(new Set(owners).size).toBe(3);
  });

  it('a worker consuming shards 0 and 2 writes their orders and leaves shard 1\'s job waiting', async () => {
    const holds = await Promise.all(deals.map((d, k) => grabHolds(stock, d, 3, 1, `c${k}`)));
    // one admission window of all three deals: one job per shard
    const window = holds.flat();
    await admission.admitHolds(window);
    admitted.push(...window.map((h) => h.hold));
    const firstOf = (k: number) => jobId.orderBatch(holds[k]!);
    for (const k of [0, 1, 2]) expect(await admission.queues.shards[k]!.orders.getJobState(firstOf(k))).toBe('waiting');

    running.push(await startWorkers({ config: env.config, redis: env.redis, pool: env.pool, logger }));
    await waitFor(async () => (await countOrdersByHold(env.pool, deals[0]!.dealId)) >= 3
      && (await countOrdersByHold(env.pool, deals[2]!.dealId)) >= 3, 'orders of shards 0 and 2');
    // those jobs completed long after a worker of shard 1 would have taken its job
    await waitFor(async () => (await admission.queues.shards[0]!.orders.getJobState(firstOf(0))) === 'completed'
      && (await admission.queues.shards[2]!.orders.getJobState(firstOf(2))) === 'completed', 'jobs of shards 0 and 2 completed');
    expect(await admission.queues.shards[1]!.orders.getJobState(firstOf(1))).toBe('waiting');
    const shard1Orders = await env.pool.query('SELECT hold_id FROM orders WHERE hold_id = ANY($1::text[])', [holds[1]!.map((h) => h.hold)]);
    expect(shard1Orders.rows).toEqual([]);

    // another process consumes shard 1: its job is written too
    const config = loadConfig({ ...env.env, ADMISSION_SHARDS: '3', ADMISSION_SHARDS_CONSUMED: '1' });
    running.push(await startWorkers({ config, redis: env.redis, pool: env.pool, logger }));
    await waitFor(async () => (await admission.queues.shards[1]!.orders.getJobState(firstOf(1))) === 'completed', 'shard 1 job completed');
    const written = await env.pool.query('SELECT hold_id FROM orders WHERE hold_id = ANY($1::text[])', [holds[1]!.map((h) => h.hold)]);
    expect(written.rows).toHaveLength(3);
    await waitFor(async () => (await env.pool.query('SELECT 1 FROM orders WHERE hold_id = ANY($1::text[])', [admitted])).rowCount === admitted.length,
      'every admitted hold written');
  });

  it('reconcile re-admits a hold of a shard-2 deal into shard 2, where the next run finds it', async () => {
    for (const w of running.splice(0)) await w.close(); // nobody consumes: the job stays to be looked at
    const deal = deals[2]!;
    const [h] = await grabHolds(stock, deal, 1, 1, 'lost');
    const run = () => reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, logger, admissionShards: 3, admitGraceMs: 0 });
    const report = await run();
    expect(report.readmitted).toBe(1);
    const where = await Promise.all(admission.queues.shards.map((s) => s.orders.getJobState(jobId.order(h!.hold))));
    expect(where).toEqual(['unknown', 'unknown', 'waiting']);
    expect((await admission.queues.shards[2]!.orders.getJob(h!.hold))?.data).toEqual(h);
    // found by its id in its deal's shard: still waiting, so nothing is added again
    expect((await run()).readmitted).toBe(0);
  });

  it('shows queue depths per shard in Prometheus and summed for the ops board', async () => {
    // from the test before: one job waiting, in shard 2
    const metrics = new ProcessMetrics('worker');
    metrics.watchQueues(admission.queues);
    const waiting = parsePrometheus(await metrics.text())
      .filter((s) => s.name === 'flashfest_queue_depth' && s.labels.queue === 'orders' && s.labels.state === 'waiting');
    expect(waiting.map((s) => [s.labels.shard, s.value]).sort()).toEqual([['0', 0], ['1', 0], ['2', 1]]);
    expect(sumOverShards(await readQueueDepths(admission.queues)).orders).toEqual({ waiting: 1, active: 0, delayed: 0, failed: 0 });
  });
});
