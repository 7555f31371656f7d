// The deal hash (KEYS[1] of every stock script) read back: the one parser of its fields, for
// the scheduler, the live side, reconcile and payments alike. Fields are written by
// lua/warm-deal-1.lua (config, counters) and counted by lua/grab-batch-5.lua.
import { REFUSAL_COUNTERS, type CountedRefusal } from './decisions.ts';

export type DealStatus = 'open' | 'stopped' | 'cancelled';

/** The deal as Redis holds it: the live truth for counters. A missing number is NaN. */
export interface DealCounters {
  id: string;
  festivalId: string;
  stock: number;
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
  return {
    id: h.id, festivalId: h.festival ?? '', stock: Number(h.stock), available: Number(h.available),
    held: Number(h.held), sold: Number(h.sold), limit: Number(h.limit), holdMs: Number(h.holdMs),
    startsAt: Number(h.startsAt), endsAt: Number(h.endsAt), unitPriceMinor: Number(h.price ?? 0),
    currency: h.currency ?? '', status: (h.status ?? 'open') as DealStatus,
    holds: Number(h.seq ?? 0), grabs: Number(h.grabs ?? 0), rejections,
  };
}
