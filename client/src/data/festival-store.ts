// The shopper page's state: the festival and its deals (merged from live updates), and the
// shopper's own holds and orders (restored over REST, then kept current by pushed news).
import {
  GrabRefusal,
  PayRefusal,
  ServerMsg,
  type DealView,
  type FestivalView,
  type PaymentMethodValue,
  type ServerMessage,
} from '../../../server/src/shared/protocol.ts';
import { orderNumber } from '../../../server/src/shared/order-number.ts';
import { fetchCurrentFestival, fetchOrders, HttpError, type OrderRow } from './api.ts';
import { clock, serverNow } from './clock.ts';
import type { DealMine, HoldStatus, MyHold, Refusal } from './grab-state.ts';
import { dropSession, getSession } from './session.ts';
import { festivalFromPage, type ShellFestival } from './offline.ts';
import type { ShopperSocket } from './socket.ts';
import { ChangeEmitter } from './change-emitter.ts';

export interface FestivalInfo {
  id: string;
  name: string;
  startsAt: number;
  endsAt: number;
}

export type LoadState = 'loading' | 'ready' | 'no_festival' | 'error';

/** A hold as first seen, before any status news: pending, one unit, priced from its deal. */
function newHold(hold: string, deal: string, d: DealView | undefined): MyHold {
  return {
    hold, orderNo: orderNumber(hold) ?? hold, deal, title: d?.title ?? deal, qty: 1, status: 'pending',
    expired: false, heldAt: 0, expiresAt: 0, paidAt: null, payError: null,
    unitPrice: d?.dealPrice ?? null, method: null,
  };
}

/** An unanswered grab this old, on a live line, is given up (its answer may still arrive). */
const grabAnswerTimeoutMs = 15_000;
const festivalRetryMs = 30_000;

const emptyMine: DealMine = Object.freeze({ holds: [], grabbing: false, paying: false, refusal: null });

export class FestivalStore {
  festival: FestivalInfo | null = null;
  load: LoadState = 'loading';
  /** deal ids in the festival's order */
  dealIds: readonly string[] = [];
  readonly deals = new Map<string, DealView>();
  /** by hold id */
  readonly holds = new Map<string, MyHold>();
  /** last protocol error, for a notice */
  notice: Refusal | null = null;

  private readonly mine = new Map<string, DealMine>();
  private readonly grabs = new Map<string, string>(); // rid -> deal
  private readonly pays = new Map<string, string>(); // rid -> hold
  private readonly refusals = new Map<string, Refusal>(); // deal -> last grab refusal
  private readonly changes = new ChangeEmitter();
  private shopper: string | null = null;
  private unsubscribe: (() => void) | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** the festival came from the page's HTML (perhaps a cached page): the REST answer replaces it */
  private fromPage = false;

  constructor(private readonly socket: ShopperSocket) {}

  async start(): Promise<void> {
    // Before the first render: the page shows the festival the HTML brought, not "Loading".
    const shell = this.festival ? null : festivalFromPage();
    if (shell) {
      this.setFestival(shell);
      this.fromPage = true;
      // Follow it now, not once GET /api/festivals/current answers: that request may be slow or
      // fail (a flaky network, an offline revisit), and until the socket's `sub` the page would
      // look live yet miss every sale, ticker item and stock change. The gateway answers the
      // `sub` with the festival as it is now, which replaces the page's copy.
      this.socket.subscribeFestival(shell.id);
    }
    this.unsubscribe ??= this.socket.subscribe((m) => this.handle(m));
    this.socket.start();
    await Promise.all([this.loadFestival(), this.loadOrders()]);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    clearTimeout(this.retryTimer);
    this.socket.stop();
  }

  subscribe(onChange: () => void): () => void {
    return this.changes.subscribe(onChange);
  }

  mineFor(dealId: string): DealMine {
    return this.mine.get(dealId) ?? emptyMine;
  }

  /** The shopper's holds and orders, newest first. */
  orders(): MyHold[] {
    return [...this.holds.values()].sort((a, b) => b.heldAt - a.heldAt);
  }

  /** `pass`: the waiting room's admission pass, when the deal's room is on. */
  grab(dealId: string, qty = 1, pass?: string): void {
    const rid = this.socket.grab(dealId, qty, pass);
    this.grabs.set(rid, dealId);
    this.refusals.delete(dealId);
    this.notice = null;
    this.touch(dealId);
    const giveUp = () => {
      if (!this.grabs.has(rid)) return;
      // Offline, the grab waits for the reconnect (and is re-sent with its rid); online, the
      // answer is lost (a protocol error has no rid), so free the button.
      if (this.socket.status !== 'live') return void setTimeout(giveUp, grabAnswerTimeoutMs);
      this.grabs.delete(rid);
      this.socket.forget(rid);
      this.refusals.set(dealId, { code: 'timeout', message: 'No answer from the shop; try again.' });
      this.touch(dealId);
    };
    setTimeout(giveUp, grabAnswerTimeoutMs);
  }

