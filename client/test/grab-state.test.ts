import { describe, expect, it } from 'vitest';
import type { DealView } from '../../server/src/shared/protocol.ts';
import { grabView, type DealMine, type MyHold } from '../src/data/grab-state.ts';

const T = 1_000_000;
const deal = (over: Partial<DealView> = {}): DealView => ({
  id: 'd1', festivalId: 'f1', brand: 'B', title: 'Thing', description: '', imageUrl: null,
  listPrice: { minor: 2000, currency: 'USD' }, dealPrice: { minor: 1000, currency: 'USD' },
  stock: 10, available: 10, held: 0, sold: 0, limit: 2, holdSeconds: 60,
  startsAt: T, endsAt: T + 60_000, state: 'warming', paymentMethods: ['wallet', 'card'], ...over,
});
const hold = (over: Partial<MyHold> = {}): MyHold => ({
  hold: 'h1', deal: 'd1', title: 'Thing', qty: 1, status: 'pending', expired: false,
  heldAt: T + 1000, expiresAt: T + 61_000, paidAt: null, payError: null,
  orderNo: 'FF-TEST-0000', unitPrice: null, method: null, ...over,
});
const mine = (over: Partial<DealMine> = {}): DealMine => ({ holds: [], grabbing: false, paying: false, refusal: null, ...over });

describe('grabView', () => {
  it('flips from waiting to live exactly at startsAt, and to ended at endsAt', () => {
    expect(grabView(deal(), undefined, T - 1).state).toBe('waiting');
    expect(grabView(deal(), undefined, T - 1).nextChange).toBe(T);
    expect(grabView(deal(), undefined, T).state).toBe('live');
    expect(grabView(deal(), undefined, T + 59_999).state).toBe('live');
    expect(grabView(deal(), undefined, T + 60_000).state).toBe('ended');
    expect(grabView(deal(), undefined, T + 60_000).nextChange).toBeNull();
  });

  it('trusts time over a stale deal state, but not over a stopped deal', () => {
    expect(grabView(deal({ state: 'scheduled' }), undefined, T + 1).state).toBe('live');
    expect(grabView(deal({ state: 'stopped' }), undefined, T + 1).state).toBe('ended');
  });

  it('shows sold out when nothing is available', () => {
    expect(grabView(deal({ available: 0, state: 'sold_out' }), undefined, T + 1).state).toBe('sold_out');
  });

  it('walks grabbing -> held -> paying -> paid', () => {
    expect(grabView(deal(), mine({ grabbing: true }), T + 1).state).toBe('grabbing');
    const held = grabView(deal(), mine({ holds: [hold()] }), T + 2000);
    expect(held.state).toBe('held');
    expect(held.nextChange).toBe(T + 60_000); // the deal ends before the hold runs out
    expect(grabView(deal(), mine({ holds: [hold()], paying: true }), T + 2000).state).toBe('paying');
    const paid = grabView(deal(), mine({ holds: [hold({ status: 'paid' })] }), T + 3000);
    expect(paid.state).toBe('paid');
    expect(paid.hold?.hold).toBe('h1');
    expect(paid.canGrab).toBe(true); // 1 of 2 allowed
  });

  it('keeps a hold payable after the deal window ends', () => {
    const h = hold({ expiresAt: T + 70_000 });
    expect(grabView(deal(), mine({ holds: [h] }), T + 65_000).state).toBe('held');
  });

  it('expires a hold at its expiresAt even before the server says so', () => {
    const v = grabView(deal(), mine({ holds: [hold({ expiresAt: T + 5000 })] }), T + 5000);
    expect(v.state).toBe('expired');
    expect(v.canGrab).toBe(true);
    expect(grabView(deal(), mine({ holds: [hold({ status: 'cancelled', expired: true })] }), T + 9000).state).toBe('expired');
  });

  it('maps refusals', () => {
    const r = (code: string) => grabView(deal(), mine({ refusal: { code, message: 'm' } }), T + 1);
    expect(r('sold_out').state).toBe('sold_out');
    expect(r('limit_reached').state).toBe('limit_reached');
    expect(r('ended').state).toBe('ended');
    expect(r('rate_limited')).toMatchObject({ state: 'error', refusal: { code: 'rate_limited', message: 'm' }, canGrab: true });
    expect(grabView(deal(), mine({ refusal: { code: 'not_open', message: 'm' } }), T - 5).state).toBe('waiting');
  });

  it('reaches the limit from the shopper’s own paid and held units', () => {
    const holds = [hold({ hold: 'h2', status: 'paid', qty: 1, heldAt: T + 2 }), hold({ status: 'paid', qty: 1 })];
    const v = grabView(deal(), mine({ holds }), T + 10);
    expect(v.state).toBe('paid');
    expect(v.canGrab).toBe(false);
    const older = [hold({ hold: 'h3', status: 'cancelled', expired: false }), ...holds];
    expect(grabView(deal(), mine({ holds: older }), T + 10).state).toBe('limit_reached');
  });
});
