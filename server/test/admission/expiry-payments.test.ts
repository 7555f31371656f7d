// Unpaid holds expire exactly once; a paid hold is charged once and never expires.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmission, expireHoldNow, startWorkers, type RunningWorkers } from '../../src/admission/index.ts';
import { newStats } from '../../src/admission/deps.ts';
import { DemoPaymentProvider, payHold, type PayDeps } from '../../src/admission/payments.ts';
import { settlePayment } from '../../src/admission/payment-worker.ts';
import type { Admission, OrderJob } from '../../src/admission/queues.ts';
import { createLogger } from '../../src/logger.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { createTestEnv, waitFor, type TestEnv } from '../helpers/test-env.ts';
import { count, createDeal, grabHolds, type TestDeal } from './helpers.ts';
import { NewsTap } from '../helpers/news-tap.ts';

describe('expiry and payments', () => {
  let env: TestEnv;
  let tap: NewsTap;
  let stock: StockStore;
  let admission: Admission;
  let workers: RunningWorkers;
  let provider: DemoPaymentProvider;
  let pay: PayDeps;
  const news: { shopper: string; msg: { t: string; hold: string } }[] = [];
  const logger = createLogger('silent');
  const notes = (t: string, hold: string) => news.filter((n) => n.msg.t === t && n.msg.hold === hold).length;
  const orderStatus = async (hold: string) =>
    (await env.pool.query<{ status: string }>('SELECT status FROM orders WHERE hold_id = $1', [hold])).rows[0]?.status;
  const ledger = (hold: string, reason: string) => count(env, 'stock_ledger WHERE hold_id = $1 AND reason = $2', [hold, reason]);
  const expireDeps = () => ({ config: env.config, redis: env.redis, pool: env.pool, stock, stats: newStats() });

  async function expectBooksBalance(deal: TestDeal) {
    const d = (await stock.readDeal(deal.dealId))!;
    expect(d.sold + d.held + d.available).toBe(deal.stockTotal);
    expect(Math.min(d.sold, d.held, d.available)).toBeGreaterThanOrEqual(0);
    return d;
  }

  beforeAll(async () => {
    env = await createTestEnv({ STALLED_INTERVAL_MS: '1000' });
    stock = new StockStore(env.redis, env.config.keyPrefix);
    admission = createAdmission(env.config, env.redis);
    provider = new DemoPaymentProvider();
    pay = { config: env.config, redis: env.redis, stock, provider, admission, dealMethods: async () => ['wallet', 'card'] };
    // grabHolds names its shoppers <tag>-0, <tag>-1, ...: the news of these comes to the tap
    tap = await NewsTap.open(env, (n) => news.push(n as unknown as (typeof news)[number]));
    await tap.watch(['exp-0', 'pay-0']);
    workers = await startWorkers({ config: env.config, redis: env.redis, pool: env.pool, logger });
  });

  afterAll(async () => {
    await workers?.close();
    await admission?.close();
    await tap?.close();
    await env?.cleanup();
  });

  it('an unpaid hold expires once: stock back, shopper count down, order cancelled, one release', async () => {
    const deal = await createDeal(env, stock, { stock: 10, limit: 3, holdSeconds: 2 });
    const [job] = await grabHolds(stock, deal, 1, 2, 'exp');
    const { hold, shopper } = job!;
    expect((await stock.readDeal(deal.dealId))!.available).toBe(8);
    await admission.admitHolds([job!]);
    await waitFor(async () => (await orderStatus(hold)) === 'pending', 'pending order');

    // the expiry job the order worker scheduled fires at expiresAt
    await waitFor(async () => (await orderStatus(hold)) === 'cancelled', 'order cancelled by the expiry job', 8_000);
    await waitFor(() => notes('expired', hold) === 1, 'expired note');

    // and again, by hand and by a second job: nothing moves twice
    expect(await expireHoldNow(expireDeps(), hold)).toMatchObject({ released: false, reason: 'already_released' });
    expect(await expireHoldNow(expireDeps(), hold)).toMatchObject({ released: false, reason: 'already_released' });
    const dup = await admission.queues.forDeal(deal.dealId).expiry.add('expire', { hold, dealId: deal.dealId }, { jobId: `x-${hold}-again` });
    await waitFor(async () => (await dup.getState()) === 'completed', 'duplicate expiry job done');
    expect(await admission.queues.forDeal(deal.dealId).expiry.getJob(`x-${hold}-again`).then((j) => j?.returnvalue)).toBe('already_released');

    const d = await expectBooksBalance(deal);
    expect(d).toMatchObject({ available: 10, held: 0, sold: 0 });
    expect(await env.redis.hget(stock.keys(deal.dealId).perShopper, shopper)).toBeNull();
    expect(await ledger(hold, 'release')).toBe(1);
    expect(await ledger(hold, 'hold')).toBe(1);
    expect(notes('expired', hold)).toBe(1);

    // paying now is refused, and charges nothing
    const charges = provider.charges.length;
    expect(await payHold(pay, { hold, shopper })).toEqual({ ok: false, code: 'hold_expired' });
    expect(provider.charges.length).toBe(charges);
    expect(await count(env, 'payments WHERE hold_id = $1', [hold])).toBe(0);
    expect(await orderStatus(hold)).toBe('cancelled');
  });

  it('an expiry that overtakes its order job writes the order as cancelled; the late order job adds nothing', async () => {
    const deal = await createDeal(env, stock, { stock: 5, holdSeconds: 1 });
    const [job] = await grabHolds(stock, deal, 1, 1, 'lag');
    const { hold } = job!;
    // not due yet by Redis TIME: nothing happens
    expect(await expireHoldNow(expireDeps(), hold)).toMatchObject({ released: false, reason: 'not_due' });
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await expireHoldNow(expireDeps(), hold)).toMatchObject({ released: true, qty: 1 });
    expect(await orderStatus(hold)).toBe('cancelled');

    await admission.admitHolds([job!]);
    const orderJob = await admission.queues.forDeal(deal.dealId).orders.getJob(hold);
    await waitFor(async () => (await orderJob!.getState()) === 'completed', 'late order job done');
    expect(await orderStatus(hold)).toBe('cancelled');
    expect(await ledger(hold, 'hold')).toBe(1);
    expect(await ledger(hold, 'release')).toBe(1);
    expect(await count(env, 'orders WHERE hold_id = $1', [hold])).toBe(1);
    await expectBooksBalance(deal);
  });

  it('an expiry job that runs early (clock skew) goes back to delayed and leaves the hold alone', async () => {
    const deal = await createDeal(env, stock, { stock: 5, holdSeconds: 60 });
    const [job] = await grabHolds(stock, deal, 1, 1, 'early');
    const early = await admission.queues.forDeal(deal.dealId).expiry.add('expire', { hold: job!.hold, dealId: deal.dealId }, { jobId: `early-${job!.hold}` });
    await waitFor(async () => (await early.getState()) === 'delayed', 'job moved back to delayed');
    const again = await admission.queues.forDeal(deal.dealId).expiry.getJob(early.id!);
    // delayed until the hold's end (plus a margin), not retried as a failure
    expect(again!.attemptsMade).toBe(0);
    expect(again!.timestamp + again!.delay).toBeGreaterThanOrEqual(job!.expiresAt - 1_000);
    expect((await stock.readHold(job!.hold))!.state).toBe('held');
    expect((await stock.readDeal(deal.dealId))!.held).toBe(1);
    await again!.remove();
  });

  it('a hold paid in time: charged once, sold, order paid, payment and sale booked, never expires', async () => {
    const deal = await createDeal(env, stock, { stock: 10, holdSeconds: 60 });
    const [job] = await grabHolds(stock, deal, 1, 3, 'pay');
    const { hold, shopper } = job!;
    await admission.admitHolds([job!]);

    // another shopper cannot pay it
    expect(await payHold(pay, { hold, shopper: 'someone-else' })).toEqual({ ok: false, code: 'unknown_hold' });
    expect(await payHold(pay, { hold: 'nope', shopper })).toEqual({ ok: false, code: 'unknown_hold' });

    const before = provider.charges.length;
    expect(await payHold(pay, { hold, shopper })).toEqual({ ok: true, hold, dealId: deal.dealId, repeat: false, method: 'card' });
    expect(await payHold(pay, { hold, shopper })).toEqual({ ok: true, hold, dealId: deal.dealId, repeat: true, method: 'card' });
    expect(provider.charges.length - before).toBe(1);
    expect(provider.charges.at(-1)).toMatchObject({ hold, amountMinor: 3 * deal.unitPriceMinor, currency: 'PKR' });

    const d = await expectBooksBalance(deal);
    expect(d).toMatchObject({ sold: 3, held: 0, available: 7 });
    await waitFor(async () => (await orderStatus(hold)) === 'paid', 'order paid');
    await waitFor(() => notes('paid', hold) === 1, 'paid note');
    const { rows: [p] } = await env.pool.query('SELECT provider, provider_ref, amount_minor, currency FROM payments WHERE hold_id = $1', [hold]);
    expect(p).toEqual({ provider: 'demo', provider_ref: provider.charges.at(-1)!.ref, amount_minor: 3 * deal.unitPriceMinor, currency: 'PKR' });
    expect(await ledger(hold, 'sale')).toBe(1);
    expect(await expireHoldNow(expireDeps(), hold)).toMatchObject({ released: false, reason: 'paid' });
    expect(await orderStatus(hold)).toBe('paid');
  });

  it('concurrent pays of one hold charge once', async () => {
    const deal = await createDeal(env, stock, { stock: 10, holdSeconds: 60 });
    const [job] = await grabHolds(stock, deal, 1, 1, 'dbl');
    const { hold, shopper } = job!;
    const before = provider.charges.length;
    const results = await Promise.all(Array.from({ length: 5 }, () => payHold(pay, { hold, shopper })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.filter((r) => r.ok && !r.repeat)).toHaveLength(1);
    expect(provider.charges.length - before).toBe(1);
    expect(provider.refunds).toHaveLength(0);
    // the payment lands even though the order job was never admitted: upserted as paid
    await waitFor(async () => (await orderStatus(hold)) === 'paid', 'order paid');
    expect(await count(env, 'payments WHERE hold_id = $1', [hold])).toBe(1);
    await expectBooksBalance(deal);
  });

  it('a declined payment keeps the hold; a hold running out during the charge is refunded', async () => {
    const deal = await createDeal(env, stock, { stock: 10, holdSeconds: 60 });
    const [a, b] = await grabHolds(stock, deal, 2, 1, 'dec');
    const declining = new DemoPaymentProvider(1);
    expect(await payHold({ ...pay, provider: declining }, { hold: a!.hold, shopper: a!.shopper }))
      .toEqual({ ok: false, code: 'payment_declined' });
    expect((await stock.readHold(a!.hold))!.state).toBe('held');

    // a provider slow enough that the hold expires (force-released here) before the confirm
    const slow = new DemoPaymentProvider();
    const charge = slow.charge.bind(slow);
    slow.charge = async (req) => {
      await stock.releaseExpiredHold(req.hold, true);
      return charge(req);
    };
    expect(await payHold({ ...pay, provider: slow }, { hold: b!.hold, shopper: b!.shopper }))
      .toEqual({ ok: false, code: 'hold_expired' });
    expect(slow.refunds).toEqual([slow.charges[0]!.ref]);
    expect(await count(env, 'payments WHERE hold_id = $1', [b!.hold])).toBe(0);
  });

  it('settling a payment never flips a cancelled order to paid', async () => {
    const deal = await createDeal(env, stock, { stock: 5, holdSeconds: 1 });
    const [job] = await grabHolds(stock, deal, 1, 1, 'conf');
    await new Promise((r) => setTimeout(r, 1_100));
    await expireHoldNow(expireDeps(), job!.hold);
    const stats = newStats();
    const p: OrderJob & { provider: string; providerRef: string; paidAt: number } = {
      ...job!, provider: 'demo', providerRef: 'demo-x', paidAt: Date.now(),
    };
    expect(await settlePayment({ config: env.config, redis: env.redis, pool: env.pool, logger, stats }, p)).toBe('cancelled');
    expect(stats.paidButCancelled).toBe(1);
    expect(await orderStatus(job!.hold)).toBe('cancelled');
    expect(await ledger(job!.hold, 'sale')).toBe(0);
  });
});