  pay(hold: string, method: PaymentMethodValue): void {
    const h = this.holds.get(hold);
    if (!h) return;
    const rid = this.socket.pay(hold, method);
    this.pays.set(rid, hold);
    this.holds.set(hold, { ...h, payError: null });
    this.touch(h.deal);
  }

  handle(msg: ServerMessage): void {
    switch (msg.t) {
      case ServerMsg.Hello:
        // News pushed while the socket was down (paid, expired) arrives as `holds` after the
        // subscription the socket re-sends on every hello.
        if (this.shopper !== null && this.shopper !== msg.shopper) this.forgetShopper();
        this.shopper = msg.shopper;
        return;
      case ServerMsg.Festival:
        // The answer to an earlier `sub` (the shell's festival, before the REST answer named
        // another) must not replace the festival followed now.
        if (this.socket.followedFestival !== null && msg.festival.id !== this.socket.followedFestival) return;
        this.setFestival(msg.festival);
        return;
      case ServerMsg.Deal:
        this.mergeDeal(msg.deal);
        return;
      case ServerMsg.Deals:
        for (const d of msg.deals) this.mergeDeal(d);
        return;
      case ServerMsg.Held: {
        this.grabs.delete(msg.rid);
        this.refusals.delete(msg.deal);
        const deal = this.deals.get(msg.deal);
        this.upsertHold({
          ...newHold(msg.hold, msg.deal, deal),
          qty: msg.qty,
          heldAt: serverNow(),
          expiresAt: msg.expiresAt,
        });
        return;
      }
      case ServerMsg.Refused: {
        // Match by rid first: a refusal sent before the gateway parsed the message (rate_limited)
        // carries the rid but `deal: ''` and no hold, whether it answered a grab or a payment.
        const rid = msg.rid;
        const payHold = rid ? this.pays.get(rid) : undefined;
        if (rid && this.grabs.has(rid)) this.onGrabRefused(rid, msg.code, msg.message);
        else if (payHold !== undefined) this.onPayRefused(payHold, msg.code, msg.message, rid);
        else if ('hold' in msg && typeof msg.hold === 'string') this.onPayRefused(msg.hold, msg.code, msg.message, rid);
        // else: the answer to a grab we stopped waiting for (timed out, or a duplicate after a
        // re-send); it must not overwrite a newer state.
        return;
      }
      case ServerMsg.Order:
        this.setStatus(msg.hold, msg.deal, msg.status, { qty: msg.qty });
        return;
      case ServerMsg.Paid:
        if (msg.rid) this.pays.delete(msg.rid);
        this.setStatus(msg.hold, msg.deal, 'paid', msg.method ? { method: msg.method } : {});
        return;
      case ServerMsg.Expired:
        this.refusals.delete(msg.deal); // a limit or sold-out answer may no longer hold
        this.setStatus(msg.hold, msg.deal, 'cancelled', { expired: true });
        return;
      case ServerMsg.Holds:
        for (const h of msg.holds) {
          this.setStatus(h.hold, h.deal, h.status, { qty: h.qty, expiresAt: h.expiresAt, expired: h.status === 'cancelled' });
        }
        return;
      case ServerMsg.Error:
        this.notice = { code: msg.code, message: msg.message };
        this.emit();
        return;
    }
  }

  private setFestival(f: ShellFestival): void {
    this.fromPage = false;
    this.festival = { id: f.id, name: f.name, startsAt: f.startsAt, endsAt: f.endsAt };
    this.load = 'ready';
    this.deals.clear();
    for (const d of f.deals) this.deals.set(d.id, d);
    this.dealIds = f.deals.map((d) => d.id);
    for (const h of this.holds.values()) {
      const d = this.deals.get(h.deal);
      if (d && (h.title === h.deal || !h.unitPrice)) {
        this.holds.set(h.hold, { ...h, title: h.title === h.deal ? d.title : h.title, unitPrice: h.unitPrice ?? d.dealPrice });
      }
    }
    this.emit();
  }

  private mergeDeal(d: DealView): void {
    if (this.festival && d.festivalId !== this.festival.id) return;
    if (!this.deals.has(d.id)) this.dealIds = [...this.dealIds, d.id];
    this.deals.set(d.id, d);
    const r = this.refusals.get(d.id);
    if (r?.code === GrabRefusal.SoldOut && d.available > 0) {
      this.refusals.delete(d.id);
      this.touch(d.id);
    } else {
      this.emit();
    }
  }

