import { describe, expect, it } from 'vitest';
import { describeCountdown, formatCount, formatCountdown, formatMoney, formatOff, discountPercent } from '../src/components/format.ts';

describe('formatMoney', () => {
  it('divides by the ISO 4217 exponent, not by Intl display digits', () => {
    // CLDR shows PKR without decimals; the wire still counts paisa.
    expect(formatMoney({ minor: 4_999_900, currency: 'PKR' })).toMatch(/49,999(?!\d)/);
    expect(formatMoney({ minor: 549_950, currency: 'PKR' })).toMatch(/5,499\.50/);
    expect(formatMoney({ minor: 499, currency: 'USD' })).toMatch(/4\.99/);
    expect(formatMoney({ minor: 1200, currency: 'JPY' })).toMatch(/1,200(?!\.)/);
    expect(formatMoney({ minor: 12_345, currency: 'BHD' })).toMatch(/12\.345/);
  });

  it('formats every currency by one rule: narrow symbol, no fraction on whole amounts', () => {
    // before: "PKR 49,999" beside "CN¥149.00"
    expect(formatMoney({ minor: 4_999_900, currency: 'PKR' }, 'en')).toBe('Rs\u00a049,999'); // CLDR puts a no-break space after a letter symbol
    expect(formatMoney({ minor: 14_900, currency: 'CNY' }, 'en')).toBe('¥149');
    expect(formatMoney({ minor: 59_900, currency: 'INR' }, 'en')).toBe('₹599');
    expect(formatMoney({ minor: 14_950, currency: 'CNY' }, 'en')).toBe('¥149.50');
  });

  it('computes the discount', () => {
    expect(discountPercent({ minor: 2000, currency: 'USD' }, { minor: 1500, currency: 'USD' })).toBe(25);
    expect(discountPercent({ minor: 2000, currency: 'USD' }, { minor: 2000, currency: 'USD' })).toBeNull();
  });
});

describe('formatCountdown', () => {
  it('rounds up so it reads zero exactly at the target', () => {
    expect(formatCountdown(61_000)).toBe('01:01');
    expect(formatCountdown(60_001)).toBe('01:01');
    expect(formatCountdown(10_001)).toBe('00:11');
    expect(formatCountdown(10_000)).toBe('10.0s');
    expect(formatCountdown(1)).toBe('0.1s');
    expect(formatCountdown(0)).toBe('0.0s');
    expect(formatCountdown(3_600_000)).toBe('01:00:00');
    expect(formatCountdown(90_061_000)).toBe('1d 01:01:01');
  });
});

describe('in the shopper\'s locale', () => {
  it('groups money and counts as the locale does (hi-IN: lakh grouping)', () => {
    expect(formatMoney({ minor: 10_000_000, currency: 'INR' }, 'hi-IN')).toBe('₹1,00,000');
    expect(formatMoney({ minor: 10_000_000, currency: 'INR' }, 'en')).toBe('₹100,000');
    expect(formatMoney({ minor: 4_999_900, currency: 'PKR' }, 'ur-PK')).toMatch(/49,999(?!\d)/);
    expect(formatMoney({ minor: 14_950, currency: 'CNY' }, 'zh-Hans-CN')).toBe('¥149.50');
    expect(formatCount(100_000, 'hi-IN')).toBe('1,00,000');
    expect(formatOff(25, 'en')).toBe('-25%');
  });

  it('writes the countdown\'s units in the locale', () => {
    expect(formatCountdown(9_300, 'zh-Hans-CN')).toBe('9.3秒');
    expect(formatCountdown(90_061_000, 'zh-Hans-CN')).toBe('1天 01:01:01');
    expect(formatCountdown(61_000, 'hi-IN')).toBe('01:01');
    expect(formatCountdown(9_300, 'ur-PK')).toMatch(/^9\.3 سیکنڈ$/u);
    expect(describeCountdown(3_661_000, 'en')).toBe('1 hour, 1 minute, 1 second');
    expect(describeCountdown(120_000, 'hi-IN')).toMatch(/2 मिनट/u);
  });
});
