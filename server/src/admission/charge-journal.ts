// The charge journal closes the two crash windows of a payment. payHold charges the provider,
// then confirms the hold in Redis, then queues the settlement; a gateway that dies between those
// steps would leave a shopper charged for nothing (before the confirm) or a paid hold whose
// provider reference is lost (before the settlement). So every successful charge is written
// to the deal's journal first (StockStore.recordCharge) and removed once its outcome is queued; the scheduler's reconcile finishes whatever
// a dead payer left: confirm and settle while the hold is still live, settle a paid hold with
// its reference, refund everything else.
import type pg from 'pg';
import type { Queue } from 'bullmq';
import type { ChargeEntry, StockStore } from '../stock/stock-store.ts';
import type { Logger } from '../logger.ts';
import { jobId, type PaymentJob } from './queues.ts';
import type { PaymentProvider } from './payments.ts';

export interface ChargeRecoveryDeps {
  pool: pg.Pool;
  stock: StockStore;
  provider: PaymentProvider;
  payments: Queue<PaymentJob>;
  logger?: Logger;
  /** an entry younger than this may still have its payer working on it (the pay lock is 15 s) */
  graceMs?: number;
}

export interface ChargeRecovery {
  /** live holds a dead payer had charged: confirmed now and settled */
  confirmed: number;
  /** paid holds whose settlement was never queued: queued now with their reference */
  settled: number;
  /** charges that bought nothing (hold expired, or paid by another charge): refunded */
  refunded: number;
}

export async function recoverCharges(deps: ChargeRecoveryDeps, dealId: string, now: number): Promise<ChargeRecovery> {
  const out: ChargeRecovery = { confirmed: 0, settled: 0, refunded: 0 };
  for (const e of await deps.stock.listCharges(dealId)) {
    if (now - e.at < (deps.graceMs ?? 30_000)) continue;
    const outcome = await finish(deps, dealId, e, now);
    out[outcome]++;
    deps.logger?.warn({ hold: e.hold, deal: dealId, ref: e.ref, outcome }, 'reconcile: finished a payment its payer left half done');
    await deps.stock.clearCharge(dealId, e);
  }
  return out;
}

async function finish(deps: ChargeRecoveryDeps, dealId: string, e: ChargeEntry, now: number): Promise<keyof ChargeRecovery> {
  const settle = async (p: Omit<PaymentJob, 'provider' | 'providerRef' | 'paidAt' | 'dealId' | 'hold' | 'shopper'>) => {
    await deps.payments.add('pay', {
      ...p, hold: e.hold, dealId, shopper: e.shopper, provider: e.provider, providerRef: e.ref, paidAt: now,
      ...(e.method ? { method: e.method } : {}),
    }, { jobId: jobId.payment(e.hold) });
  };
  const rec = await deps.stock.readHold(e.hold);
  if (rec?.state === 'held') {
    const c = await deps.stock.confirmPayment(e.hold, e.shopper);
    if (c.ok && !c.repeat) {
      await settle(c);
      return 'confirmed';
    }
  } else if (rec?.state === 'paid') {
    const settledWith = await settlementRef(deps, e.hold);
    if (settledWith === e.ref) return 'settled'; // done; only the journal entry was left
    const deal = settledWith === undefined ? await deps.stock.readDeal(dealId) : null;
    if (deal) {
      await settle({ qty: rec.qty, unitPriceMinor: deal.unitPriceMinor, currency: deal.currency, heldAt: rec.heldAt, expiresAt: rec.expiresAt });
      return 'settled';
    }
  }
  await deps.provider.refund(e.ref);
  return 'refunded';
}

/** A paid hold is settled by exactly one charge: the one in its payment row or queued job. */
async function settlementRef(deps: ChargeRecoveryDeps, hold: string): Promise<string | undefined> {
  const { rows } = await deps.pool.query<{ provider_ref: string }>('SELECT provider_ref FROM payments WHERE hold_id = $1', [hold]);
  if (rows[0]) return rows[0].provider_ref;
  return (await deps.payments.getJob(jobId.payment(hold)))?.data.providerRef;
}
