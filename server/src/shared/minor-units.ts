// Minor units -> the amount a person reads, shared by the brand API's messages and the brand
// console (no Node imports). A price on the wire is an integer of ISO 4217 minor units, so the
// ISO exponent says where the decimal point goes, not CLDR's display digits: Intl shows PKR with
// 0 decimals, yet 120000 PKR minor units are 1,200.00 rupees. Each side passes the exponent from
// its own table (server: live/aggregates.ts exponentOf; client: components/format.ts).

const formats = new Map<string, Intl.NumberFormat>();

/** 120000 with 2 digits -> "1,200.00"; 1200 with 0 (JPY) -> "1,200": always all the currency's
 *  decimals, so the text reads back to the same minor units. `en` grouping matches what the
 *  console's price inputs accept. */
export function formatMajor(minor: number, digits: number, locale = 'en'): string {
  const key = `${locale}/${digits}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
    formats.set(key, f);
  }
  return f.format(minor / 10 ** digits);
}
