// Stock buckets in the brand console (README "Hot deals in stock buckets"): what the deal form
// sends for its field, how the table and a locked deal say a deal's buckets, and the API's
// refusals of the field in the form's words.
import type { BrandDealView } from '../data/brand-api.ts';
import { MAX_STOCK_BUCKETS, type FieldError } from '../../../server/src/shared/brand-api.ts';

/** The engine's rule, as README states it, for the brand who leaves the field blank. */
export const BUCKETS_HELP = 'Splits a hot deal so more servers share its grabs. Blank: automatic, '
  + 'stock ÷ STOCK_BUCKET_UNITS rounded down (set by flashfest ops; 1 when unset). '
  + `1 to ${MAX_STOCK_BUCKETS}, at most the stock; fixed once the deal warms.`;

/** The field as typed -> what the API gets: blank is null (automatic); a number as a number;
 *  anything else as typed, so the API names the problem (wrong_type) next to the field. */
export function bucketsInput(typed: string): number | string | null {
  const t = typed.trim();
  if (t === '') return null;
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
}

/** A deal's buckets in the table: the count it asked for, or "auto" (the engine's rule) with,
 *  once the deal is warm, the count Redis has: "auto (3)". */
export function bucketsText(d: BrandDealView): string {
  if (d.stockBuckets !== null) return String(d.stockBuckets);
  return d.warmBuckets === null ? 'auto' : `auto (${d.warmBuckets})`;
}

/** The table cell's tooltip: where the count comes from, and whether it can still change. */
export function bucketsNote(d: BrandDealView): string {
  return bucketsLockedReason(d)
    ?? (d.stockBuckets === null ? 'Automatic: the engine\'s rule (STOCK_BUCKET_UNITS) counts them when the deal warms.' : 'Set for this deal; can change until it warms.');
}

const WARMED = new Set(['warming', 'live', 'sold_out', 'ended', 'stopped']);

/** Why a deal's buckets can no longer change, or null while the deal is editable. */
export function bucketsLockedReason(d: BrandDealView): string | null {
  if (d.editable) return null;
  if (WARMED.has(d.state)) {
    const n = d.warmBuckets ?? d.stockBuckets;
    const rule = d.stockBuckets === null ? ' by the engine\'s rule' : '';
    return n === null ? 'Fixed: the deal is warm in Redis, split by the engine\'s rule when it warmed.'
      : n === 1 ? `Fixed: the deal is warm in Redis, its stock in 1 bucket${rule}.`
        : `Fixed: the deal is warm in Redis, its stock split into ${n} buckets${rule}.`;
  }
  if (d.state === 'scheduled') return 'Fixed: the deal warms within seconds, and its buckets are set from then on.';
  return `Fixed: the deal is ${d.state}.`;
}

/** The API's refusal of `stockBuckets` as the form says it (`sent`: what the form sent, for the
 *  stock the buckets broke), or undefined for another field. */
export function describeBucketsError(e: FieldError, sent: Record<string, unknown>): string | undefined {
  if (e.field !== 'stockBuckets') return undefined;
  const range = `1 to ${MAX_STOCK_BUCKETS}, or blank for automatic`;
  switch (e.code) {
    case 'wrong_type':
      return `Stock buckets must be a whole number (${range}).`;
    case 'not_integer':
      return `Stock buckets must be a whole number (${range}), not ${e.details?.value ?? String(sent.stockBuckets)}.`;
    case 'out_of_range': {
      // the range check carries its bound; the check against the stock does not
      if (e.details?.limit !== undefined) return `Stock buckets ${e.details.value} must be ${range}.`;
      const { stock, stockBuckets } = sent;
      if (typeof stock === 'number' && typeof stockBuckets === 'number') {
        return `Stock buckets ${stockBuckets} must not exceed the stock (${stock}): every bucket starts with a unit.`;
      }
    }
  }
  return e.message;
}
