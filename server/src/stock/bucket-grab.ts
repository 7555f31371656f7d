// A batch of grabs for a bucketed deal: split by the shoppers' buckets (./buckets.ts), ONE
// grab-batch-5.lua call per bucket, the buckets in parallel. A bucket too dry for some grabs
// answers them "dry" (not final, not recorded); they wait for a stock move into their bucket
// (./stock-moves.ts) and go again. Only when no other bucket had a unit and none was in flight
// does the bucket decide them for good (sold_out, recorded for the rid like any refusal).
import { bucketOfShopper } from './buckets.ts';
import { GrabRefusal } from '../shared/protocol.ts';
import type { BucketGrabResult, GrabBatchResult, GrabDecision } from './decisions.ts';
import type { StockMoves } from './stock-moves.ts';

export interface BucketGrab {
  shopper: string;
  qty: number;
  rid: string;
}

export interface BucketGrabIo {
  grabBucket(dealId: string, bucket: number, buckets: number, grabs: readonly BucketGrab[], final: boolean): Promise<BucketGrabResult>;
  /** the deal's buckets as bucket 0's hash says (1 when not warmed) */
  readBuckets(dealId: string): Promise<number>;
  learnBuckets(dealId: string, buckets: number): void;
  moves: StockMoves;
}

/** How often a bucket goes back for stock before it decides its dry grabs for good: each round
 *  moved at least one unit in, so this only bounds a pathological tug of war between buckets. */
const MAX_REFILLS = 8;

interface BucketOutcome {
  now: number;
  available: number;
  /** indices (into the batch) the bucket did not decide: the deal's buckets were not `buckets` */
  reroute: number[];
}

async function decideInBucket(io: BucketGrabIo, dealId: string, bucket: number, buckets: number,
  grabs: readonly BucketGrab[], idx: number[], decisions: (GrabDecision | undefined)[]): Promise<BucketOutcome> {
  let pending = idx;
  let final = buckets === 1;
  for (let round = 0; ; round++) {
    const r = await io.grabBucket(dealId, bucket, buckets, pending.map((i) => grabs[i]!), final);
    if (r.rerouteBy !== undefined) {
      io.learnBuckets(dealId, r.rerouteBy);
      return { now: 0, available: 0, reroute: pending };
    }
    const dry: number[] = [];
    const unknown: number[] = [];
    pending.forEach((i, j) => {
      const d = r.decisions[j]!;
      if (d === null) dry.push(i);
      else if (bucket > 0 && !d.ok && d.code === GrabRefusal.UnknownDeal) unknown.push(i);
      else decisions[i] = d;
    });
    if (unknown.length) {
      // this bucket's hash is gone while the deal is warmed with other buckets (re-warmed after a
      // flush): route again by what bucket 0 says, or answer unknown_deal as an unbucketed deal would
      const real = await io.readBuckets(dealId);
      if (real !== buckets) {
        io.learnBuckets(dealId, real);
        return { now: r.now, available: r.available, reroute: [...unknown, ...dry] };
      }
      for (const i of unknown) decisions[i] = { ok: false, code: GrabRefusal.UnknownDeal };
    }
    if (dry.length === 0) return { now: r.now, available: r.available, reroute: [] };
    let wanted = 0;
    for (const i of dry) wanted += grabs[i]!.qty;
    const got = await io.moves.refill(dealId, bucket, buckets, wanted);
    final = got === 0 || round + 1 >= MAX_REFILLS;
    pending = dry;
  }
}

/** Decides `grabs` for a deal of `buckets` buckets (> 1, or found so by a bucket's answer). */
export async function grabAcrossBuckets(io: BucketGrabIo, dealId: string, buckets: number,
  grabs: readonly BucketGrab[]): Promise<GrabBatchResult> {
  const decisions: (GrabDecision | undefined)[] = new Array(grabs.length);
  let todo = grabs.map((_, i) => i);
  let now = 0;
  let available = 0;
  for (let attempt = 0; todo.length > 0; attempt++) {
    if (attempt >= 3) throw new Error(`grab: deal ${dealId} changed its stock buckets three times in one batch`);
    const byBucket = new Map<number, number[]>();
    for (const i of todo) {
      const b = bucketOfShopper(grabs[i]!.shopper, buckets);
      const list = byBucket.get(b);
      if (list) list.push(i);
      else byBucket.set(b, [i]);
    }
    const outcomes = await Promise.all([...byBucket].map(([b, idx]) => decideInBucket(io, dealId, b, buckets, grabs, idx, decisions)));
    todo = [];
    for (const o of outcomes) {
      now = Math.max(now, o.now);
      available += o.available;
      todo.push(...o.reroute);
    }
    if (todo.length) buckets = await io.readBuckets(dealId);
  }
  return { now, available: buckets > 1 ? Math.max(1, available) : available, buckets, decisions: decisions as GrabDecision[] };
}
