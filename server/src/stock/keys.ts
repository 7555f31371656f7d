// Every Redis key the engine uses is built here. All keys of one deal carry the hash tag
// `{d:<dealId>}` so that a Lua script touching them runs on one Cluster slot. A deal split into
// stock buckets (./buckets.ts) has one such set of keys per bucket: bucket 0 keeps `{d:<dealId>}`
// (so one bucket is exactly the layout of an unbucketed deal) and bucket b >= 1 has
// `{d:<dealId>:<b>}`, a slot of its own, so the buckets of one deal spread over the masters.

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

function bucketTag(prefix: string, dealId: string, bucket: number): string {
  return bucket === 0 ? `${prefix}:{d:${dealId}}` : `${prefix}:{d:${dealId}:${bucket}}`;
}

/** The keys of one stock bucket of a deal (bucket 0: the deal's own keys). */
export function bucketKeys(prefix: string, dealId: string, bucket: number): DealKeys {
  const tag = bucketTag(prefix, dealId, bucket);
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
  return bucketKeys(prefix, dealId, 0);
}

/** STRING: a hold's pay lock, the token of the payer at work (admission/payments.ts). Same hash
 *  tag as the hold's bucket's other keys, so it sits on that bucket's Cluster slot. */
export function payLockKey(prefix: string, dealId: string, hold: string): string {
  return `${bucketTag(prefix, dealId, bucketOfHold(hold))}:paying:${hold}`;
}

/** Keys outside any one deal. */
export function globalKeys(prefix: string) {
  return {
    /** SET of deal ids currently warmed into Redis. */
    warmDeals: `${prefix}:deals:warm`,
    /** STRING counter: the scheduler leader's fencing token. */
    schedulerFence: `${prefix}:scheduler:fence`,
    /** redlock resource the scheduler leader holds. */
    schedulerLock: `${prefix}:scheduler:lock`,
    /** STRING: id of the current scheduler leader (for the ops board). */
    schedulerLeader: `${prefix}:scheduler:leader`,
  };
}

/** The seqs of bucket b's holds start above b * BUCKET_SEQ_SPAN (warm-deal-1.lua sets the
 *  bucket's `seq` there): hold ids stay unique across the buckets of a deal, keep the shape
 *  `<dealId>-<seq>`, and bucket 0's are exactly an unbucketed deal's. Lua formats numbers with
 *  14 significant digits, so 16 buckets of 10^12 holds each stay exact. */
export const BUCKET_SEQ_SPAN = 1_000_000_000_000;

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

/** The stock bucket whose keys hold `hold` (0 for anything that is not a hold id). */
export function bucketOfHold(hold: string): number {
  const m = NUMBER_PAIR.exec(hold);
  return m ? Math.floor(Number(m[2]) / BUCKET_SEQ_SPAN) : 0;
}