  private onGrabRefused(rid: string, code: string, message: string): void {
    const deal = this.grabs.get(rid);
    if (deal === undefined) return;
    this.grabs.delete(rid);
    this.refusals.set(deal, { code, message });
    this.touch(deal);
  }

  private onPayRefused(hold: string, code: string, message: string, rid?: string): void {
    if (rid) this.pays.delete(rid);
    const h = this.holds.get(hold);
    if (!h) return;
    if (code === PayRefusal.HoldExpired) this.setStatus(hold, h.deal, 'cancelled', { expired: true });
    else if (code === PayRefusal.AlreadyPaid) this.setStatus(hold, h.deal, 'paid');
    else {
      this.holds.set(hold, { ...h, payError: { code, message } });
      this.touch(h.deal);
    }
  }

  /** Status only moves forward: pending -> paid | cancelled; a late 'pending' changes nothing. */
  private setStatus(hold: string, deal: string, status: HoldStatus, extra: Partial<MyHold> = {}): void {
    const h = this.holds.get(hold);
    if (h) {
      for (const [rid, hid] of this.pays) if (hid === hold && status !== 'pending') this.pays.delete(rid);
      if (h.status !== 'pending') return this.touch(deal);
      this.upsertHold({ ...h, ...extra, status, paidAt: status === 'paid' ? serverNow() : h.paidAt });
      return;
    }
    // News about a hold this page never saw (made in another tab): show it too.
    const d = this.deals.get(deal);
    const now = serverNow();
    this.upsertHold({
      ...newHold(hold, deal, d),
      heldAt: now,
      expiresAt: now + (d?.holdSeconds ?? 0) * 1000,
      paidAt: status === 'paid' ? now : null,
      ...extra,
      status,
    });
  }

  private upsertHold(h: MyHold): void {
    const old = this.holds.get(h.hold);
    // A REST restore or a late message must not move a finished hold back to pending.
    if (old && old.status !== 'pending' && h.status === 'pending') return;
    this.holds.set(h.hold, h);
    this.touch(h.deal);
  }

  private forgetShopper(): void {
    const deals = new Set([...this.holds.values()].map((h) => h.deal));
    this.holds.clear();
    this.refusals.clear();
    for (const d of deals) this.touch(d);
  }

  private async loadFestival(): Promise<void> {
    clearTimeout(this.retryTimer);
    try {
      const f = await fetchCurrentFestival();
      if (f) {
        clock.addRough(f.serverTime);
        // The socket's own `festival` message may have come first; it is as fresh as this.
        if (this.festival?.id !== f.id || this.fromPage) this.setFestival(f);
        this.socket.subscribeFestival(f.id);
        return;
      }
      this.load = 'no_festival';
    } catch {
      if (this.load !== 'ready') this.load = 'error';
    }
    this.emit();
    this.retryTimer = setTimeout(() => void this.loadFestival(), festivalRetryMs);
  }

  private async loadOrders(retry = true): Promise<void> {
    try {
      const session = await getSession();
      let rows: OrderRow[];
      try {
        rows = await fetchOrders(session.token);
      } catch (err) {
        if (retry && err instanceof HttpError && err.status === 401) {
          dropSession(session.token);
          return this.loadOrders(false);
        }
        throw err;
      }
      for (const r of rows) {
        const known = this.holds.get(r.hold);
        this.upsertHold({
          hold: r.hold,
          orderNo: r.orderNo,
          deal: r.deal,
          title: r.title,
          qty: r.qty,
          status: r.status,
          // The REST row says only "cancelled"; an unpaid hold past its expiry is what the page
          // calls expired.
          expired: known?.expired ?? (r.status === 'cancelled' && r.paidAt === null && r.expiresAt <= serverNow()),
          heldAt: r.heldAt,
          expiresAt: r.expiresAt,
          paidAt: r.paidAt,
          payError: known?.payError ?? null,
          unitPrice: r.unitPrice,
          method: r.method ?? known?.method ?? null,
        });
      }
    } catch {
      /* the page works without the history; the next reconnect tries again */
    }
  }

  /** The shopper's side of `dealId` changed: give its card a new object so it re-renders. */
  private touch(dealId: string): void {
    const holds = [...this.holds.values()].filter((h) => h.deal === dealId).sort((a, b) => b.heldAt - a.heldAt);
    this.mine.set(dealId, {
      holds,
      grabbing: [...this.grabs.values()].includes(dealId),
      paying: [...this.pays.values()].some((hid) => this.holds.get(hid)?.deal === dealId),
      refusal: this.refusals.get(dealId) ?? null,
    });
    this.emit();
  }

  private emit(): void {
    this.changes.emit();
  }
}
