// The state of a shopper's own holds, for a page that (re)subscribes: pushed news (`paid`,
// `expired`) is not replayed to a socket that was down when it left, so every `sub` is answered
// with where the shopper's holds stand now.
import type { Pool } from '../db/pool.ts';
import { listShopperOrders } from '../db/orders-repo.ts';
import type { HoldRecord, StockStore } from '../stock/stock-store.ts';
import type { HoldStateView, OrderStatus } from '../shared/protocol.ts';

/** Holds sent per `sub`, newest first: a page shows its recent holds, not a purchase history. */
export const HOLDS_PER_SUB = 50;

const statusOfRecord: Record<HoldRecord['state'], OrderStatus> = { held: 'pending', paid: 'paid', expired: 'cancelled' };

/**
 * The shopper's latest holds with order rows. A hold still pending in Postgres is looked up in
 * Redis, where payment and expiry land first (the order row follows through a queue): a page
 * must not be told `pending` about a hold that Redis already released or confirmed.
 */
export async function shopperHolds(pool: Pool, stock: StockStore, shopper: string): Promise<HoldStateView[]> {
  const orders = await listShopperOrders(pool, shopper, HOLDS_PER_SUB);
  const records = await Promise.all(orders.map((o) => (o.status === 'pending' ? stock.readHold(o.hold) : null)));
  return orders.map((o, i) => {
    const record = records[i];
    return {
      hold: o.hold, deal: o.deal, qty: o.qty, expiresAt: o.expiresAt,
      status: record ? statusOfRecord[record.state] : o.status,
    };
  });
}
