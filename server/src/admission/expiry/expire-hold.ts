// One hold's expiry, the step every path ends in (the worker, the reconciler, tests). The Lua
// script decides, exactly once, whether a hold is released; Postgres follows with idempotent
// writes, then the shopper is told.
import { cancelOrders, cancelPendingOrder, inTransaction, insertLedger, insertOrders } from '../../db/orders-repo.ts';
import { publishShopperNews, type ShopperNews } from '../../live/shopper-news.ts';
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

/** Expire one hold now if it is due (Redis clock). Used by tests (the expiry worker calls
 *  expireHoldsNow; the reconciler re-queues a job rather than calling it); running it any number
 *  of times gives the stock back once. */
export async function expireHoldNow(deps: ExpireDeps, hold: string): Promise<ReleaseResult> {
  return (await expireHoldsNow(deps, [hold]))[0]!;
}

/** Expire those of these holds that are due, all at once: the Lua releases go out together (one
 *  pipelined round trip), their orders are cancelled and booked in one transaction, and the
 *  shoppers' news leave in one message. A batch job's holds one after another cost a Postgres
 *  transaction each, in sequence: on a loaded machine a batch of a whole admission window ran
 *  for minutes while its holds stayed held. Results are in the order of `holds`; running it
 *  again gives nothing back twice. */
export async function expireHoldsNow(deps: ExpireDeps, holds: readonly string[]): Promise<ReleaseResult[]> {
  const results = await Promise.all(holds.map((hold) => deps.stock.releaseExpiredHold(hold)));
  // Released now, or by an earlier run that may have died before Postgres (finished here,
  // idempotently; its shopper was told then, or will see it in their orders).
  const ended: { hold: string; dealId: string; qty: number }[] = [];
  results.forEach((r, i) => {
    const hold = holds[i]!;
    if (r.released) ended.push({ hold, dealId: r.dealId, qty: r.qty });
    else if (r.reason === 'already_released') {
      const dealId = dealIdOfHold(hold);
      if (dealId && r.qty) ended.push({ hold, dealId, qty: r.qty });
    }
  });
  if (ended.length === 0) return results;
  const cancelled = new Set(await inTransaction(deps.pool, async (c) => {
    const done = await cancelOrders(c, ended.map((e) => e.hold));
    const byHold = new Set(done);
    await insertLedger(c, 'release', ended.filter((e) => byHold.has(e.hold)));
    return done;
  }));
  // No order row yet (its job lags behind, or died with its worker), or one that is not
  // pending: the careful path, one hold at a time; rare, so its cost does not matter. A hold
  // failing there must not keep the news of the others from their shoppers: a run again finds
  // them already released and tells no one.
  let failure: unknown = null;
  for (const e of ended) {
    if (cancelled.has(e.hold)) continue;
    await recordRelease(deps, e.hold, e.dealId, e.qty).catch((err: unknown) => { failure ??= err; });
  }
  const news: ShopperNews[] = [];
  results.forEach((r, i) => {
    if (r.released) news.push({ shopper: r.shopper, msg: { t: 'expired', hold: holds[i]!, deal: r.dealId } });
  });
  deps.stats.holdsReleased += news.length;
  await publishShopperNews(deps.redis, deps.config.keyPrefix, news);
  if (failure !== null) throw failure;
  return results;
}
