// Every rule a brand's deal must pass before anything reaches Postgres. Returns all problems at
// once, each naming its field with a stable code (errors.ts FieldCode), so a form can show each
// next to its input and a CSV report can list them per row.
import { FieldCode } from '../errors.ts';
import { MAX_STOCK_BUCKETS } from '../stock/buckets.ts';
import type { BrandFestival, FieldError, ValidDeal } from '../shared/brand-api.ts';

export const DealLimits = {
  titleMax: 200,
  descriptionMax: 2000,
  imageUrlMax: 2000,
  priceMax: 10 ** 13,
  stockMin: 1,
  stockMax: 10_000_000,
  holdMinutesMin: 1,
  holdMinutesMax: 60,
  minDurationMs: 60_000,
  maxDurationMs: 7 * 86_400_000,
} as const;

/** ISO 4217 codes this runtime knows (ICU's list: current codes, ~160). */
const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));
export function isCurrency(code: string): boolean {
  return CURRENCIES.has(code);
}

export const DEAL_FIELDS = ['festivalId', 'title', 'description', 'imageUrl', 'listPriceMinor', 'dealPriceMinor',
  'currency', 'stock', 'limit', 'startsAt', 'endsAt', 'holdMinutes', 'stockBuckets'] as const;
export type DealField = (typeof DEAL_FIELDS)[number];
const KNOWN: ReadonlySet<string> = new Set(DEAL_FIELDS);

export interface ValidationContext {
  /** epoch ms by the engine's clock */
  now: number;
  festival(id: string): BrandFestival | undefined;
  defaultHoldSeconds: number;
}

