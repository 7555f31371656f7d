// The deal hash (KEYS[1] of every stock script) read back: the one parser of its fields, for
// the scheduler, the live side, reconcile and payments alike. Fields are written by
// lua/warm-deal-1.lua (config, counters) and counted by lua/grab-batch-5.lua.
import { REFUSAL_COUNTERS, type CountedRefusal } from './decisions.ts';
import { seqBase } from './keys.ts';

export type DealStatus = 'open' | 'stopped' | 'cancelled';

/** The deal as Redis holds it: the live truth for counters. A missing number is NaN. Of a
 *  bucketed deal, either one bucket's hash (stock: the bucket's share) or the sum of all
 *  (sumBuckets: stock is the deal's). */
export interface DealCounters {
  id: string;
  festivalId: string;
  stock: number;
  /** the deal's stock (all buckets) */
  total: number;
  /** which bucket this hash is (0 for a sum) and how many the deal has */
  bucket: number;
  buckets: number;
  /** units taken from this bucket by a stock move not yet closed (see lua/take-stock-2.lua) */
  moving: number;
  available: number;
  held: number;
  sold: number;
  limit: number;
  holdMs: number;
  startsAt: number;
  endsAt: number;
  unitPriceMinor: number;
  currency: string;
  status: DealStatus;
  /** holds created (the hold seq) */
  holds: number;
  /** grabs decided, repeats and local refusals included */
  grabs: number;
  /** refusals by code */
  rejections: Partial<Record<CountedRefusal, number>>;
}

/** `h` as HGETALL gives it; null when the deal is not warmed. */
export function parseDealHash(h: Record<string, string>): DealCounters | null {
  if (!h.id) return null;
  const rejections: Partial<Record<CountedRefusal, number>> = {};
  for (const [code, field] of Object.entries(REFUSAL_COUNTERS) as [CountedRefusal, string][]) {
    const v = h[field];
    if (v !== undefined) rejections[code] = Number(v);
  }
  const bucket = Number(h.bucket ?? 0);
  const buckets = Number(h.buckets ?? 1);
  return {
    id: h.id, festivalId: h.festival ?? '', stock: Number(h.stock), total: Number(h.total ?? h.stock),
    bucket, buckets, moving: Number(h.moving ?? 0), available: Number(h.available),
    held: Number(h.held), sold: Number(h.sold), limit: Number(h.limit), holdMs: Number(h.holdMs),
    startsAt: Number(h.startsAt), endsAt: Number(h.endsAt), unitPriceMinor: Number(h.price ?? 0),
    currency: h.currency ?? '', status: (h.status ?? 'open') as DealStatus,
    holds: Number(h.seq ?? 0) - seqBase(bucket, buckets), grabs: Number(h.grabs ?? 0), rejections,
  };
}

/**
 * The deal's counters from its buckets' (bucket 0 first; one bucket: itself). Held and sold are
 * the buckets' sums: a held or sold unit never leaves its bucket, so these are exact even when
 * the buckets were read at slightly different instants on different masters. Available is the
 * deal's stock less those, which counts the units a move has in flight (they are for sale, just
 * between two buckets): a stock move can never make it read 0 while any unit is still for sale.
 */
export function sumBuckets(parts: readonly DealCounters[]): DealCounters {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  const sum = { ...first, stock: first.total, bucket: 0, moving: 0, held: 0, sold: 0, holds: 0, grabs: 0 };
  const rejections: Partial<Record<CountedRefusal, number>> = {};
  for (const p of parts) {
    sum.held += p.held; sum.sold += p.sold; sum.holds += p.holds; sum.grabs += p.grabs; sum.moving += p.moving;
    for (const [code, n] of Object.entries(p.rejections) as [CountedRefusal, number][]) rejections[code] = (rejections[code] ?? 0) + n;
  }
  return { ...sum, available: sum.stock - sum.held - sum.sold, rejections };
}
