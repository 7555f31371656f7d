// Every rule a brand's deal must pass before anything reaches Postgres. Returns all problems at
// once, each naming its field with a stable code (errors.ts FieldCode), so a form can show each
// next to its input and a CSV report can list them per row. Messages say prices in minor and
// major units and times in the offset the brand wrote them in (message-terms.ts); `details`
// carries the numbers so the console can restate them in its own terms.
import { FieldCode } from '../errors.ts';
import { MAX_STOCK_BUCKETS } from '../stock/buckets.ts';
import type { BrandFestival, FieldError, FieldErrorDetails, ValidDeal } from '../shared/brand-api.ts';
import { PaymentMethod, type PaymentMethodValue } from '../shared/protocol.ts';
import { ISO_TIME, isoInOffset, moneyText, writtenOffset } from './message-terms.ts';

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
  'currency', 'stock', 'limit', 'startsAt', 'endsAt', 'holdMinutes', 'stockBuckets', 'paymentMethods'] as const;
export type DealField = (typeof DEAL_FIELDS)[number];
const KNOWN: ReadonlySet<string> = new Set(DEAL_FIELDS);

/** Every method a brand may offer, in the order checkout shows them (and they are stored). */
export const PAYMENT_METHODS: readonly PaymentMethodValue[] = Object.values(PaymentMethod);
/** What a deal accepts when its brand names no methods: the column's default (migration 005). */
export const DEFAULT_PAYMENT_METHODS: readonly PaymentMethodValue[] = [PaymentMethod.Wallet, PaymentMethod.Card];

type FieldErr = (field: string, code: string, message: string) => void;

/**
 * A deal's payment methods: a non-empty list of distinct known names, returned in checkout
 * order. Absent (undefined, null, '') is the default. Undefined when `v` is refused (each
 * problem reported through `err`, naming the field as `name`).
 */
export function checkPaymentMethods(v: unknown, name: string, err: FieldErr): PaymentMethodValue[] | undefined {
  if (v === undefined || v === null || v === '') return [...DEFAULT_PAYMENT_METHODS];
  const known = PAYMENT_METHODS.join(', ');
  if (!Array.isArray(v) || v.some((m) => typeof m !== 'string')) {
    return void err('paymentMethods', FieldCode.WrongType, `${name} must be a list of payment methods (any of ${known}).`);
  }
  if (v.length === 0) return void err('paymentMethods', FieldCode.NoPaymentMethod, `${name} must offer at least one payment method (${known}).`);
  const unknown = (v as string[]).filter((m) => !(PAYMENT_METHODS as readonly string[]).includes(m));
  if (unknown.length) {
    return void err('paymentMethods', FieldCode.UnknownPaymentMethod,
      `${name} ${unknown.map((m) => JSON.stringify(m)).join(', ')} ${unknown.length === 1 ? 'is not a payment method' : 'are not payment methods'} (known: ${known}).`);
  }
  const twice = (v as string[]).filter((m, i) => v.indexOf(m) !== i);
  if (twice.length) {
    return void err('paymentMethods', FieldCode.DuplicatePaymentMethod, `${name} names ${[...new Set(twice)].join(', ')} more than once; name each method once.`);
  }
  return PAYMENT_METHODS.filter((m) => v.includes(m));
}

export interface ValidationContext {
  /** epoch ms by the engine's clock */
  now: number;
  festival(id: string): BrandFestival | undefined;
  defaultHoldSeconds: number;
  /** how messages name a field: `dealPriceMinor` by default; a CSV passes its header as written */
  fieldName?(field: DealField): string;
}

export type Validation = { ok: true; deal: ValidDeal } | { ok: false; errors: FieldError[] };