export type Validation = { ok: true; deal: ValidDeal } | { ok: false; errors: FieldError[] };

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** epoch ms (a number, or digits) or ISO 8601 with a zone; anything else is undefined. */
export function parseTime(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v > 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  if (/^\d{1,15}$/.test(v)) return Number(v);
  if (!ISO_TIME.test(v)) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function validateDeal(raw: unknown, ctx: ValidationContext): Validation {
  const errors: FieldError[] = [];
  const err = (field: string, code: string, message: string) => { errors.push({ field, code, message }); };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, errors: [{ field: '', code: FieldCode.WrongType, message: 'The body must be a JSON object of deal fields.' }] };
  }
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!KNOWN.has(k)) err(k, FieldCode.UnknownField, `\`${k}\` is not a deal field (known: ${DEAL_FIELDS.join(', ')}).`);
  }
  const present = (f: DealField) => o[f] !== undefined && o[f] !== null && o[f] !== '';

  const text = (f: DealField, max: number, required: boolean): string | undefined => {
    if (!present(f)) {
      if (required) err(f, FieldCode.Required, `\`${f}\` is required.`);
      return required ? undefined : '';
    }
    const v = o[f];
    if (typeof v !== 'string') return void err(f, FieldCode.WrongType, `\`${f}\` must be text.`);
    const t = v.trim();
    if (required && t.length === 0) return void err(f, FieldCode.Required, `\`${f}\` is required.`);
    if (t.length > max) return void err(f, FieldCode.TooLong, `\`${f}\` is ${t.length} characters; at most ${max}.`);
    return t;
  };
  const int = (f: DealField, min: number, max: number, what: string): number | undefined => {
    if (!present(f)) return void err(f, FieldCode.Required, `\`${f}\` is required.`);
    const v = o[f];
    if (typeof v !== 'number' || !Number.isFinite(v)) return void err(f, FieldCode.WrongType, `\`${f}\` must be a number (${what}).`);
    if (!Number.isInteger(v)) return void err(f, FieldCode.NotInteger, `\`${f}\` must be a whole number of ${what}.`);
    if (v < min || v > max) return void err(f, FieldCode.OutOfRange, `\`${f}\` must be between ${min} and ${max.toLocaleString('en')}.`);
    return v;
  };

  // festival
  let festival: BrandFestival | undefined;
  if (!present('festivalId')) err('festivalId', FieldCode.Required, '`festivalId` is required.');
  else {
    const id = String(o.festivalId);
    festival = /^\d{1,18}$/.test(id) ? ctx.festival(id) : undefined;
    if (!festival || festival.endsAt <= ctx.now) {
      err('festivalId', FieldCode.UnknownFestival, `\`festivalId\` ${JSON.stringify(o.festivalId)} is not a festival you may join (see GET /api/brand/festivals: ended ones are closed).`);
      festival = undefined;
    }
  }

  const title = text('title', DealLimits.titleMax, true);
  const description = text('description', DealLimits.descriptionMax, false);
  let imageUrl: string | null = null;
  const img = text('imageUrl', DealLimits.imageUrlMax, false);
  if (img) {
    let url: URL | null = null;
    try { url = new URL(img); } catch { err('imageUrl', FieldCode.BadUrl, '`imageUrl` is not a URL.'); }
    if (url && url.protocol !== 'https:') err('imageUrl', FieldCode.NotHttps, '`imageUrl` must start with https://.');
    else if (url && !url.hostname) err('imageUrl', FieldCode.BadUrl, '`imageUrl` has no host.');
    else if (url) imageUrl = url.toString();
  }

  const listPrice = int('listPriceMinor', 1, DealLimits.priceMax, 'minor units');
  const dealPrice = int('dealPriceMinor', 1, DealLimits.priceMax, 'minor units');
  if (listPrice !== undefined && dealPrice !== undefined && dealPrice >= listPrice) {
    err('dealPriceMinor', FieldCode.PriceNotBelowList, `\`dealPriceMinor\` (${dealPrice}) must be below \`listPriceMinor\` (${listPrice}).`);
  }

  let currency: string | undefined;
  if (!present('currency')) err('currency', FieldCode.Required, '`currency` is required.');
  else if (typeof o.currency !== 'string' || !isCurrency(o.currency)) {
    err('currency', FieldCode.UnknownCurrency, `\`currency\` ${JSON.stringify(o.currency)} is not an ISO 4217 code (e.g. PKR, USD, INR).`);
  } else currency = o.currency;

  const stock = int('stock', DealLimits.stockMin, DealLimits.stockMax, 'units');
  let limit: number | undefined;
  if (stock !== undefined) {
    limit = int('limit', 1, DealLimits.stockMax, 'units');
    if (limit !== undefined && limit > stock) {
      err('limit', FieldCode.LimitAboveStock, `\`limit\` (${limit} per shopper) must not exceed \`stock\` (${stock}).`);
      limit = undefined;
    }
  } else if (!present('limit')) err('limit', FieldCode.Required, '`limit` is required.');

  let holdSeconds = ctx.defaultHoldSeconds;
  if (present('holdMinutes')) {
    const m = int('holdMinutes', DealLimits.holdMinutesMin, DealLimits.holdMinutesMax, 'minutes');
    if (m !== undefined) holdSeconds = m * 60;
  }

  // a hot deal's stock buckets (stock/buckets.ts); null or absent: the engine's rule
  let stockBuckets: number | null = null;
  if (present('stockBuckets') && o.stockBuckets !== null) {
    stockBuckets = int('stockBuckets', 1, MAX_STOCK_BUCKETS, 'buckets') ?? null;
    if (stockBuckets !== null && stock !== undefined && stockBuckets > stock) {
      err('stockBuckets', FieldCode.OutOfRange, `\`stockBuckets\` (${stockBuckets}) must not exceed \`stock\` (${stock}): every bucket starts with a unit.`);
    }
  }

  const time = (f: 'startsAt' | 'endsAt'): number | undefined => {
    if (!present(f)) return void err(f, FieldCode.Required, `\`${f}\` is required.`);
    const t = parseTime(o[f]);
    if (t === undefined) err(f, FieldCode.BadTime, `\`${f}\` must be epoch milliseconds or ISO 8601 with a zone, e.g. 2026-11-11T00:00:00+05:00.`);
    return t;
  };
  const startsAt = time('startsAt');
  const endsAt = time('endsAt');
  if (startsAt !== undefined) {
    if (startsAt <= ctx.now) err('startsAt', FieldCode.StartInPast, `\`startsAt\` (${iso(startsAt)}) must be in the future.`);
    else if (festival && (startsAt < festival.startsAt || startsAt >= festival.endsAt)) {
      err('startsAt', FieldCode.OutsideFestival, `\`startsAt\` must fall inside "${festival.name}" (${iso(festival.startsAt)} to ${iso(festival.endsAt)}).`);
    }
  }
  if (startsAt !== undefined && endsAt !== undefined) {
    const d = endsAt - startsAt;
    if (d <= 0) err('endsAt', FieldCode.EndNotAfterStart, '`endsAt` must be after `startsAt`.');
    else if (d < DealLimits.minDurationMs) err('endsAt', FieldCode.DurationTooShort, '`endsAt` must be at least 1 minute after `startsAt`.');
    else if (d > DealLimits.maxDurationMs) err('endsAt', FieldCode.DurationTooLong, '`endsAt` must be at most 7 days after `startsAt`.');
    else if (festival && endsAt > festival.endsAt) {
      err('endsAt', FieldCode.OutsideFestival, `\`endsAt\` must be no later than the end of "${festival.name}" (${iso(festival.endsAt)}).`);
    }
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    deal: {
      festivalId: festival!.id, title: title!, description: description ?? '', imageUrl,
      listPriceMinor: listPrice!, dealPriceMinor: dealPrice!, currency: currency!, stock: stock!, limit: limit!,
      holdSeconds, startsAt: startsAt!, endsAt: endsAt!, stockBuckets,
    },
  };
}

/** The editable fields of a stored deal, as input, so an edit is validated as a whole deal. */
export function dealAsInput(d: ValidDeal): Record<DealField, unknown> {
  return {
    festivalId: d.festivalId, title: d.title, description: d.description, imageUrl: d.imageUrl,
    listPriceMinor: d.listPriceMinor, dealPriceMinor: d.dealPriceMinor, currency: d.currency,
    stock: d.stock, limit: d.limit, startsAt: d.startsAt, endsAt: d.endsAt,
    holdMinutes: d.holdSeconds % 60 === 0 ? d.holdSeconds / 60 : null,
    stockBuckets: d.stockBuckets,
  };
}
