import { describe, expect, it } from 'vitest';
import type { DealView, ServerMessage } from '../../server/src/shared/protocol.ts';
import { FestivalStore } from '../src/data/festival-store.ts';
import type { ShopperSocket } from '../src/data/socket.ts';

class FakeSocket {
  status = 'live';
  sent: { kind: string; arg: string; rid: string }[] = [];
  private n = 0;
  grab(deal: string) {
    const rid = `r${++this.n}`;
    this.sent.push({ kind: 'grab', arg: deal, rid });
    return rid;
  }
  pay(hold: string) {
    const rid = `r${++this.n}`;
    this.sent.push({ kind: 'pay', arg: hold, rid });
    return rid;
  }
  forget() {}
  subscribe() {
    return () => {};
  }
  /** the festival a `sub` was sent for (none here: the store takes the first `festival` it gets) */
  followedFestival: string | null = null;
}

const now = Date.now();
const deal: DealView = {
  id: 'd1', festivalId: 'f1', brand: 'B', title: 'Thing', description: '', imageUrl: null,
  listPrice: { minor: 2000, currency: 'USD' }, dealPrice: { minor: 1000, currency: 'USD' },
  stock: 10, available: 10, held: 0, sold: 0, limit: 2, holdSeconds: 60,
  startsAt: now - 1000, endsAt: now + 600_000, state: 'live', paymentMethods: ['wallet', 'card'],
};

function setup() {
  const socket = new FakeSocket();
  const store = new FestivalStore(socket as unknown as ShopperSocket);
  const feed = (m: ServerMessage) => store.handle(m);
  feed({ t: 'hello', shopper: 's1', serverTime: now });
  feed({ t: 'festival', festival: { id: 'f1', name: 'F', startsAt: now, endsAt: now + 1e6, deals: [deal], serverTime: now } });
  return { socket, store, feed };
}

