// Every Redis key the engine uses is built here. All keys of one deal carry the hash tag
// `{d:<dealId>}` so that a Lua script touching them runs on one Cluster slot. A deal split into
// stock buckets (./buckets.ts) has one such set of keys per bucket: bucket 0 keeps `{d:<dealId>}`
// (so one bucket is exactly the layout of an unbucketed deal) and bucket b >= 1 of B has a tag
// `{d:<dealId>:<b>.<n>}` whose slot is placed, not left to the hash (see bucketTag).
import { MAX_STOCK_BUCKETS } from '../shared/brand-api.ts';
import calculateSlot from 'cluster-key-slot';

export interface DealKeys {
  /** HASH: the deal's config and counters (see lua/warm-deal-1.lua for the fields). */
  deal: string;
  /** HASH: `<shopper>:<rid>` -> the first answer given to that grab (idempotency). */
  rids: string;
  /** HASH: shopper id -> units held + bought in this deal (per-shopper limit). */
  perShopper: string;
  /** HASH: hold id -> `shopper|qty|expiresAt|state|heldAt` (state: held, paid, expired). */
  holds: string;
  /** ZSET: the expiry index, one entry per grab batch that held anything: `<first>-<last>`, the
   *  seqs of its holds, scored by their common expiresAt. Paid and released holds stay inside
   *  their entry; StockStore.dueHolds drops an entry once none of its holds is held. */
  expiries: string;
  /** HASH: `<hold>|<ref>` -> a provider charge not yet settled (admission/charge-journal.ts) */
  charges: string;
  /** HASH, the donor's move journal: move id -> `<to bucket>|<units>|taken|done` (lua/take-stock-2.lua) */
  movesOut: string;
  /** HASH, the receiver's move journal: move id -> `<from bucket>|<units>` (lua/credit-stock-2.lua) */
  movesIn: string;
}

const SLOTS = 16_384;
/** how far from its target slot a bucket's tag may land (the targets are ranges' centres) */
const SLOT_SLACK = 32;
const placedTags = new Map<string, string>();

/**
 * The hash tag of bucket `bucket` of `buckets`. Split the 16,384 slots into B equal ranges;
 * bucket 0's slot is the hash of `d:<dealId>` and falls in some range r; bucket b >= 1 gets the
 * first tag `d:<dealId>:<b>.<n>` (n = 0, 1, ...) whose slot lies within SLOT_SLACK of the centre
 * of range (r + b) mod B. So the buckets sit in B different ranges, far from their edges: on a
 * cluster whose M masters own equal contiguous ranges (what `redis-cli --cluster create` and
 * scripts/services/redis-cluster.mjs make), B = M buckets are on M different masters, where
 * hashed tags would share a master two times in three. Found once per bucket (a few hundred
 * CRC16s at most), then cached.
 */
function bucketTag(prefix: string, dealId: string, bucket: number, buckets: number): string {
  if (bucket === 0) return `${prefix}:{d:${dealId}}`;
  const id = `${dealId}:${bucket}:${buckets}`;
  let tag = placedTags.get(id);
  if (tag === undefined) {
    const range = Math.floor((calculateSlot(`d:${dealId}`) * buckets) / SLOTS);
    const target = Math.floor(((((range + bucket) % buckets) + 0.5) * SLOTS) / buckets);
    for (let n = 0; ; n++) {
      const t = `d:${dealId}:${bucket}.${n}`;
      if (Math.abs(calculateSlot(t) - target) <= SLOT_SLACK) { tag = t; break; }
    }
    placedTags.set(id, tag);
  }
  return `${prefix}:{${tag}}`;
}

/** The keys of stock bucket `bucket` of a deal split into `buckets` (bucket 0: the deal's own
 *  keys, whatever `buckets`). */
