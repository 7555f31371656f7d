// A deal whose hash (or one stock bucket's hash: buckets sit on different slots and masters, so
// one can be lost alone) Redis lost, re-created from what Postgres records. Warming such a deal
// afresh would create its counters at full stock beside orders that hold or bought units: sold
// twice. Here each missing bucket gets back its paid and pending holds (payable, expiring at
// their own time), its shoppers' counts (the limit stays exact), a seq above every hold id it
// can have given, and its share of the units nobody holds: the deal's stock less what the
// surviving buckets have and what Postgres records in the missing ones.
// lua/restore-bucket-6.lua writes one bucket atomically, only while its hash is missing.
import { randomUUID } from 'node:crypto';
import { BUCKET_SEQ_SPAN, bucketKeys, bucketOfHold, restoreLockKey, seqBase, warmDealsKey } from './keys.ts';
import { bucketShare, stockBucketsFor } from './buckets.ts';
import type { WarmDealInput } from './stock-store.ts';
import type { RedisClient } from '../redis.ts';

/** A pending ('held') or paid order as Postgres has it. */
export interface RecordedHold {
  hold: string;
  shopper: string;
  qty: number;
  expiresAt: number;
  heldAt: number;
  state: 'held' | 'paid';
}

/** What Postgres records of a deal: the source of a lost bucket. */
export interface DealRecord {
  /** its pending and paid orders */
  holds: RecordedHold[];
  /** the highest hold id of each bucket that has orders of any status (cancelled too) */
  lastHolds: string[];
}

export interface RestoreResult {
  /** the buckets this call re-created */
  restored: number[];
  /** holds written back into them */
  holds: number;
  /** pending holds of a missing bucket that did not fit in the stock left (only when Postgres
   *  records more units than the stock: something was already wrong); not written back, the
   *  caller cancels their orders */
  dropped: RecordedHold[];
  /** paid units beyond the stock (nothing may undo a sale: reported) */
  short: number;
  /** another caller is restoring the deal: nothing done */
  busy: boolean;
}

/** Seqs a restored bucket skips past the highest Postgres knows: holds the lost hash gave
 *  whose orders are still in the admission queue have seqs there. More than any queue holds. */
export const RESTORE_SEQ_GAP = 1_000_000_000;
/** And this many per ms of the deal's window so far (lua/restore-bucket-6.lua says why): more
 *  holds than one master issues in a ms. A bucket's span (keys.ts) lasts a window of 5.7 days. */
export const RESTORE_SEQS_PER_MS = 200;
/** the restore lock's lease: a restore is a few reads and one script per bucket */
const LOCK_MS = 15_000;
/** reads of the buckets' shares until two in a row agree (a stock move at work changes them) */
const STABLE_READS = 6;

interface BucketShare {
  present: boolean;
  stock: number;
  total: number;
  movesOut: Record<string, string>;
  movesIn: Record<string, string>;
}

async function readShares(redis: RedisClient, prefix: string, dealId: string, buckets: number): Promise<BucketShare[]> {
  return Promise.all(Array.from({ length: buckets }, async (_, b) => {
    const k = bucketKeys(prefix, dealId, b, buckets);
    const res = await redis.multi().hmget(k.deal, 'available', 'stock', 'total').hgetall(k.movesOut).hgetall(k.movesIn).exec();
    if (!res) throw new Error(`restore: no reply reading bucket ${b} of deal ${dealId}`);
    for (const [err] of res) if (err) throw err;
    const [available, stock, total] = res[0]![1] as (string | null)[];
    return {
      present: available !== null, stock: Number(stock ?? 0), total: Number(total ?? 0),
      movesOut: res[1]![1] as Record<string, string>, movesIn: res[2]![1] as Record<string, string>,
    };
  }));
}

/**
 * The shares read twice in a row alike. A move changes the donor's stock before the receiver's:
 * read at different instants on different masters, one read can see a unit in both or in none;
 * two equal reads, the second begun after the first ended, cannot both miss a move that ran.
 */
