// The gateway remembers which socket was answered `held` for a hold until the hold's order news
// comes: that socket is left out of the news (it knows), an unknown, closed or other shopper's
// socket is not, and the memory stays bounded.
import { describe, expect, it } from 'vitest';
import { ToldHolds } from '../../src/gateway/told-holds.ts';
import { pendingOrderFrame, pendingOrderHold } from '../../src/live/shopper-news.ts';

class Sock {
  constructor(readonly data: { closed: boolean; shopper: string }) {}
  getUserData() { return this.data; }
}

describe('told holds', () => {
  it("answers the socket told a hold once, and only while it is open and its shopper's", () => {
    const told = new ToldHolds<Sock>(8);
    const ws = new Sock({ closed: false, shopper: 's1' });
    told.remember('1-1', ws);
    expect(told.take('1-1', 's2')).toBeUndefined(); // another shopper's news never skips it
    told.remember('1-1', ws);
    expect(told.take('1-1', 's1')).toBe(ws);
    expect(told.take('1-1', 's1')).toBeUndefined(); // taken
    told.remember('1-2', ws);
    ws.data.closed = true;
    expect(told.take('1-2', 's1')).toBeUndefined(); // a closed socket cannot publish
    expect(told.size).toBe(0);
  });

  it('forgets the oldest holds past its capacity, keeping the last half at least', () => {
    const told = new ToldHolds<Sock>(100);
    const ws = new Sock({ closed: false, shopper: 's' });
    for (let i = 0; i < 1_000; i++) told.remember(`1-${i}`, ws);
    expect(told.size).toBeLessThanOrEqual(100);
    for (let i = 950; i < 1_000; i++) expect(told.take(`1-${i}`, 's')).toBe(ws);
    expect(told.take('1-0', 's')).toBeUndefined();
  });
});

describe('pending order news, recognized without parsing', () => {
  it("finds the hold of a pending order's news, and nothing in any other frame", () => {
    expect(pendingOrderHold(pendingOrderFrame({ hold: '12-345', dealId: '12', qty: 2 }))).toBe('12-345');
    expect(pendingOrderHold(pendingOrderFrame({ hold: 'a.b:c_d-9', dealId: '0', qty: 1 }))).toBe('a.b:c_d-9');
    // ids JSON escapes are not read back: their news goes to every socket, as before
    expect(pendingOrderHold(pendingOrderFrame({ hold: 'he said "hi"', dealId: '1', qty: 1 }))).toBeNull();
    expect(pendingOrderHold(pendingOrderFrame({ hold: '', dealId: '1', qty: 1 }))).toBeNull();
    for (const other of [
      { t: 'order', hold: '1-1', deal: '1', qty: 1, status: 'cancelled' },
      { t: 'order', hold: '1-1', deal: '1', qty: 1, status: 'paid' },
      { t: 'paid', hold: '1-1', deal: '1' },
      { t: 'expired', hold: '1-1', deal: '1' },
    ]) expect(pendingOrderHold(JSON.stringify(other))).toBeNull();
  });
});
