// What the grab button of one deal shows, derived from the deal, the shopper's own holds and the
// server time. Pure, so a re-render at any instant gives the right state: a deal turns live the
// moment server time reaches startsAt and ended at endsAt, with no message needed.
import { DealState, GrabRefusal, type DealView, type Money, type PaymentMethodValue } from '../../../server/src/shared/protocol.ts';

export type GrabState =
  | 'waiting'
  | 'live'
  | 'grabbing'
  | 'held'
  | 'paying'
  | 'paid'
  | 'sold_out'
  | 'limit_reached'
  | 'ended'
  | 'expired'
  | 'error';

export type HoldStatus = 'pending' | 'paid' | 'cancelled';

/** One of the shopper's holds; once persisted it is an order with the same id. */
export interface MyHold {
  hold: string;
  /** what the shopper sees and quotes (shared/order-number.ts), the same on every device */
  orderNo: string;
  deal: string;
  title: string;
  qty: number;
  status: HoldStatus;
  /** cancelled because it was not paid in time (as opposed to cancelled by the shop) */
  expired: boolean;
  heldAt: number;
  expiresAt: number;
  paidAt: number | null;
  /** why the last payment attempt was refused, when it can be retried (shown by its code) */
  payError: Refusal | null;
  /** price of one unit, when known (from the order row or the deal) */
  unitPrice: Money | null;
  /** how it was paid, once paid */
  method: PaymentMethodValue | null;
}

export interface Refusal {
  code: string;
  message: string;
}

/** The shopper's side of one deal. Replaced (not mutated) on every change. */
export interface DealMine {
  /** newest first */
  holds: readonly MyHold[];
  grabbing: boolean;
  paying: boolean;
  /** the answer to the last grab, when it was a refusal */
  refusal: Refusal | null;
}

export interface GrabView {
  state: GrabState;
  /** the hold the state is about (held, paying, paid, expired) */
  hold: MyHold | null;
  /** the refusal the state is about: the page words it by its code */
  refusal: Refusal | null;
  /** whether a grab button belongs next to a paid/expired/error state */
  canGrab: boolean;
  /** server time at which this view changes by itself, if any */
  nextChange: number | null;
}

const closedStates: ReadonlySet<string> = new Set([DealState.Ended, DealState.Stopped, DealState.Cancelled]);

export function grabView(deal: DealView, mine: DealMine | undefined, now: number): GrabView {
  const holds = mine?.holds ?? [];
  const active = holds.find((h) => h.status === 'pending');
  const boundaries = [deal.startsAt, deal.endsAt];
  if (active) boundaries.push(active.expiresAt);
  const future = boundaries.filter((t) => t > now);
  const nextChange = future.length ? Math.min(...future) : null;

  const window: 'waiting' | 'live' | 'sold_out' | 'ended' =
    closedStates.has(deal.state) || now >= deal.endsAt
      ? 'ended'
      : now < deal.startsAt
        ? 'waiting'
        : deal.state === DealState.SoldOut || deal.available <= 0
          ? 'sold_out'
          : 'live';
  let mineQty = 0;
  for (const h of holds) if (h.status === 'paid' || (h.status === 'pending' && h.expiresAt > now)) mineQty += h.qty;
  const canGrab = window === 'live' && mineQty < deal.limit;
  const view = (state: GrabState, hold: MyHold | null = null, refusal: Refusal | null = null): GrabView => ({
    state,
    hold,
    refusal,
    canGrab,
    nextChange,
  });

  if (active) {
    if (mine?.paying) return view('paying', active);
    // Past its expiry the hold is gone even before the server's `expired` news arrives.
    return active.expiresAt > now ? view('held', active, active.payError) : view('expired', active);
  }
  if (mine?.grabbing) return view('grabbing');
  const latest = holds[0] ?? null;
  if (latest?.status === 'paid') return view('paid', latest);
  if (window === 'ended') return view('ended');
  const refusal = mine?.refusal;
  if (refusal) {
    switch (refusal.code) {
      case GrabRefusal.SoldOut:
        return view('sold_out', null, refusal);
      case GrabRefusal.LimitReached:
        return view('limit_reached', null, refusal);
      case GrabRefusal.Ended:
        return view('ended', null, refusal);
      case GrabRefusal.NotOpen:
        if (window === 'waiting') return view('waiting');
        return view('error', null, refusal);
      default:
        return view('error', null, refusal);
    }
  }
  if (latest?.expired) return view('expired', latest);
  if (window === 'waiting') return view('waiting');
  if (window === 'sold_out') return view('sold_out');
  if (mineQty >= deal.limit) return view('limit_reached');
  return view('live');
}