async function stableShares(redis: RedisClient, prefix: string, dealId: string, buckets: number): Promise<BucketShare[]> {
  let last = await readShares(redis, prefix, dealId, buckets);
  for (let i = 0; i < STABLE_READS; i++) {
    const next = await readShares(redis, prefix, dealId, buckets);
    if (JSON.stringify(next) === JSON.stringify(last)) return next;
    last = next;
  }
  throw new Error(`restore: deal ${dealId}'s stock moves did not settle over ${STABLE_READS} reads`);
}

/** Units taken out of a surviving bucket by a move that no surviving receiver has credited:
 *  recovery (stock-moves.ts finishMoves) credits them, also into a bucket restored empty of
 *  journals, so they are not the restored bucket's stock. */
function unitsInFlight(shares: readonly BucketShare[]): number {
  const credited = new Set(shares.filter((s) => s.present).flatMap((s) => Object.keys(s.movesIn)));
  let units = 0;
  for (const s of shares) {
    if (!s.present) continue;
    for (const [moveId, rec] of Object.entries(s.movesOut)) {
      const m = /^\d+\|(\d+)\|taken$/.exec(rec);
      if (m && !credited.has(moveId)) units += Number(m[1]);
    }
  }
  return units;
}

/**
 * A new epoch for each missing bucket, above any it had (the surviving buckets' `fence:<b>`
 * fields remember the last), written as that fence into every surviving bucket
 * (lua/fence-moves-1.lua): from then on credit-stock-2.lua refuses the lost bucket's old moves.
 */
async function fenceLostBuckets(redis: RedisClient, prefix: string, dealId: string, buckets: number,
  shares: readonly BucketShare[]): Promise<Map<number, number>> {
  const present = shares.flatMap((s, b) => (s.present ? [b] : []));
  const epochs = new Map<number, number>();
  for (const [lost] of shares.entries()) {
    if (shares[lost]!.present) continue;
    const prior = await Promise.all(present.map((b) => redis.hget(bucketKeys(prefix, dealId, b, buckets).deal, `fence:${lost}`)));
    const epoch = Math.max(Date.now(), ...prior.map((p) => Number(p ?? 0) + 1));
    await Promise.all(present.map((b) => redis.ffFenceMoves(bucketKeys(prefix, dealId, b, buckets).deal, lost, epoch)));
    epochs.set(lost, epoch);
  }
  return epochs;
}

function holdSeq(hold: string): number {
  return Number(hold.slice(hold.lastIndexOf('-') + 1));
}

/** The deal's number of buckets: bucket 0's word, else the one its hold ids carry, else as a
 *  first warm would choose. */
async function bucketCount(redis: RedisClient, prefix: string, d: WarmDealInput, record: DealRecord): Promise<number> {
  const [available, had] = await redis.hmget(bucketKeys(prefix, d.id, 0, 1).deal, 'available', 'buckets');
  if (available !== null) return Number(had ?? 1) || 1;
  const fromHolds = record.lastHolds.map((h) => bucketOfHold(h).buckets);
  if (fromHolds.length) return Math.max(...fromHolds);
  return stockBucketsFor(d.stock, d.buckets, d.bucketUnits ?? 0);
}

/**
 * Re-creates the deal's missing buckets from `record` (nothing when none is missing). One
 * caller at a time per deal (a lock on bucket 0's slot): two callers reading the surviving
 * buckets and Postgres at different instants could each hand out the same free units.
 */
