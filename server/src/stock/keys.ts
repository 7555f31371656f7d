// Every Redis key the engine uses is built here. All keys of one deal carry the hash tag
// `{d:<dealId>}` so that a Lua script touching them runs on one Cluster slot.

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
}

export function dealKeys(prefix: string, dealId: string): DealKeys {
  const tag = `${prefix}:{d:${dealId}}`;
  return {
    deal: `${tag}:deal`,
    rids: `${tag}:rids`,
    perShopper: `${tag}:per`,
    holds: `${tag}:holds`,
    expiries: `${tag}:exp`,
    charges: `${tag}:charges`,
  };
}

/** STRING: a hold's pay lock, the token of the payer at work (admission/payments.ts). Same hash
 *  tag as the deal's other keys, so it sits on the deal's Cluster slot. */
export function payLockKey(prefix: string, dealId: string, hold: string): string {
  return `${prefix}:{d:${dealId}}:paying:${hold}`;
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

/** Hold ids are `<dealId>-<seq>`: unique across the engine, valid BullMQ job ids, and they
 *  tell which deal's keys to touch without a lookup. */
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
