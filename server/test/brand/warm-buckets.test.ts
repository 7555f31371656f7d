// The brand API's `warmBuckets` against the whole engine (scheduler warming into a real Redis, or
// a 3-master cluster under FF_REDIS_CLUSTER=1): null until the deal warms, then the number of
// stock buckets Redis holds for it, also when the engine's rule (STOCK_BUCKET_UNITS) chose it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEngine } from '../helpers/engine.ts';
import { waitFor } from '../helpers/test-env.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { BrandClient, brandEngine, dealInput, newBrand, newFestival } from './helpers.ts';

describe('brand API warmBuckets', () => {
  let engine: RunningEngine;
  let fest: string;
  let api: BrandClient;
  let stock: StockStore;

  beforeAll(async () => {
    engine = await brandEngine({ PREWARM_SECONDS: '2', STOCK_BUCKET_UNITS: '10' });
    fest = await newFestival(engine.env.pool, 'Bucket Count Fest', -60_000, 3_600_000);
    api = new BrandClient(engine.url, (await newBrand(engine.env.pool, 'Bucket Count Brand')).key);
    stock = new StockStore(engine.env.redis, engine.config.keyPrefix);
  });

  afterAll(async () => {
    await engine?.stop();
    await engine?.env.cleanup();
  });

  it('is null before the warm, then the count Redis holds: the rule\'s for automatic, the brand\'s otherwise', async () => {
    const create = async (stockUnits: number, stockBuckets: number | null) => {
      const r = await api.post('/api/brand/deals', dealInput(fest, 4_000, { stock: stockUnits, stockBuckets }));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body.deal).toMatchObject({ stockBuckets, warmBuckets: null });
      return r.body.deal.id as string;
    };
    // 35 units at 10 a bucket: 3 buckets; 5 units: below the threshold, 1
    const auto = await create(35, null);
    const small = await create(5, null);
    const chosen = await create(35, 2);
    const deal = async (id: string) => (await api.get(`/api/brand/deals/${id}`)).body.deal;
    for (const id of [auto, small, chosen]) await waitFor(async () => (await deal(id)).state === 'live' || null, `deal ${id} live`, 15_000, 200);

    const inRedis = async (id: string) => {
      const p = await stock.presentBuckets(id);
      expect(p.missing).toEqual([]);
      return p.buckets;
    };
    expect(await inRedis(auto)).toBe(3);
    expect(await inRedis(small)).toBe(1);
    expect(await inRedis(chosen)).toBe(2);
    const listed = new Map<string, { stockBuckets: number | null; warmBuckets: number | null }>(
      (await api.get(`/api/brand/deals?festivalId=${fest}`)).body.deals.map((d: { id: string }) => [d.id, d]));
    for (const id of [auto, small, chosen]) {
      expect((await deal(id)).warmBuckets, `deal ${id}`).toBe(await inRedis(id));
      expect(listed.get(id)?.warmBuckets, `deal ${id} listed`).toBe(await inRedis(id));
    }
    expect(listed.get(auto)?.stockBuckets).toBeNull();
  }, 30_000);
});
