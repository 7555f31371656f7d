// The order number people quote: one per hold, the same wherever it is computed, and back.
import { describe, expect, it } from 'vitest';
import { holdIdOfOrderNumber, orderNumber } from '../../src/shared/order-number.ts';

describe('order number', () => {
  it('is readable, not the hold id, and decodes back to the hold', () => {
    expect(orderNumber('11-1')).toBe('FF-B000-0018');
    for (const hold of ['1-1', '11-1', '11-2', '307-42', '4521-123456', '999999999-1073741823']) {
      const no = orderNumber(hold)!;
      expect(no).toMatch(/^FF-[0-9A-HJKMNP-TV-Z]{1,4}(-[0-9A-HJKMNP-TV-Z]{4})+$/);
      expect(no).not.toContain(hold);
      expect(holdIdOfOrderNumber(no)).toBe(hold);
    }
  });

  it('reads what a person types: case, spaces, O for 0, I and L for 1, no prefix', () => {
    expect(holdIdOfOrderNumber(' ff b000 oo18 ')).toBe('11-1');
    expect(holdIdOfOrderNumber('B000-0018')).toBe('11-1');
    expect(holdIdOfOrderNumber(orderNumber('1-1')!.toLowerCase().replace(/1/g, 'l'))).toBe('1-1');
  });

  it('every single mistyped symbol is caught by the check symbol', () => {
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const symbols = orderNumber('307-42')!.slice(3).replace(/-/g, '');
    for (let i = 0; i < symbols.length; i++) {
      for (const c of alphabet) {
        if (c === symbols[i]) continue;
        const typo = symbols.slice(0, i) + c + symbols.slice(i + 1);
        expect(holdIdOfOrderNumber(typo), typo).toBeNull();
      }
    }
  });

  it('refuses what is not a hold id or not an order number', () => {
    expect(orderNumber('11')).toBeNull();
    expect(orderNumber('11-1073741824')).toBeNull();
    expect(holdIdOfOrderNumber('hello')).toBeNull();
    expect(holdIdOfOrderNumber('FF-U000-0018')).toBeNull();
  });
});
