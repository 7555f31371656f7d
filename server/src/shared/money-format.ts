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

function moneyFormat(currency: string, exactDigits: number | null, locale: string | undefined): Intl.NumberFormat {
  const key = `${locale ?? ''}/${currency}/${exactDigits ?? ''}`;
  let f = moneyFormats.get(key);
  if (!f) {
    const digits = exactDigits === null ? {} : { minimumFractionDigits: exactDigits, maximumFractionDigits: exactDigits };
    try {
      f = new Intl.NumberFormat(locale, { style: 'currency', currency, ...digits });
    } catch {
      // Not a currency this browser knows: a plain number is better than nothing.
      f = new Intl.NumberFormat(locale, digits);
    }
    moneyFormats.set(key, f);
  }
  return f;
}

/**
 * Minor units -> "PKR 49,999" / "$12.99": the currency's ISO exponent turns units into an
 * amount, Intl's usual display digits format it, unless that would round a real fraction away.
 * `locale` undefined: the runtime's (the browser's) own.
 */
export function formatMoney(m: Money, locale?: string): string {
  const exp = minorUnitDigits(m.currency);
  const amount = m.minor / 10 ** exp;
  const display = moneyFormat(m.currency, null, locale);
  const shown = display.resolvedOptions().maximumFractionDigits ?? exp;
  const fitsDisplay = m.minor % 10 ** Math.max(0, exp - shown) === 0;
  return (fitsDisplay ? display : moneyFormat(m.currency, exp, locale)).format(amount);
}


/** Whole percent off the list price, or null when there is no saving to show. */
export function discountPercent(list: Money, deal: Money): number | null {
  if (list.currency !== deal.currency || list.minor <= 0 || deal.minor >= list.minor) return null;
  return Math.round((1 - deal.minor / list.minor) * 100);
}
