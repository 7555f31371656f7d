// Display helpers shared by the shopper elements. Every one takes the Intl locale to format in
// (client/src/i18n/locale.ts intlLocale()); words go through @lit/localize's msg().
import { msg, str } from '@lit/localize';
import type { PaymentMethodValue } from '../../../server/src/shared/protocol.ts';
import type { MyHold } from '../data/grab-state.ts';

export { discountPercent, formatMoney, minorUnitDigits, times } from '../../../server/src/shared/money-format.ts';

const numberFormats = new Map<string, Intl.NumberFormat>();

function cachedFormat(locale: string | undefined, key: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const k = `${locale ?? ''}/${key}`;
  let f = numberFormats.get(k);
  if (!f) numberFormats.set(k, (f = new Intl.NumberFormat(locale, options)));
  return f;
}

/** A count in the locale's digits and grouping (hi-IN: 1,00,000). */
export function formatCount(n: number, locale?: string): string {
  return cachedFormat(locale, 'count', {}).format(n);
}

/** "-25%" as the locale writes a percentage. */
export function formatOff(percent: number, locale?: string): string {
  return cachedFormat(locale, 'off', { style: 'percent', signDisplay: 'always' }).format(-percent / 100);
}

const two = (locale: string | undefined, n: number) => cachedFormat(locale, 'two', { minimumIntegerDigits: 2, useGrouping: false }).format(n);
const unit = (locale: string | undefined, u: string, display: 'narrow' | 'long', n: number, fraction = 0) =>
  cachedFormat(locale, `${u}/${display}/${fraction}`, {
    style: 'unit', unit: u, unitDisplay: display, minimumFractionDigits: fraction, maximumFractionDigits: fraction,
  }).format(n);

function parts(leftMs: number): { d: number; h: number; m: number; s: number } {
  const total = Math.max(0, Math.ceil(leftMs / 1000));
  return { d: Math.floor(total / 86_400), h: Math.floor((total % 86_400) / 3600), m: Math.floor((total % 3600) / 60), s: total % 60 };
}

/**
 * Time left, rounded up so it reads 0 exactly at the target: "2d 03:04:05", "03:04:05",
 * "04:05", and tenths in the last ten seconds: "9.3s"; digits and the day and second units as
 * `locale` writes them ("2天 03:04:05", "9.3秒").
 */
export function formatCountdown(leftMs: number, locale?: string): string {
  if (leftMs <= 10_000) return unit(locale, 'second', 'narrow', Math.max(0, Math.ceil(leftMs / 100) / 10), 1);
  const { d, h, m, s } = parts(leftMs);
  const clock = h > 0 || d > 0 ? `${two(locale, h)}:${two(locale, m)}:${two(locale, s)}` : `${two(locale, m)}:${two(locale, s)}`;
  return d > 0 ? `${unit(locale, 'day', 'narrow', d)} ${clock}` : clock;
}

/** Spoken form for screen readers (the visual one changes ten times a second near the end). */
export function describeCountdown(leftMs: number, locale?: string): string {
  const { d, h, m, s } = parts(leftMs);
  const said: string[] = [];
  if (d) said.push(unit(locale, 'day', 'long', d));
  if (h) said.push(unit(locale, 'hour', 'long', h));
  if (m) said.push(unit(locale, 'minute', 'long', m));
  if (s || said.length === 0) said.push(unit(locale, 'second', 'long', s));
  return new Intl.ListFormat(locale, { style: 'long', type: 'unit' }).format(said);
}

export function methodLabel(method: PaymentMethodValue): string {
  switch (method) {
    case 'wallet':
      return msg('Wallet', { id: 'method.wallet' });
    case 'card':
      return msg('Card', { id: 'method.card' });
    case 'cod':
      return msg('Cash on delivery', { id: 'method.cod' });
    default:
      return method;
  }
}

/** An order's state in words: what "paid" means differs with cash on delivery. */
export function orderStatusLabel(h: Pick<MyHold, 'status' | 'expired' | 'method'>): string {
  switch (h.status) {
    case 'pending':
      return msg('Awaiting payment', { id: 'status.pending' });
    case 'paid':
      if (h.method === 'cod') return msg('Confirmed · cash on delivery', { id: 'status.paid_cod' });
      return h.method ? msg(str`Paid · ${methodLabel(h.method)}`, { id: 'status.paid_with' }) : msg('Paid', { id: 'status.paid' });
    case 'cancelled':
      return h.expired ? msg('Expired, not paid', { id: 'status.expired' }) : msg('Cancelled', { id: 'status.cancelled' });
  }
}

type RangeFormat = Intl.NumberFormat & { formatRange(start: number, end: number): string };

/** A wait as a range in the locale's words: "30–45 sec", "2–4 min" (minutes from two minutes on). */
export function formatEta(loSeconds: number, hiSeconds: number, locale?: string): string {
  const minutes = hiSeconds >= 120;
  const [lo, hi] = minutes ? [Math.max(1, Math.floor(loSeconds / 60)), Math.ceil(hiSeconds / 60)] : [loSeconds, hiSeconds];
  const f = cachedFormat(locale, minutes ? 'eta/min' : 'eta/s', { style: 'unit', unit: minutes ? 'minute' : 'second', unitDisplay: 'short' }) as RangeFormat;
  return lo === hi ? f.format(hi) : f.formatRange(lo, hi);
}
