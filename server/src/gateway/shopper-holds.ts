// The state of a shopper's own holds, for a page that (re)subscribes: pushed news (`paid`,
// `expired`) is not replayed to a socket that was down when it left, so every `sub` is answered
// with where the shopper's holds stand now.
import type { Pool } from '../db/pool.ts';
import { listOrdersOfShoppers } from '../db/orders-repo.ts';
import type { HoldRecord, StockStore } from '../stock/stock-store.ts';
import type { HoldStateView, OrderStatus } from '../shared/protocol.ts';

/** Holds sent per `sub`, newest first: a page shows its recent holds, not a purchase history. */
export const HOLDS_PER_SUB = 50;

const statusOfRecord: Record<HoldRecord['state'], OrderStatus> = { held: 'pending', paid: 'paid', expired: 'cancelled' };

/**
 * The latest holds with order rows of each shopper given (every one in the map). A hold still
 * pending in Postgres is looked up in Redis, where payment and expiry land first (the order row
 * follows through a queue): a page must not be told `pending` about a hold that Redis already
 * released or confirmed. One query and one Redis round trip for all of them.
 */
export async function shoppersHolds(pool: Pool, stock: StockStore, shoppers: readonly string[]): Promise<Map<string, HoldStateView[]>> {
  const orders = await listOrdersOfShoppers(pool, shoppers, HOLDS_PER_SUB);
  const pending: string[] = [];
  for (const list of orders.values()) for (const o of list) if (o.status === 'pending') pending.push(o.hold);
  const records = new Map<string, HoldRecord | null>();
  if (pending.length > 0) (await stock.readHolds(pending)).forEach((r, i) => records.set(pending[i]!, r));
  const out = new Map<string, HoldStateView[]>();
  for (const [shopper, list] of orders) {
    out.set(shopper, list.map((o) => {
      const record = records.get(o.hold);
      return {
        hold: o.hold, deal: o.deal, qty: o.qty, expiresAt: o.expiresAt,
        status: record ? statusOfRecord[record.state] : o.status,
      };
    }));
  }
  return out;
}

/** Shoppers per read: the query and the HMGETs stay a few ms of Postgres and Redis each. */
const READ_BATCH = 256;
/** As with grab batches (grab-batcher.ts), the turn's end can be far away in a flood of socket
 *  events: a batch also leaves once its first shopper has waited this long. */
const READ_AFTER_MS = 50;

/**
 * Reads shoppers' holds in batches: every read asked for in one event-loop turn (or up to
 * READ_BATCH of them) goes out as one `shoppersHolds`. A gateway taking a dead one's shoppers
 * answers thousands of `sub`s at once, and after a Redis restart it sends every socket its holds
 * again; a query and a Redis read per shopper were thousands of round trips competing with the
 * grabs for the event loop and for the two cores Postgres and the gateway share.
 */
export class HoldsReader {
  private queued = new Map<string, { resolve(h: HoldStateView[]): void; reject(err: unknown): void }[]>();
  private queuedSince = 0;
  private scheduled = false;
  /** batches read (tests, the log line) */
  batches = 0;

  constructor(private readonly pool: Pool, private readonly stock: StockStore) {}

  load(shopper: string): Promise<HoldStateView[]> {
    return new Promise((resolve, reject) => {
      const waiting = this.queued.get(shopper);
      if (waiting) waiting.push({ resolve, reject });
      else this.queued.set(shopper, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        this.queuedSince = performance.now();
        setImmediate(this.flush);
      } else if (this.queued.size >= READ_BATCH || performance.now() - this.queuedSince >= READ_AFTER_MS) {
        this.flush();
        this.scheduled = true;
        this.queuedSince = performance.now();
      }
    });
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.queued.size === 0) return;
    const batch = this.queued;
    this.queued = new Map();
    this.batches++;
    shoppersHolds(this.pool, this.stock, [...batch.keys()]).then(
      (holds) => { for (const [shopper, waiters] of batch) for (const w of waiters) w.resolve(holds.get(shopper) ?? []); },
      (err: unknown) => { for (const waiters of batch.values()) for (const w of waiters) w.reject(err); },
    );
  };
}
