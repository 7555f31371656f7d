// The brand console speaks the brand's terms: prices in major units as its form takes them, times
// in the local zone its form shows. The API's field errors carry their numbers in `details`
// (minor units, epoch ms); this restates them, and falls back to the API's own message.
import type { FieldError } from '../../../server/src/shared/brand-api.ts';
import { BrandApiError } from '../data/brand-api.ts';
import type { PaymentMethodValue } from '../../../server/src/shared/protocol.ts';
import { formatMajor } from '../../../server/src/shared/minor-units.ts';
import { minorUnitDigits } from './format.ts';

// the parts, and the digits, Chromium's datetime-local input shows (12/07/2026, 04:22:34 PM in
// en-US), so an error reads like the field beside it
const formTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
});

/** The zone the console's times are in (the browser's), e.g. "Asia/Karachi". */
export const formTimeZone = formTime.resolvedOptions().timeZone;

/** epoch ms -> "11/11/2026, 12:00:00 AM" in the console's zone. */
export function formatFormTime(ms: number): string {
  return formTime.format(ms);
}

/** 120000 PKR minor units -> "1,200.00 PKR": the number as the price inputs take it. */
export function formatPrice(minor: number, currency: string): string {
  return `${formatMajor(minor, minorUnitDigits(currency))} ${currency}`;
}

const label: Readonly<Record<string, string>> = {
  listPriceMinor: 'List price', dealPriceMinor: 'Deal price', startsAt: 'Start', endsAt: 'End',
};

/** How the console names each payment method (the API's names are wallet, card, cod). */
export const paymentMethodLabel: Readonly<Record<PaymentMethodValue, string>> = {
  wallet: 'Mobile wallet', card: 'Card', cod: 'Cash on delivery',
};

/** The form's own refusal when no box is ticked (the API's no_payment_method says the same). */
export const NO_PAYMENT_METHOD = 'Tick at least one way shoppers can pay.';

const isPrice = (field: string) => field === 'listPriceMinor' || field === 'dealPriceMinor';

/** One field error as the brand should read it next to its input. */
export function describeFieldError(e: FieldError): string {
  const what = label[e.field] ?? e.field;
  // the form sends what it could not read as an amount as typed
  if (e.code === 'wrong_type' && isPrice(e.field)) return `${what} must be an amount, e.g. 1299.50.`;
  // the form sends only the boxes it shows, so these come from another client or an old page
  if (e.code === 'no_payment_method') return NO_PAYMENT_METHOD;
  if (e.code === 'unknown_payment_method' || e.code === 'duplicate_payment_method') {
    return `Payment methods: choose from ${Object.values(paymentMethodLabel).join(', ')}, each once.`;
  }
  const d = e.details;
  if (!d) return e.message;
  const price = (minor: number) => formatPrice(minor, d.currency!);
  const time = formatFormTime;
  switch (e.code) {
    case 'price_not_below_list':
      if (d.currency && d.limit !== undefined) return `Deal price ${price(d.value)} must be below the list price ${price(d.limit)}.`;
      break;
    case 'not_integer':
      if (d.currency && isPrice(e.field)) {
        const digits = minorUnitDigits(d.currency);
        return `${what} has more decimals than ${d.currency} has (${digits === 0 ? 'none' : digits}).`;
      }
      break;
    case 'out_of_range':
      if (d.currency && d.limit !== undefined) return `${what} ${price(d.value)} must be at ${d.value < d.limit ? 'least' : 'most'} ${price(d.limit)}.`;
      break;
    case 'start_in_past':
      if (d.limit !== undefined) return `Start ${time(d.value)} has already passed (it is now ${time(d.limit)}).`;
      break;
    case 'outside_festival':
      if (!d.festival) break;
      return e.field === 'startsAt'
        ? `Start ${time(d.value)} must fall inside "${d.festival.name}" (${time(d.festival.startsAt)} – ${time(d.festival.endsAt)}).`
        : `End ${time(d.value)} must be no later than the end of "${d.festival.name}" (${time(d.festival.endsAt)}).`;
    case 'end_not_after_start':
      if (d.limit !== undefined) return `End ${time(d.value)} must be after the start (${time(d.limit)}).`;
      break;
    case 'duration_too_short':
      if (d.limit !== undefined) return `End ${time(d.value)} must be at least 1 minute after the start: ${time(d.limit)} or later.`;
      break;
    case 'duration_too_long':
      if (d.limit !== undefined) return `End ${time(d.value)} must be at most 7 days after the start: ${time(d.limit)} or earlier.`;
      break;
    case 'limit_above_stock':
      if (d.limit !== undefined) return `Limit per shopper ${d.value} must not exceed the stock (${d.limit}).`;
      break;
  }
  return e.message;
}

/** A failed save as a form shows it: each field's first error in the brand's words, and a line
 *  for the form's foot. */
export function formErrorsOf(err: unknown, describe: (e: FieldError) => string): { errors: Partial<Record<string, string>>; summary: string } {
  if (!(err instanceof BrandApiError)) return { errors: {}, summary: 'Could not reach flashfest; try again.' };
  const errors: Partial<Record<string, string>> = {};
  for (const fe of err.body.errors ?? []) errors[fe.field] ??= describe(fe);
  return { errors, summary: err.body.errors?.length ? `${err.body.errors.length} field(s) need attention.` : err.message };
}
