// Shapes of the brand API, shared with the brand console (type-only import there): keep it free
// of Node imports (the console imports MAX_STOCK_BUCKETS as a value). Money is integer minor units + ISO 4217; times are epoch ms on the way out and
// epoch ms or ISO 8601 (with an offset) on the way in.
import type { DealStateValue, PaymentMethodValue } from './protocol.ts';

/** The most stock buckets a deal may have: the API's bound, the console's help text, and the
 *  span of hold ids per bucket (stock/keys.ts) all follow it. */
export const MAX_STOCK_BUCKETS = 16;

export interface BrandFestival {
  id: string;
  name: string;
  startsAt: number;
  endsAt: number;
}

/** A deal that passed brand/validation.ts: every field present and checked; what Postgres gets. */
export interface ValidDeal {
  festivalId: string;
  title: string;
  description: string;
  imageUrl: string | null;
  listPriceMinor: number;
  dealPriceMinor: number;
  currency: string;
  stock: number;
  limit: number;
  holdSeconds: number;
  startsAt: number;
  endsAt: number;
  /** stock buckets for a hot deal (1..16; null: the engine's rule, STOCK_BUCKET_UNITS) */
  stockBuckets: number | null;
  /** how shoppers may pay for it, in checkout order (a non-empty subset of wallet, card, cod) */
  paymentMethods: PaymentMethodValue[];
}

/** Fields a brand sends to create a deal; an edit sends any subset. */
export interface BrandDealInput {
  festivalId: string;
  title: string;
  description?: string;
  imageUrl?: string | null;
  listPriceMinor: number;
  dealPriceMinor: number;
  currency: string;
  stock: number;
  limit: number;
  startsAt: number | string;
  endsAt: number | string;
  holdMinutes?: number | null;
  stockBuckets?: number | null;
  /** absent or null: wallet and card. Of a deal that has opened, this is the one field a brand
   *  may still change (alone in its edit), until the deal ends. */
  paymentMethods?: PaymentMethodValue[] | null;
}

/** A deal as its brand sees it: the fields it entered plus live state and counters. */
export interface BrandDealView extends ValidDeal {
  id: string;
  state: DealStateValue;
  /** live from Redis once warmed, else from Postgres */
  held: number;
  sold: number;
  available: number;
  /** sold * dealPriceMinor, minor units of `currency` */
  gmvMinor: number;
  /** the stock buckets the deal has in Redis: of `stockBuckets` null, the count the engine's rule
   *  chose. Set once the deal has warmed (warming, live, sold_out, ended, stopped) and while Redis
   *  holds it; null before (scheduled), when cancelled, and while Redis has lost the deal. */
  warmBuckets: number | null;
  /** what the brand may still do */
  editable: boolean;
  cancellable: boolean;
  stoppable: boolean;
  /** whether `paymentMethods` may still change (alone), also after the other fields locked */
  paymentEditable: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface FieldError {
  field: string;
  code: string;
  /** for people: prices as minor units and in major units ("120000 (1,200.00 PKR)"), times as
   *  ISO 8601 in the offset the brand sent them with (Z for epoch ms) */
  message: string;
  /** the numbers behind the message, so a client can restate it in its own terms (the console
   *  shows major units and its own local time) */
  details?: FieldErrorDetails;
}

/** Units: minor units of `currency` for prices, epoch ms for times, a count otherwise. */
export interface FieldErrorDetails {
  /** the value as the engine read it */
  value: number;
  /** the bound it broke: an end of the allowed range, the list price, the stock, now, the start,
   *  the earliest or latest allowed end */
  limit?: number;
  /** the field whose value `limit` is, when another field sets it */
  limitField?: string;
  /** prices: the deal's currency, when it is a valid code */
  currency?: string;
  /** times held against a festival: its window */
  festival?: BrandFestival;
}

/** A CSV error: `row` is the data row (1 = first row after the header), `line` the file line. */
export interface RowError extends FieldError {
  row: number;
  line: number;
}

export interface ApiErrorBody {
  code: string;
  message: string;
  errors?: FieldError[];
  rows?: RowError[];
}
