// A payer (gateway) that dies mid-payment: the charge journal lets reconcile finish the job.
// Each case replays payHold's steps up to the crash point by hand, then runs reconcile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/test-env.ts';
import { StockStore, type ChargeEntry } from '../../src/stock/stock-store.ts';
import { createQueues, jobId, type AdmissionQueues } from '../../src/admission/queues.ts';
import { Admission } from '../../src/admission/queues.ts';
import { DemoPaymentProvider, payHold } from '../../src/admission/payments.ts';
import { reconcile } from '../../src/scheduler/reconcile.ts';

let env: TestEnv;
let stock: StockStore;
let queues: AdmissionQueues;
let provider: DemoPaymentProvider;
let seq = 500;

beforeAll(async () => {
  env = await createTestEnv();
  stock = new StockStore(env.redis, env.config.keyPrefix);
  queues = createQueues(env.config, env.redis);
  provider = new DemoPaymentProvider();
});
afterAll(async () => {
  await queues?.close();
  await env?.cleanup();
});

/** A warmed deal with one live hold for `shopper`. */
async function dealWithHold(holdSeconds = 60): Promise<{ dealId: string; hold: string }> {
  const dealId = String(++seq);
  const now = Date.now();
  await stock.warmDeal({ id: dealId, festivalId: '1', stock: 5, limit: 2, holdSeconds, startsAt: now - 1_000,
    endsAt: now + 60_000, unitPriceMinor: 2_500, currency: 'INR', status: 'open' });
  const d = (await stock.grabBatch(dealId, [{ shopper: 'shopper-1', qty: 2, rid: 'r' }])).decisions[0]!;
  if (!d.ok) throw new Error('grab refused');
  return { dealId, hold: d.hold };
}

/** payHold's first step, then a crash: charged, journalled, nothing else. */
async function chargeThenCrash(dealId: string, hold: string, ageMs = 60_000): Promise<ChargeEntry> {
  const c = await provider.charge({ hold, shopper: 'shopper-1', amountMinor: 5_000, currency: 'INR', method: 'card' });
  if (!c.ok) throw new Error('declined');
  const entry = { hold, shopper: 'shopper-1', ref: c.ref, provider: provider.name, amountMinor: 5_000, currency: 'INR', at: Date.now() - ageMs };
  await stock.recordCharge(dealId, entry);
  return entry;
}

function runReconcile() {
  return reconcile({ redis: env.redis, pool: env.pool, keyPrefix: env.config.keyPrefix, queues, provider, admitGraceMs: 60_000 });
}

async function journal(dealId: string): Promise<Record<string, string>> {
  return env.redis.hgetall(stock.keys(dealId).charges);
}

describe('charge journal', () => {
  it('a normal payment leaves no journal entry behind', async () => {
    const { dealId, hold } = await dealWithHold();
    const admission = new Admission(env.config, env.redis);
    const r = await payHold({ config: env.config, redis: env.redis, stock, provider, admission, dealMethods: async () => ['card'] }, { hold, shopper: 'shopper-1' });
    expect(r).toMatchObject({ ok: true, repeat: false });
    expect(await journal(dealId)).toEqual({});
    await admission.close();
  });

  it('charged, then the payer died before confirming: reconcile confirms and settles with that charge', async () => {
    const { dealId, hold } = await dealWithHold();
    const entry = await chargeThenCrash(dealId, hold);
    const report = await runReconcile();
    expect(report.charges).toMatchObject({ confirmed: 1, refunded: 0 });
    expect((await stock.readHold(hold))?.state).toBe('paid');
    expect(await stock.readDeal(dealId)).toMatchObject({ held: 0, sold: 2, available: 3 });
    const job = await queues.forDeal(dealId).payments.getJob(jobId.payment(hold));
    expect(job?.data).toMatchObject({ hold, dealId, providerRef: entry.ref, qty: 2, unitPriceMinor: 2_500, currency: 'INR' });
    expect(provider.refunds).not.toContain(entry.ref);
    expect(await journal(dealId)).toEqual({});
  });

  it('confirmed, then the payer died before queueing the settlement: reconcile queues it with the reference', async () => {
    const { dealId, hold } = await dealWithHold();
    const entry = await chargeThenCrash(dealId, hold);
    expect((await stock.confirmPayment(hold, 'shopper-1')).ok).toBe(true);
    const report = await runReconcile();
    expect(report.charges).toMatchObject({ settled: 1, refunded: 0 });
    expect((await queues.forDeal(dealId).payments.getJob(jobId.payment(hold)))?.data.providerRef).toBe(entry.ref);
    expect(await journal(dealId)).toEqual({});
  });

  it('charged for a hold that expired meanwhile: refunded, the stock stays unsold', async () => {
    const { dealId, hold } = await dealWithHold(1);
    const entry = await chargeThenCrash(dealId, hold);
    await new Promise((r) => setTimeout(r, 1_100));
    const report = await runReconcile();
    expect(report.charges).toMatchObject({ refunded: 1, confirmed: 0 });
    expect(provider.refunds).toContain(entry.ref);
    expect((await stock.readHold(hold))?.state).not.toBe('paid');
    expect(await stock.readDeal(dealId)).toMatchObject({ sold: 0 });
    expect(await queues.forDeal(dealId).payments.getJob(jobId.payment(hold))).toBeUndefined();
  });

  it('a second charge for a hold another charge already paid is refunded', async () => {
    const { dealId, hold } = await dealWithHold();
    const admission = new Admission(env.config, env.redis);
    await payHold({ config: env.config, redis: env.redis, stock, provider, admission, dealMethods: async () => ['card'] }, { hold, shopper: 'shopper-1' });
    await admission.close();
    const first = (await queues.forDeal(dealId).payments.getJob(jobId.payment(hold)))!.data.providerRef;
    const stray = await chargeThenCrash(dealId, hold);
    const report = await runReconcile();
    expect(report.charges).toMatchObject({ refunded: 1, settled: 0 });
    expect(provider.refunds).toContain(stray.ref);
    expect(provider.refunds).not.toContain(first);
    expect((await queues.forDeal(dealId).payments.getJob(jobId.payment(hold)))!.data.providerRef).toBe(first);
  });

  it('leaves a young entry to its payer', async () => {
    const { dealId, hold } = await dealWithHold();
    await chargeThenCrash(dealId, hold, 0);
    const report = await runReconcile();
    expect(report.charges).toEqual({ confirmed: 0, settled: 0, refunded: 0 });
    expect(Object.keys(await journal(dealId))).toHaveLength(1);
    expect((await stock.readHold(hold))?.state).toBe('held');
  });
});
