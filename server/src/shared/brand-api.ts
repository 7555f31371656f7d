// Shapes of the brand API, shared with the brand console (type-only import there): keep it free
// of Node imports. Money is integer minor units + ISO 4217; times are epoch ms on the way out and
// epoch ms or ISO 8601 (with an offset) on the way in.
import type { DealStateValue } from './protocol.ts';

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
  /** what the brand may still do */
  editable: boolean;
  cancellable: boolean;
  stoppable: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface FieldError {
  field: string;
  code: string;
  message: string;
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
