// Orders whose hold Redis lost. Redis (Cluster) replicates asynchronously: when a master dies,
// the replica promoted in its place may not have its last writes, so a hold the shopper was told
// about (and whose order row the worker wrote) can be missing from the deal's holds hash, or the
// deal's hash may be missing altogether. Postgres is the record: each such order is settled here,
// by the leader's reconcile, one hold at a time (stock/lua/settle-lost-hold-4.lua decides in
// Redis, atomically, so a second run or a racing one agrees):
// - a pending order is put back as a hold, with its unit, when the deal can still give it (its
//   time not up, available >= qty, the shopper within the limit); otherwise the hold is recorded
//   as released, the order cancelled with its 'release' ledger row, and the shopper told;
// - a paid order is put back as sold when available >= qty; otherwise the unit was sold twice,
//   which nothing here may undo (reported, for ops);
// - a deal whose hash is gone is first re-created from Postgres (lost-deals.ts); only one that
//   Postgres has no row for reaches here without a hash: its pending orders are cancelled and
//   their shoppers told.
// Never oversells: a unit comes back only from `available`.
import type pg from 'pg';
import type { Logger } from '../logger.ts';
import type { RedisClient } from '../redis.ts';
import type { StockStore, DealSnapshot } from '../stock/stock-store.ts';
import { cancelOrders, countLiveOrders, inTransaction, insertLedger, listLiveOrders, type LiveOrder } from '../db/orders-repo.ts';
import { publishShopperNews, type ShopperNews } from '../live/shopper-news.ts';

export interface LostHoldsReport {
  /** pending or paid orders whose hold Redis did not have */
  found: number;
  /** put back as held / as sold */
  restored: number;
  restoredPaid: number;
  /** orders cancelled (their shoppers told) */
  cancelled: number;
  /** paid orders whose unit the deal no longer has (sold twice), or whose deal hash is gone */
  unsettled: number;
}

export const emptyLostHolds = (): LostHoldsReport => ({ found: 0, restored: 0, restoredPaid: 0, cancelled: 0, unsettled: 0 });

export interface LostHoldsDeps {
  pool: pg.Pool;
  redis: RedisClient;
  stock: StockStore;
  keyPrefix: string;
  logger?: Logger;
}

/** The number of a hold id `<dealId>-<seq>`. */
function seqOf(hold: string): number {
  return Number(hold.slice(hold.lastIndexOf('-') + 1));
}

/**
 * Settles the deal's orders whose hold Redis lost, into `report`. `snap` is the deal as Redis
 * has it (null: its hash is missing); `matched` is how many of its holds have a pending or paid
 * order: when Postgres has no more than that, nothing is lost and only one count is read.
 */
export async function settleLostHolds(deps: LostHoldsDeps, dealId: string, snap: DealSnapshot | null,
  matched: number, report: LostHoldsReport): Promise<void> {
  if (snap && (await countLiveOrders(deps.pool, dealId)) <= matched) return;
  const inRedis = new Set(snap?.holds.map((h) => h.hold));
  const lost = (await listLiveOrders(deps.pool, dealId)).filter((o) => !inRedis.has(o.hold));
  if (lost.length === 0) return;
  report.found += lost.length;
  const cancel: LiveOrder[] = [];
  for (const o of lost) {
    const outcome = await deps.stock.settleLostHold(dealId, { ...o, seq: seqOf(o.hold), state: o.status });
    deps.logger?.warn({ deal: dealId, hold: o.hold, shopper: o.shopper, status: o.status, outcome }, 'reconcile: order whose hold Redis lost');
    if (outcome === 'restored_held') report.restored++;
    else if (outcome === 'restored_paid') report.restoredPaid++;
    else if (o.status === 'pending' && (outcome === 'released' || outcome === 'deal_missing')) cancel.push(o);
    else if (outcome !== 'hold_present') report.unsettled++;
  }
  report.cancelled += await cancelLostOrders(deps, dealId, cancel);
}

/** Cancels these pending orders (a 'release' ledger row each) and tells their shoppers;
 *  returns how many were still pending and are now cancelled. */
export async function cancelLostOrders(deps: Pick<LostHoldsDeps, 'pool' | 'redis' | 'keyPrefix'>, dealId: string,
  orders: readonly Pick<LiveOrder, 'hold' | 'shopper' | 'qty'>[]): Promise<number> {
  if (orders.length === 0) return 0;
  const done = await inTransaction(deps.pool, async (c) => {
    const cancelled = new Set(await cancelOrders(c, orders.map((o) => o.hold)));
    const rows = orders.filter((o) => cancelled.has(o.hold));
    await insertLedger(c, 'release', rows.map((o) => ({ hold: o.hold, dealId, qty: o.qty })));
    return rows;
  });
  const news: ShopperNews[] = done.map((o) => ({ shopper: o.shopper, msg: { t: 'order', hold: o.hold, deal: dealId, qty: o.qty, status: 'cancelled' } }));
  await publishShopperNews(deps.redis, deps.keyPrefix, news);
  return done.length;
}
