// Money as people read it, shared by the shopper page and the server-rendered shell of `/`
// (server/src/shell/), so the text does not change when the page takes over from the shell.
import type { Money } from './protocol.ts';

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
 * `locale` undefined: the runtime's (the browser's) own.
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
