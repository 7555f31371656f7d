// One hold's expiry, the step every path ends in (the worker, the reconciler, tests). The Lua
// script decides, exactly once, whether a hold is released; Postgres follows with idempotent
// writes, then the shopper is told.
import { cancelPendingOrder, inTransaction, insertLedger, insertOrders } from '../../db/orders-repo.ts';
import { publishShopperNews } from '../../live/shopper-news.ts';
import type { ReleaseResult } from '../../stock/decisions.ts';
import { dealIdOfHold } from '../../stock/keys.ts';
import type { AdmissionDeps } from '../deps.ts';

export type ExpireDeps = Pick<AdmissionDeps, 'config' | 'redis' | 'pool' | 'stock' | 'stats'>;

/** Cancel the hold's order and book the release. Safe to run again: the order flips only from
 *  pending and the ledger row is unique per (hold, reason). */
async function recordRelease(deps: ExpireDeps, hold: string, dealId: string, qty: number): Promise<void> {
  await inTransaction(deps.pool, async (c) => {
    if (!(await cancelPendingOrder(c, hold))) {
      // No pending row: either already cancelled (a repeat), or the order job is lagging behind
      // the expiry (or died with its worker). Write the order as cancelled from the hold record,
      // with its 'hold' ledger row, so the books stay whole; the late order job then meets
      // ON CONFLICT DO NOTHING.
      const [rec, deal] = await Promise.all([deps.stock.readHold(hold), deps.stock.readDeal(dealId)]);
      if (!rec || !deal) throw new Error(`expiry: hold ${hold} or deal ${dealId} missing from Redis`);
      const inserted = await insertOrders(c, [{
        hold, dealId, shopper: rec.shopper, qty: rec.qty, unitPriceMinor: deal.unitPriceMinor,
        currency: deal.currency, heldAt: rec.heldAt, expiresAt: rec.expiresAt,
      }], 'cancelled');
      // The order job's insert was in flight: ours waited for it and met ON CONFLICT, so its
      // row is there now, pending; the release booked below must not leave it so.
      if (inserted.length === 0) await cancelPendingOrder(c, hold);
    }
    await insertLedger(c, 'release', [{ hold, dealId, qty }]);
  });
}

/** Expire one hold now if it is due (Redis clock). Used by the expiry worker and tests (the
 *  reconciler re-queues a job rather than calling it); running it any number of times gives
 *  the stock back once. */
export async function expireHoldNow(deps: ExpireDeps, hold: string): Promise<ReleaseResult> {
  const r = await deps.stock.releaseExpiredHold(hold);
  if (r.released) {
    await recordRelease(deps, hold, r.dealId, r.qty);
    deps.stats.holdsReleased++;
    await publishShopperNews(deps.redis, deps.config.keyPrefix, [
      { shopper: r.shopper, msg: { t: 'expired', hold, deal: r.dealId } },
    ]);
  } else if (r.reason === 'already_released') {
    // The stock went back in an earlier run; if that run died before Postgres, finish its
    // writes now (idempotent). The shopper was told then, or will see it in their orders.
    const dealId = dealIdOfHold(hold);
    if (dealId && r.qty) await recordRelease(deps, hold, dealId, r.qty);
  }
  return r;
}
