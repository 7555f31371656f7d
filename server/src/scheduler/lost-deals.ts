// Deals whose hash, or one stock bucket's hash, Redis lost (a flush, or a failover to a replica
// that never had it). Reconcile re-creates each missing bucket from Postgres
// (stock/deal-restore.ts): its paid and pending holds, its shoppers' counts, a seq past every
// hold id it can have given, its share of the free units. Pending orders are cancelled (and
// their shoppers told) only where a restore cannot take them: when Postgres records more units
// in the missing buckets than the stock leaves them (something was wrong before), and when
// Postgres has no row for the deal at all (then lost-holds.ts cancels, as it always did).
import type pg from 'pg';
import type { Logger } from '../logger.ts';
import type { StockStore } from '../stock/stock-store.ts';
import { getDeal } from '../db/deals-repo.ts';
import { readDealRecord, warmInput } from './deal-warm.ts';
import { cancelLostOrders, type LostHoldsDeps } from './lost-holds.ts';

export interface LostDealsReport {
  /** deals found with a missing bucket */
  found: number;
  /** of them, deals Postgres has in play that the warm set had lost too */
  unlisted: number;
  /** buckets re-created from Postgres, and the holds written back into them */
  restoredBuckets: number;
  restoredHolds: number;
  /** pending orders a restore could not take (more units recorded than the stock): cancelled */
  cancelled: number;
  /** paid units beyond the stock in a restored bucket (sold twice before; reported) */
  short: number;
  /** deals left to the next run: another caller was restoring them, or the read failed (the
   *  buckets' shares kept moving, Redis did not answer) */
  deferred: number;
}

export const emptyLostDeals = (): LostDealsReport => ({
  found: 0, unlisted: 0, restoredBuckets: 0, restoredHolds: 0, cancelled: 0, short: 0, deferred: 0,
});

export interface LostDealsDeps extends LostHoldsDeps {
  pool: pg.Pool;
  stock: StockStore;
  logger?: Logger;
  /** STOCK_BUCKET_UNITS: a deal with no bucket left and no order is split as a first warm would */
  stockBucketUnits: number;
}

/**
 * Restores the deal's missing buckets, if any. 'intact': nothing missing; 'restored': every
 * missing bucket is back; 'deferred': another caller is at it, or the restore failed (skip the
 * deal this run, the next one tries again);
 * 'no_record': Postgres has no such deal (lost-holds.ts settles its orders as before).
 */
export async function restoreLostDeal(deps: LostDealsDeps, dealId: string, report: LostDealsReport):
  Promise<'intact' | 'restored' | 'deferred' | 'no_record'> {
  const { missing } = await deps.stock.presentBuckets(dealId);
  if (missing.length === 0) return 'intact';
  report.found++;
  const deal = await getDeal(deps.pool, dealId);
  if (!deal) return 'no_record';
  let r;
  try {
    r = await deps.stock.restoreDeal(warmInput(deal, deps.stockBucketUnits), await readDealRecord(deps.pool, dealId));
  } catch (err) {
    deps.logger?.error({ err, deal: dealId }, 'reconcile: restoring a lost deal failed; next run tries again');
    r = null;
  }
  if (!r || r.busy) {
    report.deferred++;
    return 'deferred';
  }
  report.restoredBuckets += r.restored.length;
  report.restoredHolds += r.holds;
  report.short += r.short;
  deps.logger?.warn({ deal: dealId, buckets: r.restored, holds: r.holds, dropped: r.dropped.length, short: r.short },
    'reconcile: deal buckets Redis lost, restored from Postgres');
  if (r.dropped.length) {
    report.cancelled += await cancelLostOrders(deps, dealId, r.dropped.map((h) => ({ hold: h.hold, shopper: h.shopper, qty: h.qty })));
  }
  return 'restored';
}
