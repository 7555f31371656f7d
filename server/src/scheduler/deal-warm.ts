// What the scheduler pushes to Redis for a deal, and what Postgres records of its orders: a
// deal is warmed, and a lost one restored (stock/deal-restore.ts), from these two alone.
import type pg from 'pg';
import type { ScheduledDeal } from '../db/deals-repo.ts';
import { lastHoldsBySpan, listLiveOrders } from '../db/orders-repo.ts';
import { BUCKET_SEQ_SPAN } from '../stock/keys.ts';
import type { DealRecord, DealStatus, WarmDealInput } from '../stock/stock-store.ts';
import { DealState } from '../shared/protocol.ts';

/** The status Redis keeps for a deal in this Postgres state: a brand's stop or cancel refuses
 *  grabs there; every other state is 'open' (Redis judges the window by startsAt / endsAt). */
export function redisStatusOf(deal: Pick<ScheduledDeal, 'state'>): DealStatus {
  return deal.state === DealState.Stopped || deal.state === DealState.Cancelled ? deal.state : 'open';
}

/** `bucketUnits`: STOCK_BUCKET_UNITS, the rule for a deal without its own `stock_buckets`. */
export function warmInput(d: ScheduledDeal, bucketUnits: number, stock = d.stock): WarmDealInput {
  return {
    id: d.id, festivalId: d.festivalId, stock, limit: d.perShopperLimit, holdSeconds: d.holdSeconds,
    startsAt: d.startsAt, endsAt: d.endsAt, unitPriceMinor: d.dealPriceMinor, currency: d.currency,
    status: redisStatusOf(d), buckets: d.stockBuckets, bucketUnits,
  };
}

/** The deal's pending and paid orders and each bucket's last hold id, as Postgres has them. */
export async function readDealRecord(pool: pg.Pool, dealId: string): Promise<DealRecord> {
  const [orders, lastHolds] = await Promise.all([listLiveOrders(pool, dealId), lastHoldsBySpan(pool, dealId, BUCKET_SEQ_SPAN)]);
  return {
    holds: orders.map((o) => ({
      hold: o.hold, shopper: o.shopper, qty: o.qty, expiresAt: o.expiresAt, heldAt: o.heldAt, state: o.status === 'paid' ? 'paid' : 'held',
    })),
    lastHolds,
  };
}
