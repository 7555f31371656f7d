// A gateway meets a deal it has not loaded (a new deal, or the gateway restarted mid-sale) as a
// wave of grabs in a few milliseconds. The whole wave must cost one catalogue look-up, not one
// query per grab: those queued the wave behind each other for ~0.5 s in the bench.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DealFeed } from '../../src/live/deal-feed.ts';
import { createLogger } from '../../src/logger.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import type { Pool } from '../../src/db/pool.ts';
import { seedDeals, warmNow } from '../helpers/engine.ts';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';

describe('DealFeed.ensureDeal', () => {
  let env: TestEnv;
  let dealId: string;
  const lookUps: string[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    const { dealIds } = await seedDeals(env.pool, [{ stock: 50, limit: 1, startsIn: -1_000 }]);
    dealId = dealIds[0]!;
    await warmNow(env, [dealId]);
  });
  afterAll(async () => { await env?.cleanup(); });

  /** the real pool, noting each query that looks a deal's festival up */
  function countingPool(): Pool {
    return new Proxy(env.pool, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver);
        return (text: unknown, ...rest: unknown[]) => {
          if (typeof text === 'string' && text.includes('SELECT festival_id FROM deals')) lookUps.push(text);
          return (target.query as (...a: unknown[]) => unknown).call(target, text, ...rest);
        };
      },
    });
  }

  function newFeed(): DealFeed {
    return new DealFeed(countingPool(), new StockStore(env.redis, env.config.keyPrefix), () => {},
      createLogger('warn', { test: true }), 1_000);
  }

  it('answers a wave of 500 concurrent callers for an unloaded deal with one look-up', async () => {
    const feed = newFeed();
    lookUps.length = 0;
    const views = await Promise.all(Array.from({ length: 500 }, () => feed.ensureDeal(dealId)));
    expect(lookUps).toHaveLength(1);
    expect(new Set(views).size).toBe(1);
    expect(views[0]).toMatchObject({ id: dealId, available: 50 });
    // loaded: the next caller is answered from the cache
    await feed.ensureDeal(dealId);
    expect(lookUps).toHaveLength(1);
  });

  it('answers a wave for a deal that does not exist with one look-up, and remembers the miss', async () => {
    const feed = newFeed();
    lookUps.length = 0;
    const views = await Promise.all(Array.from({ length: 200 }, () => feed.ensureDeal('999999999')));
    expect(views.every((v) => v === null)).toBe(true);
    expect(lookUps).toHaveLength(1);
    expect(await feed.ensureDeal('999999999')).toBeNull();
    expect(lookUps).toHaveLength(1);
  });
});
