// Display helpers shared by the shopper elements.
import type { Money, PaymentMethodValue } from '../../../server/src/shared/protocol.ts';
import type { MyHold } from '../data/grab-state.ts';

/**
 * ISO 4217 minor-unit exponents that are not 2. The wire's `minor` follows ISO (paisa for PKR),
 * which is not always what Intl displays: CLDR shows PKR, IDR, HUF, COP with 0 decimals, so
 * Intl's own fraction digits would turn PKR 49,999.00 (4,999,900 paisa) into PKR 4,999,900.
 */
const isoExponent: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0,
  VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

export function minorUnitDigits(currency: string): number {
  return isoExponent[currency] ?? 2;
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

function moneyFormat(currency: string, digits: number, locale: string | undefined): Intl.NumberFormat {
  const key = `${locale ?? ''}/${currency}/${digits}`;
  let f = moneyFormats.get(key);
  if (!f) {
    const fraction = { minimumFractionDigits: digits, maximumFractionDigits: digits };
    try {
      f = new Intl.NumberFormat(locale, { style: 'currency', currency, currencyDisplay: 'narrowSymbol', ...fraction });
    } catch {
      // Not a currency this browser knows: a plain number is better than nothing.
      f = new Intl.NumberFormat(locale, fraction);
    }
    moneyFormats.set(key, f);
  }
  return f;
}

/**
 * Minor units -> "Rs 49,999" / "¥149" / "₹599.50": one rule for every currency, so prices side
 * by side read alike (CLDR's own digits gave "PKR 49,999" beside "CN¥149.00"). The currency's
 * ISO exponent turns units into an amount; a whole amount shows no fraction, any other shows
 * all of the currency's digits; the symbol is the narrow one people write on price tags.
 */
export function formatMoney(m: Money, locale?: string): string {
  const exp = minorUnitDigits(m.currency);
  const whole = m.minor % 10 ** exp === 0;
  return moneyFormat(m.currency, whole ? 0 : exp, locale).format(m.minor / 10 ** exp);
}

/** `m` times `qty`, for totals. */
export function times(m: Money, qty: number): Money {
  return { minor: m.minor * qty, currency: m.currency };
}

/** Whole percent off the list price, or null when there is no saving to show. */
export function discountPercent(list: Money, deal: Money): number | null {
  if (list.currency !== deal.currency || list.minor <= 0 || deal.minor >= list.minor) return null;
  return Math.round((1 - deal.minor / list.minor) * 100);
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Time left, rounded up so it reads 0 exactly at the target: "2d 03:04:05", "03:04:05",
 * "04:05", and tenths in the last ten seconds: "9.3s".
 */
export function formatCountdown(leftMs: number): string {
  if (leftMs <= 0) return '0.0s';
  if (leftMs <= 10_000) return `${(Math.ceil(leftMs / 100) / 10).toFixed(1)}s`;
  const total = Math.ceil(leftMs / 1000);
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (d > 0) return `${d}d ${pad(h)}:${pad(m)}:${pad(s)}`;
  if (h > 0) return `${pad(h)}:${pad(m)}:${pad(s)}`;
  return `${pad(m)}:${pad(s)}`;
}

/** Spoken form for screen readers (the visual one changes ten times a second near the end). */
export function describeCountdown(leftMs: number): string {
  const total = Math.max(0, Math.ceil(leftMs / 1000));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const parts: string[] = [];
  if (d) parts.push(`${d} days`);
  if (h) parts.push(`${h} hours`);
  if (m) parts.push(`${m} minutes`);
  if (s || parts.length === 0) parts.push(`${s} seconds`);
  return parts.join(' ');
}

export const methodLabel: Readonly<Record<PaymentMethodValue, string>> = {
  wallet: 'Wallet',
  card: 'Card',
  cod: 'Cash on delivery',
};

/** An order's state in words: what "paid" means differs with cash on delivery. */
export function orderStatusLabel(h: Pick<MyHold, 'status' | 'expired' | 'method'>): string {
  switch (h.status) {
    case 'pending':
      return 'Awaiting payment';
    case 'paid':
      return h.method === 'cod' ? 'Confirmed · cash on delivery' : h.method ? `Paid · ${methodLabel[h.method]}` : 'Paid';
    case 'cancelled':
      return h.expired ? 'Expired, not paid' : 'Cancelled';
  }
}
