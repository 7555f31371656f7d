// How the brand API's messages say prices and times: a price as the minor units that were sent
// and in major units of its currency, a time as ISO 8601 in the offset the brand wrote it in, so
// a brand in Karachi who sent +05:00 reads its festival's window in +05:00 too.
import { exponentOf } from '../live/aggregates.ts';
import { formatMajor } from '../shared/minor-units.ts';

export const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** "120000 (1,200.00 PKR)"; only the minor units while the currency is not known. */
export function moneyText(minor: number, currency: string | undefined): string {
  return currency ? `${minor} (${formatMajor(minor, exponentOf(currency))} ${currency})` : String(minor);
}

/** The offset an ISO 8601 time was written with ('Z', '+05:00'); undefined for epoch ms. */
export function writtenOffset(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = ISO_TIME.exec(v);
  return m ? m[3] : undefined;
}

/** epoch ms as ISO 8601 in `offset` ('Z' or '+05:00'): 2026-11-11T05:00:00+05:00. */
export function isoInOffset(ms: number, offset: string): string {
  const sign = offset.startsWith('-') ? -1 : 1;
  const minutes = offset === 'Z' ? 0 : sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  // shift the instant by the offset, then print it as if it were UTC: the wall time in that zone
  const wall = new Date(ms + minutes * 60_000).toISOString().replace(/(\.000)?Z$/, '');
  return wall + offset;
}