/** epoch ms (a number, or digits) or ISO 8601 with a zone; anything else is undefined. */
export function parseTime(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v > 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  if (/^\d{1,15}$/.test(v)) return Number(v);
  if (!ISO_TIME.test(v)) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

export function validateDeal(raw: unknown, ctx: ValidationContext): Validation {
  const errors: FieldError[] = [];
  const err = (field: string, code: string, message: string, details?: FieldErrorDetails) => {
    errors.push(details ? { field, code, message, details } : { field, code, message });
  };
  const name = ctx.fieldName ?? ((f: DealField) => `\`${f}\``);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, errors: [{ field: '', code: FieldCode.WrongType, message: 'The body must be a JSON object of deal fields.' }] };
  }
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!KNOWN.has(k)) err(k, FieldCode.UnknownField, `\`${k}\` is not a deal field (known: ${DEAL_FIELDS.join(', ')}).`);
  }
  const present = (f: DealField) => o[f] !== undefined && o[f] !== null && o[f] !== '';

  // first, so price messages can say major units
  let currency: string | undefined;
  if (!present('currency')) err('currency', FieldCode.Required, `${name('currency')} is required.`);
  else if (typeof o.currency !== 'string' || !isCurrency(o.currency)) {
    err('currency', FieldCode.UnknownCurrency, `${name('currency')} ${JSON.stringify(o.currency)} is not an ISO 4217 code (e.g. PKR, USD, INR).`);
  } else currency = o.currency;

  const text = (f: DealField, max: number, required: boolean): string | undefined => {
    if (!present(f)) {
      if (required) err(f, FieldCode.Required, `${name(f)} is required.`);
      return required ? undefined : '';
    }
    const v = o[f];
    if (typeof v !== 'string') return void err(f, FieldCode.WrongType, `${name(f)} must be text.`);
    const t = v.trim();
    if (required && t.length === 0) return void err(f, FieldCode.Required, `${name(f)} is required.`);
    if (t.length > max) return void err(f, FieldCode.TooLong, `${name(f)} is ${t.length} characters; at most ${max}.`, { value: t.length, limit: max });
    return t;
  };
  /** `money`: the field is a price in minor units of `money.currency` (undefined while unknown) */
  const int = (f: DealField, min: number, max: number, what: string, money?: { currency: string | undefined }): number | undefined => {
    if (!present(f)) return void err(f, FieldCode.Required, `${name(f)} is required.`);
    const v = o[f];
    if (typeof v !== 'number' || !Number.isFinite(v)) return void err(f, FieldCode.WrongType, `${name(f)} must be a number (${what}).`);
    if (!Number.isInteger(v)) {
      return void err(f, FieldCode.NotInteger, `${name(f)} ${v} must be a whole number of ${what}.`,
        { value: v, ...(money?.currency ? { currency: money.currency } : {}) });
    }
    if (v < min || v > max) {
      const say = (n: number) => (money ? moneyText(n, money.currency) : n.toLocaleString('en'));
      return void err(f, FieldCode.OutOfRange, `${name(f)} ${say(v)} must be between ${say(min)} and ${say(max)}.`,
        { value: v, limit: v < min ? min : max, ...(money?.currency ? { currency: money.currency } : {}) });
    }
    return v;
  };

  // festival
  let festival: BrandFestival | undefined;
  if (!present('festivalId')) err('festivalId', FieldCode.Required, `${name('festivalId')} is required.`);
  else {
    const id = String(o.festivalId);
    festival = /^\d{1,18}$/.test(id) ? ctx.festival(id) : undefined;
    if (!festival || festival.endsAt <= ctx.now) {
      err('festivalId', FieldCode.UnknownFestival, `${name('festivalId')} ${JSON.stringify(o.festivalId)} is not a festival you may join (see GET /api/brand/festivals: ended ones are closed).`);
      festival = undefined;
    }
  }

  const title = text('title', DealLimits.titleMax, true);
  const description = text('description', DealLimits.descriptionMax, false);
  let imageUrl: string | null = null;
  const img = text('imageUrl', DealLimits.imageUrlMax, false);
  if (img) {
    let url: URL | null = null;
    try { url = new URL(img); } catch { err('imageUrl', FieldCode.BadUrl, `${name('imageUrl')} is not a URL.`); }
    if (url && url.protocol !== 'https:') err('imageUrl', FieldCode.NotHttps, `${name('imageUrl')} must start with https://.`);
    else if (url && !url.hostname) err('imageUrl', FieldCode.BadUrl, `${name('imageUrl')} has no host.`);
    else if (url) imageUrl = url.toString();
  }

  const listPrice = int('listPriceMinor', 1, DealLimits.priceMax, 'minor units', { currency });
  const dealPrice = int('dealPriceMinor', 1, DealLimits.priceMax, 'minor units', { currency });
  if (listPrice !== undefined && dealPrice !== undefined && dealPrice >= listPrice) {
    err('dealPriceMinor', FieldCode.PriceNotBelowList,
      `${name('dealPriceMinor')} ${moneyText(dealPrice, currency)} must be below ${name('listPriceMinor')} ${moneyText(listPrice, currency)}.`,
      { value: dealPrice, limit: listPrice, limitField: 'listPriceMinor', ...(currency ? { currency } : {}) });
  }

  const stock = int('stock', DealLimits.stockMin, DealLimits.stockMax, 'units');
  let limit: number | undefined;
  if (stock !== undefined) {
    limit = int('limit', 1, DealLimits.stockMax, 'units');
    if (limit !== undefined && limit > stock) {
      err('limit', FieldCode.LimitAboveStock, `${name('limit')} ${limit} per shopper must not exceed ${name('stock')} ${stock}.`,
        { value: limit, limit: stock, limitField: 'stock' });
      limit = undefined;
    }
  } else if (!present('limit')) err('limit', FieldCode.Required, `${name('limit')} is required.`);

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
      err('stockBuckets', FieldCode.OutOfRange, `${name('stockBuckets')} (${stockBuckets}) must not exceed ${name('stock')} (${stock}): every bucket starts with a unit.`);
    }
  }

  const paymentMethods = checkPaymentMethods(o.paymentMethods, name('paymentMethods'), err);

  const time = (f: 'startsAt' | 'endsAt'): number | undefined => {
    if (!present(f)) return void err(f, FieldCode.Required, `${name(f)} is required.`);
    const t = parseTime(o[f]);
    if (t === undefined) err(f, FieldCode.BadTime, `${name(f)} must be epoch milliseconds or ISO 8601 with a zone, e.g. 2026-11-11T00:00:00+05:00.`);
    return t;
  };
  const startsAt = time('startsAt');
  const endsAt = time('endsAt');
  // a time is said in the offset its field was written in, else the other time's, else UTC
  const at = (f: 'startsAt' | 'endsAt', ms: number) =>
    isoInOffset(ms, writtenOffset(o[f]) ?? writtenOffset(o.startsAt) ?? writtenOffset(o.endsAt) ?? 'Z');
  if (startsAt !== undefined) {
    const s = (ms: number) => at('startsAt', ms);
    if (startsAt <= ctx.now) {
      err('startsAt', FieldCode.StartInPast, `${name('startsAt')} ${s(startsAt)} must be in the future (it is now ${s(ctx.now)}).`,
        { value: startsAt, limit: ctx.now });
    } else if (festival && (startsAt < festival.startsAt || startsAt >= festival.endsAt)) {
      err('startsAt', FieldCode.OutsideFestival,
        `${name('startsAt')} ${s(startsAt)} must fall inside "${festival.name}" (${s(festival.startsAt)} to ${s(festival.endsAt)}).`,
        { value: startsAt, limit: startsAt < festival.startsAt ? festival.startsAt : festival.endsAt, festival });
    }
  }
  if (startsAt !== undefined && endsAt !== undefined) {
    const e = (ms: number) => at('endsAt', ms);
    const d = endsAt - startsAt;
    const earliest = startsAt + DealLimits.minDurationMs;
    const latest = startsAt + DealLimits.maxDurationMs;
    if (d <= 0) {
      err('endsAt', FieldCode.EndNotAfterStart, `${name('endsAt')} ${e(endsAt)} must be after ${name('startsAt')} ${e(startsAt)}.`,
        { value: endsAt, limit: startsAt, limitField: 'startsAt' });
    } else if (endsAt < earliest) {
      err('endsAt', FieldCode.DurationTooShort, `${name('endsAt')} ${e(endsAt)} must be at least 1 minute after ${name('startsAt')}: ${e(earliest)} or later.`,
        { value: endsAt, limit: earliest });
    } else if (endsAt > latest) {
      err('endsAt', FieldCode.DurationTooLong, `${name('endsAt')} ${e(endsAt)} must be at most 7 days after ${name('startsAt')}: ${e(latest)} or earlier.`,
        { value: endsAt, limit: latest });
    } else if (festival && endsAt > festival.endsAt) {
      err('endsAt', FieldCode.OutsideFestival,
        `${name('endsAt')} ${e(endsAt)} must be no later than the end of "${festival.name}" (${e(festival.endsAt)}).`,
        { value: endsAt, limit: festival.endsAt, festival });
    }
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    deal: {
      festivalId: festival!.id, title: title!, description: description ?? '', imageUrl,
      listPriceMinor: listPrice!, dealPriceMinor: dealPrice!, currency: currency!, stock: stock!, limit: limit!,
      holdSeconds, startsAt: startsAt!, endsAt: endsAt!, stockBuckets, paymentMethods: paymentMethods!,
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
    stockBuckets: d.stockBuckets, paymentMethods: d.paymentMethods,
  };
}
