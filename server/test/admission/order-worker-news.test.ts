// The order worker writes each 'pending' order news as text instead of JSON.stringify of a fresh
// object: the bytes must be JSON.stringify's, whatever the ids hold.
import { describe, expect, it } from 'vitest';
import { pendingOrderFrame } from '../../src/live/shopper-news.ts';

describe('pending order news frame', () => {
  it('is byte for byte what JSON.stringify gives, for plain and unusual ids', () => {
    const rows = [
      { hold: '12-345', dealId: '12', qty: 1 },
      { hold: '7-1', dealId: '7', qty: 3 },
      { hold: 'a.b:c_d-9', dealId: '0', qty: 0 },
      { hold: 'he said "hi"', dealId: '1', qty: 2 },
      { hold: 'back\\slash', dealId: 'x\ny', qty: 1 },
      { hold: 'tab\there', dealId: '\u2028', qty: 1 },
      { hold: '\ud800lone', dealId: 'é', qty: 1 },
      { hold: '1-1', dealId: '1', qty: Number.NaN },
      { hold: '1-1', dealId: '1', qty: 1.5 },
      { hold: '', dealId: '', qty: -0 },
    ];
    for (const r of rows) {
      expect(pendingOrderFrame(r)).toBe(JSON.stringify({ t: 'order', hold: r.hold, deal: r.dealId, qty: r.qty, status: 'pending' }));
    }
  });
});