export async function restoreDeal(redis: RedisClient, prefix: string, d: WarmDealInput, record: DealRecord): Promise<RestoreResult> {
  const result: RestoreResult = { restored: [], holds: 0, dropped: [], short: 0, busy: false };
  const lock = restoreLockKey(prefix, d.id);
  const token = randomUUID();
  if ((await redis.set(lock, token, 'PX', LOCK_MS, 'NX')) !== 'OK') return { ...result, busy: true };
  try {
    const buckets = await bucketCount(redis, prefix, d, record);
    const before = await readShares(redis, prefix, d.id, buckets);
    if (before.every((s) => s.present)) return result;
    // Fence first: a mover that took units out of a lost bucket before the loss must not credit
    // them to a surviving bucket after the shares below are read (they count as the lost
    // bucket's again). Then read.
    const epochs = await fenceLostBuckets(redis, prefix, d.id, buckets, before);
    const shares = await stableShares(redis, prefix, d.id, buckets);
    const missing = shares.flatMap((s, b) => (s.present || !epochs.has(b) ? [] : [b]));
    if (missing.length === 0) return result;
    const survivors = shares.filter((s) => s.present);
    const total = survivors[0]?.total || d.stock;

    const inBucket = new Map<number, RecordedHold[]>(missing.map((b) => [b, []]));
    for (const h of record.holds) {
      const at = bucketOfHold(h.hold);
      if (at.buckets === buckets) inBucket.get(at.bucket)?.push(h);
    }
    const recorded = [...inBucket.values()].flat();
    let free = total - survivors.reduce((n, s) => n + s.stock, 0) - unitsInFlight(shares)
      - recorded.reduce((n, h) => n + h.qty, 0);
    if (free < 0) {
      // more units recorded than the stock has: the newest pending holds give way; a sale stays
      const pending = recorded.filter((h) => h.state === 'held').sort((a, b) => b.heldAt - a.heldAt);
      for (const h of pending) {
        if (free >= 0) break;
        result.dropped.push(h);
        free += h.qty;
      }
      if (free < 0) { result.short = -free; free = 0; }
      const dropped = new Set(result.dropped);
      for (const [b, holds] of inBucket) inBucket.set(b, holds.filter((h) => !dropped.has(h)));
    }

    const lastSeq = new Map<number, number>();
    for (const h of record.lastHolds) {
      const at = bucketOfHold(h);
      if (at.buckets === buckets) lastSeq.set(at.bucket, Math.max(lastSeq.get(at.bucket) ?? 0, holdSeq(h)));
    }
    const floorOf = (b: number) => Math.max(seqBase(b, buckets), lastSeq.get(b) ?? 0);
    const restoreBucket = async (b: number, i: number) => {
      const holds = inBucket.get(b)!;
      const units = holds.reduce((n, h) => n + h.qty, 0);
      const floor = floorOf(b);
      const k = bucketKeys(prefix, d.id, b, buckets);
      const args: (string | number)[] = [d.id, d.festivalId, total, d.limit, d.holdSeconds * 1000, d.startsAt, d.endsAt,
        d.unitPriceMinor, d.currency, d.status, b, buckets, units + bucketShare(free, missing.length, i),
        String(floor), lastSeq.has(b) ? '1' : '0', RESTORE_SEQ_GAP, RESTORE_SEQS_PER_MS,
        String(seqBase(b, buckets) + BUCKET_SEQ_SPAN), epochs.get(b)!, missing.length - 1];
      for (const other of missing) if (other !== b) args.push(other, epochs.get(other)!);
      args.push(holds.length);
      for (const h of holds) args.push(h.hold, h.shopper, h.qty, h.expiresAt, h.heldAt, h.state);
      const [created] = await redis.ffRestoreBucket(k.deal, k.perShopper, k.holds, k.expiries, k.movesOut, k.movesIn, ...args);
      if (created === 1) {
        result.restored.push(b);
        result.holds += holds.length;
      }
    };
    // bucket 0 last: a deal whose bucket 0 exists has all its buckets (StockStore.warmDeal)
    await Promise.all(missing.map((b, i) => (b === 0 ? null : restoreBucket(b, i))));
    if (missing[0] === 0) await restoreBucket(0, 0);
    result.restored.sort((a, b) => a - b);
    await redis.sadd(warmDealsKey(prefix), d.id);
    return result;
  } finally {
    await redis.ffReleasePayLock(lock, token);
  }
}
