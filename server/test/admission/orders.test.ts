// Holds become pending orders in batches; re-admitting them changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmission, startWorkers, type RunningWorkers } from '../../src/admission/index.ts';
import { listShopperOrders, orderTotals, countOrdersByHold } from '../../src/db/orders-repo.ts';
import { createLogger } from '../../src/logger.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { count, createDeal, delayedExpiryCoverage, grabHolds } from './helpers.ts';
import { orderNumber } from '../../src/shared/order-number.ts';
import { NewsTap } from '../helpers/news-tap.ts';

describe('order worker', () => {
  let env: TestEnv;
  let tap: NewsTap;
  let workers: RunningWorkers | undefined;
  const news: { shopper: string; msg: { t: string; hold: string; status?: string } }[] = [];

  beforeAll(async () => {
    env = await createTestEnv({ ORDER_BATCH_MAX: '200', ORDER_BATCH_WAIT_MS: '20' });
    // grabHolds names its shoppers <tag>-0, <tag>-1, ...: the news of these comes to the tap
    tap = await NewsTap.open(env, (n) => news.push(n as unknown as (typeof news)[number]));
    await tap.watch(Array.from({ length: 500 }, (_, i) => `s-${i}`));
  });

  afterAll(async () => {
    await workers?.close();
    await tap.close();
    await env.cleanup();
  });

  it('persists 500 holds as orders in batches, each once, and tells each shopper', async () => {
    const stock = new StockStore(env.redis, env.config.keyPrefix);
    const deal = await createDeal(env, stock, { stock: 1000, limit: 1, holdSeconds: 300 });
    const jobs = await grabHolds(stock, deal, 500);
    const admission = createAdmission(env.config, env.redis);
    await admission.admitHolds(jobs);

    const t0 = Date.now();
    workers = await startWorkers({ config: env.config, redis: env.redis, pool: env.pool, logger: createLogger('warn') });
    await waitFor(async () => (await countOrdersByHold(env.pool, deal.dealId)) === 500, '500 orders');
    await waitFor(async () => (await count(env, "stock_ledger WHERE reason = 'hold'")) === 500, '500 ledger rows');
    await waitFor(() => news.length === 500, '500 order notes');
    const ms = Date.now() - t0;

    // batched: far fewer transactions than rows, none bigger than ORDER_BATCH_MAX
    expect(workers.stats.ordersWritten).toBe(500);
    expect(workers.stats.orderBatches).toBeGreaterThanOrEqual(3);
    expect(workers.stats.orderBatches).toBeLessThan(100);
    expect(await orderTotals(env.pool, deal.dealId)).toEqual({ pending: 500, paid: 0, cancelled: 0 });
    expect(new Set(news.map((n) => n.msg.hold)).size).toBe(500);
    expect(news.every((n) => n.msg.t === 'order' && n.msg.status === 'pending')).toBe(true);
    const mine = news.find((n) => n.msg.hold === jobs[7]!.hold);
    expect(mine?.shopper).toBe(jobs[7]!.shopper);

    // each order's expiry is scheduled at its expiresAt, once (one delayed job per admitted batch)
    const covered = await delayedExpiryCoverage(admission.queues.forDeal(deal.dealId).expiry);
    expect(covered.size).toBe(500);
    expect([...covered.values()].every((n) => n === 1)).toBe(true);
    const [expiryJob] = await admission.queues.forDeal(deal.dealId).expiry.getJobs(['delayed']);
    expect(expiryJob!.timestamp + expiryJob!.delay).toBeGreaterThanOrEqual(Math.max(...jobs.map((j) => j.expiresAt)) - 1_000);

    const orders = await listShopperOrders(env.pool, jobs[0]!.shopper);
    expect(orders).toEqual([{
      hold: jobs[0]!.hold, orderNo: orderNumber(jobs[0]!.hold), deal: deal.dealId, title: 'Earbuds', qty: 1,
      unitPrice: { minor: deal.unitPriceMinor, currency: 'PKR' }, status: 'pending',
      heldAt: jobs[0]!.heldAt, expiresAt: jobs[0]!.expiresAt, paidAt: null, method: null,
    }]);

    // the same holds again (a gateway retry, a reconciler re-admit): nothing new anywhere
    const completedBefore = (await admission.queues.forDeal(deal.dealId).orders.getJobCounts('completed')).completed;
    await admission.admitHolds(jobs);
    await admission.queues.forDeal(deal.dealId).orders.remove(jobs[0]!.hold); // a removed job re-added runs again ...
    await admission.admitHolds([jobs[0]!]);
    await waitFor(async () => {
      const c = await admission.queues.forDeal(deal.dealId).orders.getJobCounts('waiting', 'active', 'completed');
      return c.waiting === 0 && c.active === 0 && c.completed === completedBefore;
    }, 'orders queue drained');
    await new Promise((r) => setTimeout(r, 200));
    expect(await countOrdersByHold(env.pool, deal.dealId)).toBe(500); // ... and writes nothing
    expect(await count(env, 'stock_ledger')).toBe(500);
    expect(news.length).toBe(500);
    const failed = await admission.queues.forDeal(deal.dealId).orders.getJobCounts('failed');
    expect(failed.failed).toBe(0);
    await admission.close();
    console.log(`500 holds -> orders in ${ms} ms, ${workers.stats.orderBatches} batches`);
  });
});
