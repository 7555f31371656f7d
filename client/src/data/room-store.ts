// The shopper's side of the deals' waiting rooms (README "Waiting room"): which deals have a
// room on, this shopper's place in each line, how far the line has moved, the draw, and the
// admission pass that grabs carry. Fed by the socket's room messages; one `serving` broadcast
// per room per tick moves every waiter's place (place = own number - n).
import { GrabRefusal, ServerMsg, type ServerMessage } from '../../../server/src/shared/protocol.ts';
import type { RoomClosedReason, RoomPhase } from '../../../server/src/shared/room-protocol.ts';
import { serverNow } from './clock.ts';
import { solvePow } from './pow.ts';
import type { ShopperSocket } from './socket.ts';
import { ChangeEmitter } from './change-emitter.ts';

/**
 * - `off`: no room (or not known to have one): grab directly.
 * - `outside`: the room is on and this shopper is not in line (`lost` says whether a place was
 *   taken away: away past the grace, or the grab window ran out).
 * - `solving`: the proof of work at the door is being solved; `joining`: the solution was sent.
 * - `in_line`: waiting (before the draw with a ticket, after it with a number).
 * - `admitted`: the line reached this shopper: grab with `pass` until `until`.
 * - `closed`: sold out / ended / stopped: nobody else gets in.
 */
export type RoomStatus = 'off' | 'outside' | 'solving' | 'joining' | 'in_line' | 'admitted' | 'closed';

export interface RoomView {
  status: RoomStatus;
  phase: RoomPhase | null;
  number: number | null;
  ticket: number | null;
  /** the last number admitted or skipped */
  serving: number;
  /** shoppers in line */
  waiting: number;
  /** measured admitted/s; 0 while the line does not move */
  rate: number;
  paused: boolean;
  commit: string;
  /** revealed after the draw */
  seed: string | null;
  entries: number;
  pass: string | null;
  until: number;
  closedReason: RoomClosedReason | null;
  lost: 'abandoned' | 'expired' | null;
  /** the door's challenge could not be solved or the room could not be reached */
  failed: boolean;
}

const offView: RoomView = Object.freeze({
  status: 'off', phase: null, number: null, ticket: null, serving: 0, waiting: 0, rate: 0, paused: false,
  commit: '', seed: null, entries: 0, pass: null, until: 0, closedReason: null, lost: null, failed: false,
});

/** GET /api/rooms/:deal as far as the page needs it. */
interface PublicRoom {
  state: 'off' | 'pre' | 'drawing' | 'open' | 'closed';
  reason: RoomClosedReason | null;
  nowServing: number;
  waiting: number;
  admittedPerSecond: number;
  paused: boolean;
  commit: string;
  seed: string | null;
  entries: number;
}

const closedDealStates: ReadonlySet<string> = new Set(['ended', 'stopped', 'cancelled']);