describe('FestivalStore', () => {
  it('takes the state of its holds from the holds message a (re)subscription brings', () => {
    const { socket, store, feed } = setup();
    store.grab('d1');
    store.grab('d1');
    feed({ t: 'held', rid: socket.sent[0]!.rid, deal: 'd1', hold: 'h1', qty: 1, expiresAt: now + 60_000 });
    feed({ t: 'held', rid: socket.sent[1]!.rid, deal: 'd1', hold: 'h2', qty: 1, expiresAt: now + 60_000 });
    // the socket was down when h1 was paid and h2 expired
    feed({ t: 'hello', shopper: 's1', serverTime: now });
    feed({ t: 'holds', holds: [
      { hold: 'h2', deal: 'd1', qty: 1, status: 'cancelled', expiresAt: now + 60_000 },
      { hold: 'h1', deal: 'd1', qty: 1, status: 'paid', expiresAt: now + 60_000 },
    ] });
    expect(store.holds.get('h1')).toMatchObject({ status: 'paid' });
    expect(store.holds.get('h2')).toMatchObject({ status: 'cancelled', expired: true });
    // a stale 'pending' in a later holds message does not move them back
    feed({ t: 'holds', holds: [{ hold: 'h1', deal: 'd1', qty: 1, status: 'pending', expiresAt: now + 60_000 }] });
    expect(store.holds.get('h1')?.status).toBe('paid');
  });

  it('turns a grab into a hold, then an order, then a paid order', () => {
    const { socket, store, feed } = setup();
    store.grab('d1');
    expect(store.mineFor('d1').grabbing).toBe(true);
    const rid = socket.sent[0]!.rid;
    feed({ t: 'held', rid, deal: 'd1', hold: 'h1', qty: 1, expiresAt: now + 60_000 });
    expect(store.mineFor('d1')).toMatchObject({ grabbing: false, holds: [{ hold: 'h1', status: 'pending', title: 'Thing' }] });
    feed({ t: 'order', hold: 'h1', deal: 'd1', qty: 1, status: 'pending' });
    store.pay('h1', 'card');
    expect(store.mineFor('d1').paying).toBe(true);
    feed({ t: 'paid', hold: 'h1', deal: 'd1', rid: socket.sent[1]!.rid });
    expect(store.mineFor('d1')).toMatchObject({ paying: false, holds: [{ status: 'paid' }] });
    // a late 'pending' does not move a paid order back
    feed({ t: 'order', hold: 'h1', deal: 'd1', qty: 1, status: 'pending' });
    expect(store.holds.get('h1')?.status).toBe('paid');
  });

  it('routes a rate-limited refusal (deal "", no hold) by its rid', () => {
    const { socket, store, feed } = setup();
    store.grab('d1');
    feed({ t: 'held', rid: socket.sent[0]!.rid, deal: 'd1', hold: 'h1', qty: 1, expiresAt: now + 60_000 });
    store.pay('h1', 'card');
    feed({ t: 'refused', rid: socket.sent[1]!.rid, deal: '', code: 'rate_limited', message: 'slow down' });
    expect(store.mineFor('d1').paying).toBe(false);
    expect(store.holds.get('h1')?.payError).toEqual({ code: 'rate_limited', message: 'slow down' });
    store.grab('d1');
    feed({ t: 'refused', rid: socket.sent[2]!.rid, deal: '', code: 'rate_limited', message: 'slow down' });
    expect(store.mineFor('d1')).toMatchObject({ grabbing: false, refusal: { code: 'rate_limited' } });
  });

  it('ignores the refusal of a grab it no longer waits for', () => {
    const { store, feed } = setup();
    feed({ t: 'refused', rid: 'unknown', deal: 'd1', code: 'sold_out', message: 'x' });
    expect(store.mineFor('d1').refusal).toBeNull();
  });

  it('marks an expired hold and frees a sold-out answer when stock comes back', () => {
    const { socket, store, feed } = setup();
    store.grab('d1');
    feed({ t: 'refused', rid: socket.sent[0]!.rid, deal: 'd1', code: 'sold_out', message: 'gone' });
    expect(store.mineFor('d1').refusal?.code).toBe('sold_out');
    feed({ t: 'deal', deal: { ...deal, available: 1 } });
    expect(store.mineFor('d1').refusal).toBeNull();
    store.grab('d1');
    feed({ t: 'held', rid: socket.sent[1]!.rid, deal: 'd1', hold: 'h9', qty: 1, expiresAt: now + 60_000 });
    feed({ t: 'expired', hold: 'h9', deal: 'd1' });
    expect(store.holds.get('h9')).toMatchObject({ status: 'cancelled', expired: true });
  });

  it('treats hold_expired and already_paid pay refusals as the news they are', () => {
    const { socket, store, feed } = setup();
    store.grab('d1');
    feed({ t: 'held', rid: socket.sent[0]!.rid, deal: 'd1', hold: 'h1', qty: 1, expiresAt: now + 60_000 });
    store.grab('d1');
    feed({ t: 'held', rid: socket.sent[1]!.rid, deal: 'd1', hold: 'h2', qty: 1, expiresAt: now + 60_000 });
    store.pay('h1', 'card');
    feed({ t: 'refused', rid: socket.sent[2]!.rid, hold: 'h1', code: 'hold_expired', message: 'late' });
    store.pay('h2', 'card');
    feed({ t: 'refused', rid: socket.sent[3]!.rid, hold: 'h2', code: 'already_paid', message: 'dup' });
    expect(store.holds.get('h1')).toMatchObject({ status: 'cancelled', expired: true });
    expect(store.holds.get('h2')?.status).toBe('paid');
  });

  it('forgets the holds of a previous shopper after a new session', () => {
    const { socket, store, feed } = setup();
    store.grab('d1');
    feed({ t: 'held', rid: socket.sent[0]!.rid, deal: 'd1', hold: 'h1', qty: 1, expiresAt: now + 60_000 });
    feed({ t: 'hello', shopper: 's2', serverTime: now });
    expect(store.holds.size).toBe(0);
    expect(store.mineFor('d1').holds).toEqual([]);
  });
});