export function bucketKeys(prefix: string, dealId: string, bucket: number, buckets: number): DealKeys {
  const tag = bucketTag(prefix, dealId, bucket, buckets);
  return {
    deal: `${tag}:deal`,
    rids: `${tag}:rids`,
    perShopper: `${tag}:per`,
    holds: `${tag}:holds`,
    expiries: `${tag}:exp`,
    charges: `${tag}:charges`,
    movesOut: `${tag}:moves:out`,
    movesIn: `${tag}:moves:in`,
  };
}

/** The deal's keys: its bucket 0, which holds the deal's config and, for an unbucketed deal,
 *  everything. */
export function dealKeys(prefix: string, dealId: string): DealKeys {
  return bucketKeys(prefix, dealId, 0, 1);
}

/** STRING: a hold's pay lock, the token of the payer at work (admission/payments.ts). Same hash
 *  tag as the hold's bucket's other keys, so it sits on that bucket's Cluster slot. */
export function payLockKey(prefix: string, dealId: string, hold: string): string {
  const { bucket, buckets } = bucketOfHold(hold);
  return `${bucketTag(prefix, dealId, bucket, buckets)}:paying:${hold}`;
}

/** STRING: the token of the one caller re-creating the deal's lost buckets from Postgres
 *  (./deal-restore.ts); on the slot of bucket 0, beside the deal's own keys. */
export function restoreLockKey(prefix: string, dealId: string): string {
  return `${bucketTag(prefix, dealId, 0, 1)}:restoring`;
}

/** SET of deal ids currently warmed into Redis (the one stock key outside any deal). */
export function warmDealsKey(prefix: string): string {
  return `${prefix}:deals:warm`;
}

/** The seqs of bucket b of B start above seqBase(b, B) (warm-deal-1.lua sets the bucket's
 *  `seq` there): hold ids stay unique across the buckets of a deal, keep the shape
 *  `<dealId>-<seq>`, tell which bucket (and of how many: its tag depends on both) holds them,
 *  and bucket 0 of 1 starts at 0 like an unbucketed deal. Lua formats numbers with 14
 *  significant digits: 16 x 16 spans of 10^11 seqs stay below 10^14, exact. */
export const BUCKET_SEQ_SPAN = 100_000_000_000;
export { MAX_STOCK_BUCKETS };

export function seqBase(bucket: number, buckets: number): number {
  return ((buckets - 1) * MAX_STOCK_BUCKETS + bucket) * BUCKET_SEQ_SPAN;
}

/** Hold ids are `<dealId>-<seq>`: unique across the engine, valid BullMQ job ids, and they
 *  tell which deal's and which bucket's keys to touch without a lookup. */
export function holdId(dealId: string, seq: number): string {
  return `${dealId}-${seq}`;
}

/** `<number>-<number>`: a hold id (`<dealId>-<seq>`) and an expiry index entry (`<first>-<last>`). */
const NUMBER_PAIR = /^(\d{1,18})-(\d{1,18})$/;

/** The hold ids an expiry index entry `<first>-<last>` stands for (none for anything else). */
export function holdsOfExpiryEntry(dealId: string, entry: string): string[] {
  const m = NUMBER_PAIR.exec(entry);
  if (!m) return [];
  const holds: string[] = [];
  for (let seq = Number(m[1]); seq <= Number(m[2]); seq++) holds.push(holdId(dealId, seq));
  return holds;
}

export function dealIdOfHold(hold: string): string | null {
  const m = NUMBER_PAIR.exec(hold);
  return m ? m[1]! : null;
}

/** The stock bucket whose keys hold `hold`, and the deal's number of buckets (bucket 0 of 1
 *  for anything that is not a hold id). */
export function bucketOfHold(hold: string): { bucket: number; buckets: number } {
  const m = NUMBER_PAIR.exec(hold);
  const span = m ? Math.floor(Number(m[2]) / BUCKET_SEQ_SPAN) : 0;
  return { bucket: span % MAX_STOCK_BUCKETS, buckets: Math.floor(span / MAX_STOCK_BUCKETS) + 1 };
}