export class RoomStore {
  private readonly rooms = new Map<string, RoomView>();
  private readonly checked = new Set<string>();
  private readonly changes = new ChangeEmitter();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly socket: ShopperSocket) {}

  start(): void {
    this.unsubscribe ??= this.socket.subscribe((m) => this.handle(m));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  subscribe(onChange: () => void): () => void {
    return this.changes.subscribe(onChange);
  }

  viewOf(deal: string): RoomView {
    return this.rooms.get(deal) ?? offView;
  }

  /** The pass a grab on `deal` carries, while its window is open. */
  passFor(deal: string): string | undefined {
    const r = this.rooms.get(deal);
    return r?.status === 'admitted' && r.pass && r.until > serverNow() ? r.pass : undefined;
  }

  /**
   * Asks once per deal whether it has a room (the public room view; a deal that turns its room
   * on later, `auto`, is found by the grab refusal `not_admitted`). Only deals not yet over.
   */
  check(deals: Iterable<{ id: string; state: string; endsAt: number }>): void {
    const now = serverNow();
    for (const d of deals) {
      if (this.checked.has(d.id) || closedDealStates.has(d.state) || d.endsAt <= now) continue;
      this.checked.add(d.id);
      void this.fetchRoom(d.id);
    }
  }

  /** "Join the line": ask the door for its challenge (or one's place back). */
  join(deal: string): void {
    const r = this.viewOf(deal);
    if (r.status !== 'outside') return;
    this.set(deal, { status: 'solving', lost: null, failed: false });
    this.socket.join(deal);
  }

  leave(deal: string): void {
    this.socket.leave(deal);
    this.set(deal, { status: 'outside', number: null, ticket: null, pass: null, until: 0, lost: null });
  }

  handle(msg: ServerMessage): void {
    switch (msg.t) {
      case ServerMsg.Pow:
        return void this.onPow(msg.deal, msg.challenge);
      case ServerMsg.Joined:
        this.set(msg.deal, {
          status: this.viewOf(msg.deal).status === 'admitted' ? 'admitted' : 'in_line',
          phase: msg.phase, number: msg.number, ticket: msg.ticket, commit: msg.commit || this.viewOf(msg.deal).commit,
          serving: Math.max(msg.serving, this.viewOf(msg.deal).serving), lost: null, failed: false,
        });
        return;
      case ServerMsg.Serving: {
        const r = this.rooms.get(msg.deal);
        if (!r) return;
        this.set(msg.deal, { serving: msg.n, waiting: msg.waiting, rate: msg.rate, paused: msg.paused, phase: r.phase === 'pre' && msg.n > 0 ? 'open' : r.phase });
        return;
      }
      case ServerMsg.Drawn:
        this.set(msg.deal, { commit: msg.commit, seed: msg.seed, entries: msg.entries, phase: 'open' });
        return;
      case ServerMsg.Admitted:
        this.set(msg.deal, { status: 'admitted', number: msg.number, pass: msg.pass, until: msg.until });
        return;
      case ServerMsg.RoomClosed:
        this.socket.leave(msg.deal, false);
        this.set(msg.deal, { status: 'closed', closedReason: msg.reason, pass: null });
        return;
      case ServerMsg.Left:
        this.socket.leave(msg.deal, false);
        if (msg.reason === 'off') return this.set(msg.deal, { ...offView });
        this.set(msg.deal, {
          status: 'outside', number: null, ticket: null, pass: null, until: 0,
          lost: msg.reason === 'left' ? null : msg.reason,
        });
        return;
      case ServerMsg.Refused:
        // a room turned on after the page asked (auto): the refusal says so
        if (msg.code === GrabRefusal.NotAdmitted && msg.deal && !['in_line', 'admitted', 'closed'].includes(this.viewOf(msg.deal).status)) {
          this.set(msg.deal, { status: 'outside' });
        }
        return;
    }
  }

  private async onPow(deal: string, challenge: Parameters<typeof solvePow>[0]): Promise<void> {
    const r = this.viewOf(deal);
    if (r.status !== 'solving' && r.status !== 'joining') {
      // a re-join after a reconnect found no place held any more: say so, do not queue anew
      this.socket.leave(deal, false);
      if (r.status === 'in_line') this.set(deal, { status: 'outside', number: null, ticket: null, lost: 'abandoned' });
      return;
    }
    this.set(deal, { status: 'solving' });
    let pow: string | null = null;
    try {
      pow = await solvePow(challenge);
    } catch {
      pow = null;
    }
    if (this.viewOf(deal).status !== 'solving') return; // left meanwhile
    if (!pow) return this.set(deal, { status: 'outside', failed: true });
    this.set(deal, { status: 'joining' });
    this.socket.join(deal, pow);
  }

  private async fetchRoom(deal: string): Promise<void> {
    let body: PublicRoom;
    try {
      const res = await fetch(`/api/rooms/${encodeURIComponent(deal)}`, { headers: { accept: 'application/json' } });
      if (!res.ok) return; // 409 room_off: no room; anything else: the grab refusal will tell
      body = (await res.json()) as PublicRoom;
    } catch {
      this.checked.delete(deal); // offline: ask again on the next look
      return;
    }
    if (body.state === 'off' || this.viewOf(deal).status !== 'off') return;
    this.set(deal, {
      status: body.state === 'closed' ? 'closed' : 'outside',
      phase: body.state === 'closed' ? null : body.state,
      closedReason: body.reason, serving: body.nowServing, waiting: body.waiting, rate: body.admittedPerSecond,
      paused: body.paused, commit: body.commit, seed: body.seed, entries: body.entries,
    });
  }

  private set(deal: string, patch: Partial<RoomView>): void {
    const next = { ...(this.rooms.get(deal) ?? offView), ...patch };
    // once closed, a late `serving` or `joined` from before the close cannot reopen the line
    if (this.rooms.get(deal)?.status === 'closed' && patch.status && patch.status !== 'closed') return;
    this.rooms.set(deal, next);
    this.changes.emit();
  }
}
