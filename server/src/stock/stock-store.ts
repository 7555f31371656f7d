// The Redis deal model behind one typed handle: every read and write of a deal's keys (./keys.ts)
// goes through here, the scripts in ./lua as typed commands (./scripts.ts) whose negative codes
// become typed results in ./decisions.ts. Nobody else holds this connection for deal state.
// A deal may be split into stock buckets (./buckets.ts): every method here takes and gives the
// whole deal (counters summed, holds found by their id's bucket), so callers need not know.
import {
  dealKeys, bucketKeys, warmDealsKey, dealIdOfHold, bucketOfHold, holdsOfExpiryEntry, payLockKey, seqBase,
} from './keys.ts';
import { defineStockScripts } from './scripts.ts';
import {
  decodeGrabBatch, decodeRelease, decodeConfirm, decodeLostHold, REFUSAL_COUNTERS,
  type GrabBatchResult, type BucketGrabResult, type GrabDecision, type ReleaseResult, type ConfirmResult, type CountedRefusal,
  type LostHoldOutcome,
} from './decisions.ts';
import { parseDealHash, sumBuckets, type DealCounters, type DealStatus } from './deal-hash.ts';
import { parseHoldRecord, chargeField, type ChargeEntry, type HoldRecord } from './records.ts';
import { bucketShare, stockBucketsFor } from './buckets.ts';
import { grabAcrossBuckets, type BucketGrabIo } from './bucket-grab.ts';
import { StockMoves, type OpenMove } from './stock-moves.ts';
import { restoreDeal, type DealRecord, type RecordedHold, type RestoreResult } from './deal-restore.ts';
import { connectionOfKey, execPiped, isUnreachable, type PipedCommand, type RedisClient } from '../redis.ts';
import { redisNowFor } from '../redis-clock.ts';

export { parseHoldRecord, type DealCounters, type DealStatus, type ChargeEntry, type HoldRecord };
export type { DealRecord, RecordedHold, RestoreResult };

export interface GrabRequest {
  shopper: string;
  qty: number;
  rid: string;
}

export interface WarmDealInput {
  id: string;
  festivalId: string;
  stock: number;
  limit: number;
  holdSeconds: number;
  startsAt: number;
  endsAt: number;
  unitPriceMinor: number;
  currency: string;
  status: DealStatus;
  /** stock buckets asked for (the deal's `stock_buckets`; null: by `bucketUnits`). Fixed once
   *  the deal is in Redis: warming again keeps the buckets it has. */
  buckets?: number | null;
  /** STOCK_BUCKET_UNITS: with `buckets` null, one bucket per this many units (0: one bucket) */
  bucketUnits?: number;
}

/** A bucket's hash, holds, per-shopper counts and move journals at one instant. */
export interface BucketSnapshot {
  deal: DealCounters;
  holds: HoldRecord[];
  /** shopper -> units held + bought */
  perShopper: Record<string, string>;
  /** move id -> "<to>|<units>|taken|done" (moves out of this bucket) */
  movesOut: Record<string, string>;
  /** move id -> "<from>|<units>" (moves credited to this bucket) */
  movesIn: Record<string, string>;
}

/** A deal's hash, holds and per-shopper counts at one instant (reconcile's view); of a bucketed
 *  deal the sum of its buckets, each of which is one instant on its own master. */
export interface DealSnapshot {
  deal: DealCounters;
  holds: HoldRecord[];
  /** shopper -> units held + bought */
  perShopper: Record<string, string>;
  buckets: BucketSnapshot[];
  /** units taken from a donor whose receiver's journal has no credit for them yet */
  inFlight: number;
}

/** A warm deal's counters as readCounters gives them: summed over its buckets. */
export interface LiveCounters {
  available: number;
  held: number;
  sold: number;
  /** how many stock buckets the deal has in Redis (bucket 0's `buckets`; fixed since it warmed) */
  buckets: number;
}

/** Shoppers' counts over buckets, summed: a shopper is pinned to one bucket, so a shopper in two
 *  would show as the sum (and reconcile's limit check would see it). */
function sumPerShopper(parts: readonly Record<string, string>[]): Record<string, string> {
  const sum: Record<string, number> = {};
  for (const p of parts) for (const [shopper, n] of Object.entries(p)) sum[shopper] = (sum[shopper] ?? 0) + Number(n);
  return Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, String(v)]));
}

export class StockStore {
  /** deal id -> its number of stock buckets, as learned from Redis (1 until told otherwise:
   *  grab-batch-5.lua refuses a batch routed by the wrong number and says the right one) */
  private readonly bucketCounts = new Map<string, number>();
  readonly moves: StockMoves;
  private readonly bucketIo: BucketGrabIo;

  constructor(private readonly redis: RedisClient, readonly prefix: string) {
    defineStockScripts(redis);
    this.moves = new StockMoves(redis, prefix);
    this.bucketIo = {
      grabBucket: (dealId, bucket, buckets, grabs, final) => this.grabBucket(dealId, bucket, buckets, grabs, final),
      readBuckets: (dealId) => this.bucketsOf(dealId, true),
      learnBuckets: (dealId, buckets) => { this.bucketCounts.set(dealId, buckets); },
      moves: this.moves,
    };
  }

  keys(dealId: string) {
    return dealKeys(this.prefix, dealId);
  }

  bucketKeys(dealId: string, bucket: number, buckets: number) {
    return bucketKeys(this.prefix, dealId, bucket, buckets);
  }

  /** The deal's number of stock buckets (1 when it is not warmed); `fresh` reads Redis. */
  async bucketsOf(dealId: string, fresh = false): Promise<number> {
    const known = this.bucketCounts.get(dealId);
    if (known !== undefined && !fresh) return known;
    const [id, buckets] = await this.redis.hmget(this.keys(dealId).deal, 'id', 'buckets');
    const n = Number(buckets ?? 1) || 1;
    if (id !== null) this.bucketCounts.set(dealId, n);
    return n;
  }

  /**
   * Decide many grabs for one deal, in the order given: ONE Lua call, or of a bucketed deal one
   * per bucket its shoppers are pinned to (./bucket-grab.ts), with stock moved into a dry bucket
   * from the others before any grab there is refused sold_out.
   */
  async grabBatch(dealId: string, grabs: readonly GrabRequest[]): Promise<GrabBatchResult> {
    const buckets = this.bucketCounts.get(dealId) ?? 1;
    if (buckets === 1) {
      const r = await this.grabBucket(dealId, 0, 1, grabs, true);
      // final: a one-bucket batch never answers "dry", so every decision is there
      if (r.rerouteBy === undefined) return { now: r.now, available: r.available, buckets: 1, decisions: r.decisions as GrabDecision[] };
      this.bucketCounts.set(dealId, r.rerouteBy);
      return grabAcrossBuckets(this.bucketIo, dealId, r.rerouteBy, grabs);
    }
    return grabAcrossBuckets(this.bucketIo, dealId, buckets, grabs);
  }

  /** One grab-batch-5.lua call on one bucket (see its header for `buckets` and `final`). */
  async grabBucket(dealId: string, bucket: number, buckets: number, grabs: readonly GrabRequest[], final: boolean): Promise<BucketGrabResult> {
    const k = this.bucketKeys(dealId, bucket, buckets);
    const args: (string | number)[] = [dealId, grabs.length, buckets, final ? '1' : '0'];
    for (const g of grabs) args.push(g.shopper, g.qty, g.rid);
    const raw = await this.redis.ffGrabBatch(k.deal, k.rids, k.perShopper, k.holds, k.expiries, ...args);
    return decodeGrabBatch(raw, grabs.length);
  }

  /** The keys of the bucket that holds `hold` (null: not a hold id). */
  private holdKeys(hold: string): { dealId: string; k: ReturnType<typeof bucketKeys> } | null {
    const dealId = dealIdOfHold(hold);
    if (!dealId) return null;
    const { bucket, buckets } = bucketOfHold(hold);
    return { dealId, k: this.bucketKeys(dealId, bucket, buckets) };
  }

  /** WAIT on the connections that carry this deal's grabs (one per master its buckets live on):
   *  how many replicas have every write those connections sent so far (this batch and any
   *  before), waiting at most `ms`; the fewest of them. 0 when the client knows no master for a
   *  bucket's slot (mid-failover). */
  async waitReplicas(dealId: string, replicas: number, ms: number): Promise<number> {
    const buckets = this.bucketCounts.get(dealId) ?? 1;
    const conns = new Set(Array.from({ length: buckets }, (_, b) => connectionOfKey(this.redis, this.bucketKeys(dealId, b, buckets).deal)));
    if (conns.has(null)) return 0;
    const acked = await Promise.all([...conns].map((c) => c!.wait(replicas, ms)));
    return Math.min(...acked);
  }

  /** Puts back (or records as released) a hold Postgres has an order for and Redis lost, in the
   *  bucket its id names; the rules are in lua/settle-lost-hold-4.lua. `seq` is the hold id's number. */
  async settleLostHold(dealId: string, h: Omit<HoldRecord, 'state'> & { seq: number; state: 'pending' | 'paid' }): Promise<LostHoldOutcome> {
    const { bucket, buckets } = bucketOfHold(h.hold);
    const k = this.bucketKeys(dealId, bucket, buckets);
    return decodeLostHold(await this.redis.ffSettleLostHold(k.deal, k.perShopper, k.holds, k.expiries,
      h.hold, h.seq, h.shopper, h.qty, h.expiresAt, h.heldAt, h.state));
  }

  /** Give an overdue unpaid hold's stock back; exactly once however often it is called. */
  async releaseExpiredHold(hold: string, force = false): Promise<ReleaseResult> {
    const at = this.holdKeys(hold);
    if (!at) return { released: false, reason: 'unknown' };
    const { dealId, k } = at;
    const raw = await this.redis.ffReleaseExpiredHold(k.deal, k.perShopper, k.holds, hold, force ? '1' : '0');
    return decodeRelease(raw, dealId);
  }

  /** Turn a live hold into a sale. Refused when the hold's time is up by Redis TIME. */
  async confirmPayment(hold: string, shopper: string): Promise<ConfirmResult> {
    const at = this.holdKeys(hold);
    if (!at) return { ok: false, code: 'unknown_hold' };
    const { dealId, k } = at;
    const raw = await this.redis.ffConfirmPayment(k.deal, k.holds, hold, shopper);
    return decodeConfirm(raw, dealId);
  }

  /**
   * Load (or update the schedule of) a deal in Redis; counters are created once. A new deal gets
   * its buckets (stockBucketsFor); a deal already in Redis keeps the ones it has. Buckets 1.. are
   * written before bucket 0, so a deal whose bucket 0 exists (hasDeal) has all of them.
   *
   * With `record` (the scheduler always gives it) no bucket is ever created at its full share:
   * a missing one, lost after the deal may have sold, is re-created from what Postgres records
   * (./deal-restore.ts; `record` is read only then). Without it (a deal known never to have
   * sold: tests, the demo seed) missing buckets are created fresh.
   */
  async warmDeal(d: WarmDealInput, record?: () => Promise<DealRecord>): Promise<'created' | 'updated' | 'restored'> {
    const [id, had] = await this.redis.hmget(this.keys(d.id).deal, 'id', 'buckets');
    if (id === null && record) {
      // bucket 0 is gone: how many buckets the deal has is the restore's to find out
      await this.restoreOrThrow(d, await record());
      await this.warmDeal(d, record);
      return 'restored';
    }
    const buckets = id !== null ? Number(had ?? 1) || 1 : stockBucketsFor(d.stock, d.buckets, d.bucketUnits ?? 0);
    const warmBucket = async (b: number) => {
      const k = this.bucketKeys(d.id, b, buckets);
      const [created] = await this.redis.ffWarmDeal(k.deal, d.id, d.festivalId, d.stock, d.limit,
        d.holdSeconds * 1000, d.startsAt, d.endsAt, d.unitPriceMinor, d.currency, d.status,
        b, buckets, bucketShare(d.stock, buckets, b), String(seqBase(b, buckets)), record ? '0' : '1');
      return created;
    };
    const others = await Promise.all(Array.from({ length: buckets - 1 }, (_, i) => warmBucket(i + 1)));
    const created = await warmBucket(0);
    let outcome: 'created' | 'updated' | 'restored' = created === 1 ? 'created' : 'updated';
    if (record && (created === -1 || others.includes(-1))) {
      await this.restoreOrThrow(d, await record());
      outcome = 'restored';
    }
    this.bucketCounts.set(d.id, buckets);
    await this.redis.sadd(warmDealsKey(this.prefix), d.id);
    return outcome;
  }

  private async restoreOrThrow(d: WarmDealInput, record: DealRecord): Promise<void> {
    const r = await this.restoreDeal(d, record);
    // Pending orders the stock could not take (r.dropped) stay out of Redis: reconcile's
    // lost-holds pass finds them and cancels them. Busy: the caller's next act retries (opening
    // a deal half restored would answer unknown_deal).
    if (r.busy) throw new Error(`warm: deal ${d.id} is being restored by another caller`);
  }

  /** Re-creates the deal's missing buckets from what Postgres records (./deal-restore.ts);
   *  `d` gives the config, as to warmDeal. */
  async restoreDeal(d: WarmDealInput, record: DealRecord): Promise<RestoreResult> {
    const r = await restoreDeal(this.redis, this.prefix, d, record);
    if (r.restored.length) this.bucketCounts.delete(d.id);
    return r;
  }

  /** The deal's buckets missing from Redis, and how many it has (by bucket 0; `buckets` null
   *  when bucket 0 is gone: the others cannot be named then). */
  async presentBuckets(dealId: string): Promise<{ buckets: number | null; missing: number[] }> {
    const [available, had] = await this.redis.hmget(this.keys(dealId).deal, 'available', 'buckets');
    if (available === null) return { buckets: null, missing: [0] };
    const buckets = Number(had ?? 1) || 1;
    const present = await Promise.all(Array.from({ length: buckets }, (_, b) => this.redis.hexists(this.bucketKeys(dealId, b, buckets).deal, 'available')));
    return { buckets, missing: present.flatMap((p, b) => (p ? [] : [b])) };
  }

  async setStatus(dealId: string, status: DealStatus): Promise<boolean> {
    const buckets = await this.bucketsOf(dealId, true);
    const set = await Promise.all(Array.from({ length: buckets }, (_, b) => this.redis.ffSetStatus(this.bucketKeys(dealId, b, buckets).deal, status)));
    return set[0] === 1;
  }

  /** The deal's counters, its buckets summed (deal-hash.ts sumBuckets). */
  async readDeal(dealId: string): Promise<DealCounters | null> {
    const first = parseDealHash(await this.redis.hgetall(this.keys(dealId).deal));
    if (!first || first.buckets <= 1) return first;
    this.bucketCounts.set(dealId, first.buckets);
    const rest = await Promise.all(Array.from({ length: first.buckets - 1 }, (_, i) => this.readBucket(dealId, i + 1, first.buckets)));
    return sumBuckets([first, ...rest.filter((c): c is DealCounters => c !== null)]);
  }

  /** One bucket's own counters (stock: its share). */
  async readBucket(dealId: string, bucket: number, buckets: number): Promise<DealCounters | null> {
    return parseDealHash(await this.redis.hgetall(this.bucketKeys(dealId, bucket, buckets).deal));
  }

  /** Whether the deal's hash is in Redis (a flush or failover can lose it). */
  async hasDeal(dealId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys(dealId).deal)) === 1;
  }

  /** A bucket's hash, holds, per-shopper counts and journals in one MULTI: a consistent
   *  instant of that bucket, however busy the grab path is. */
  async snapshotBucket(dealId: string, bucket: number, buckets: number): Promise<BucketSnapshot | null> {
    const k = this.bucketKeys(dealId, bucket, buckets);
    const res = await this.redis.multi().hgetall(k.deal).hgetall(k.holds).hgetall(k.perShopper)
      .hgetall(k.movesOut).hgetall(k.movesIn).exec();
    if (!res) return null;
    for (const [err] of res) if (err) throw err;
    const deal = parseDealHash(res[0]![1] as Record<string, string>);
    if (!deal) return null;
    const holds = Object.entries(res[1]![1] as Record<string, string>).map(([h, raw]) => parseHoldRecord(h, raw));
    return {
      deal, holds, perShopper: res[2]![1] as Record<string, string>,
      movesOut: res[3]![1] as Record<string, string>, movesIn: res[4]![1] as Record<string, string>,
    };
  }

  /** Every bucket's snapshot (snapshotBucket) and their sum. Buckets on different masters are
   *  read at different instants: `inFlight` is exact only while no move runs (reconcile first
   *  finishes the open ones). */
  async snapshotDeal(dealId: string): Promise<DealSnapshot | null> {
    const first = await this.snapshotBucket(dealId, 0, 1);
    if (!first) return null;
    const n = first.deal.buckets;
    const rest = await Promise.all(Array.from({ length: Math.max(0, n - 1) }, (_, i) => this.snapshotBucket(dealId, i + 1, n)));
    const buckets = [first, ...rest.filter((s): s is BucketSnapshot => s !== null)];
    if (buckets.length === 1) return { ...first, buckets, inFlight: 0 };
    const credited = new Set(buckets.flatMap((b) => Object.keys(b.movesIn)));
    let inFlight = 0;
    for (const b of buckets) {
      for (const [moveId, rec] of Object.entries(b.movesOut)) {
        const m = /^\d+\|(\d+)\|taken$/.exec(rec);
        if (m && !credited.has(moveId)) inFlight += Number(m[1]);
      }
    }
    return {
      deal: sumBuckets(buckets.map((b) => b.deal)), holds: buckets.flatMap((b) => b.holds),
      perShopper: sumPerShopper(buckets.map((b) => b.perShopper)),
      buckets, inFlight,
    };
  }

  /** Recovery of stock moves (./stock-moves.ts): credits and closes the deal's open ones. */
  async finishMoves(dealId: string): Promise<number> {
    const buckets = await this.bucketsOf(dealId, true);
    return buckets > 1 ? this.moves.finishMoves(dealId, buckets) : 0;
  }

  async openMoves(dealId: string): Promise<OpenMove[]> {
    return this.moves.openMoves(dealId, await this.bucketsOf(dealId, true));
  }

  /**
   * One round trip for the live side: adds refusals a gateway answered from its cache to the
   * deals' counters, then reads every deal in `dealIds` (null: not warmed, or its read failed).
   * Throws when Redis was not reached: a pipeline reports that per command, not by rejecting.
   */
  async pollDeals(dealIds: readonly string[],
    localRefusals: Iterable<[string, ReadonlyMap<CountedRefusal, number>]> = []): Promise<(DealCounters | null)[]> {
    const commands: PipedCommand[] = [];
    for (const [dealId, counts] of localRefusals) {
      const key = this.keys(dealId).deal;
      for (const [code, n] of counts) commands.push({ key, add: (p) => p.ffAddLocalRefusals(key, REFUSAL_COUNTERS[code], n) });
    }
    const offset = commands.length;
    for (const id of dealIds) {
      const key = this.keys(id).deal;
      commands.push({ key, add: (p) => p.hgetall(key) });
    }
    const res = await execPiped(this.redis, commands);
    const away = res.find(([err]) => isUnreachable(err))?.[0];
    if (away) throw away;
    const firsts = dealIds.map((_, i) => {
      const h = res[offset + i]?.[1] as Record<string, string> | undefined;
      return h ? parseDealHash(h) : null;
    });
    return this.withOtherBuckets(dealIds, firsts, (key, p) => p.hgetall(key),
      (first, rows) => sumBuckets([first, ...rows.map((h) => (h ? parseDealHash(h as Record<string, string>) : null)).filter((c): c is DealCounters => c !== null)]));
  }

  /**
   * The second round for bucketed deals (bucket 0 came in the first): `read` of every other
   * bucket's hash in one execPiped, then `merge` with the first. Unbucketed deals cost nothing
   * more; a failed read of a bucket leaves the deal null (unknown) rather than a wrong sum.
   */
  private async withOtherBuckets<T extends { buckets: number } | null>(dealIds: readonly string[], firsts: T[],
    read: (key: string, p: Parameters<PipedCommand['add']>[0]) => void, merge: (first: NonNullable<T>, rows: unknown[]) => T): Promise<T[]> {
    const commands: PipedCommand[] = [];
    const spans: { at: number; n: number }[] = [];
    firsts.forEach((c, i) => {
      const n = c && c.buckets > 1 ? c.buckets - 1 : 0;
      spans.push({ at: commands.length, n });
      if (n > 0) this.bucketCounts.set(dealIds[i]!, c!.buckets);
      for (let b = 1; b <= n; b++) {
        const key = this.bucketKeys(dealIds[i]!, b, c!.buckets).deal;
        commands.push({ key, add: (p) => read(key, p) });
      }
    });
    if (commands.length === 0) return firsts;
    const res = await execPiped(this.redis, commands);
    return firsts.map((c, i) => {
      const { at, n } = spans[i]!;
      if (!c || n === 0) return c;
      const rows = res.slice(at, at + n);
      if (rows.some(([err]) => err)) return null as T;
      return merge(c, rows.map(([, v]) => v));
    });
  }

  /** The deals Redis holds (one it does not hold is absent from the map). */
  async readCounters(dealIds: readonly string[]): Promise<Map<string, LiveCounters>> {
    const out = new Map<string, LiveCounters>();
    if (dealIds.length === 0) return out;
    type Counts = LiveCounters & { total: number };
    const res = await execPiped(this.redis, dealIds.map((id) => {
      const key = this.keys(id).deal;
      return { key, add: (p) => p.hmget(key, 'available', 'held', 'sold', 'total', 'buckets') };
    }));
    const firsts = dealIds.map((_, i): Counts | null => {
      const row = res[i]?.[1] as (string | null)[] | undefined;
      if (!row || row[0] === null) return null;
      const held = Number(row[1]);
      const sold = Number(row[2]);
      return { available: Number(row[0]), held, sold, total: Number(row[3] ?? Number(row[0]) + held + sold), buckets: Number(row[4] ?? 1) };
    });
    const summed = await this.withOtherBuckets(dealIds, firsts, (key, p) => p.hmget(key, 'held', 'sold'), (first, rows) => {
      let held = first.held; let sold = first.sold;
      for (const r of rows as (string | null)[][]) { held += Number(r[0] ?? 0); sold += Number(r[1] ?? 0); }
      // as sumBuckets: units in flight between buckets are still for sale
      return { ...first, held, sold, available: first.total - held - sold };
    });
    dealIds.forEach((id, i) => {
      const c = summed[i];
      if (c) out.set(id, { available: c.available, held: c.held, sold: c.sold, buckets: c.buckets });
    });
    return out;
  }

  /** `f(keys)` for every bucket of the deal, in parallel. */
  private async eachBucket<T>(dealId: string, f: (k: ReturnType<typeof bucketKeys>) => Promise<T>): Promise<T[]> {
    const buckets = await this.bucketsOf(dealId);
    return Promise.all(Array.from({ length: buckets }, (_, b) => f(this.bucketKeys(dealId, b, buckets))));
  }

  async listHolds(dealId: string): Promise<HoldRecord[]> {
    const parts = await this.eachBucket(dealId, (k) => this.redis.hgetall(k.holds));
    return parts.flatMap((all) => Object.entries(all).map(([hold, raw]) => parseHoldRecord(hold, raw)));
  }

  /** Redis TIME (epoch ms) on the deal's master: the clock its scripts judge expiry by. */
  now(dealId: string): Promise<number> {
    return redisNowFor(this.redis, dealKeys(this.prefix, dealId).deal);
  }

  async readHold(hold: string): Promise<HoldRecord | null> {
    const at = this.holdKeys(hold);
    if (!at) return null;
    const raw = await this.redis.hget(at.k.holds, hold);
    return raw ? parseHoldRecord(hold, raw) : null;
  }

  /** The records of many holds, in the order given (null: unknown or not in Redis), in one
   *  round trip: one HMGET per holds hash they fall in. A gateway reads the pending holds of
   *  hundreds of shoppers at once after a Redis restart (gateway/shopper-holds.ts). */
  async readHolds(holds: readonly string[]): Promise<(HoldRecord | null)[]> {
    const out: (HoldRecord | null)[] = holds.map(() => null);
    const byKey = new Map<string, number[]>();
    holds.forEach((hold, i) => {
      const at = this.holdKeys(hold);
      if (!at) return;
      const idx = byKey.get(at.k.holds);
      if (idx) idx.push(i);
      else byKey.set(at.k.holds, [i]);
    });
    if (byKey.size === 0) return out;
    const groups = [...byKey];
    const replies = await execPiped(this.redis, groups.map(([key, idx]) => ({ key, add: (p) => p.hmget(key, ...idx.map((i) => holds[i]!)) })));
    replies.forEach(([err, raws], g) => {
      if (err) throw err;
      const idx = groups[g]![1];
      (raws as (string | null)[]).forEach((raw, j) => { if (raw) out[idx[j]!] = parseHoldRecord(holds[idx[j]!]!, raw); });
    });
    return out;
  }

  /**
   * Unpaid holds whose time is up at `now` (Redis clock), oldest first within a bucket, at most
   * `max`: the held ones of the expiry index's due entries (one per grab batch,
   * grab-batch-5.lua), of every bucket of the deal.
   */
  async dueHolds(dealId: string, now: number, max = 1000): Promise<string[]> {
    const buckets = await this.bucketsOf(dealId);
    const due: string[] = [];
    for (let b = 0; b < buckets && due.length < max; b++) {
      due.push(...await this.dueHoldsIn(dealId, this.bucketKeys(dealId, b, buckets), now, max - due.length));
    }
    return due;
  }

  /**
   * dueHolds of one bucket, looking at no more than 10 x `max` entries per call. A due entry
   * whose holds are all paid or released is dropped here; a hold never returns to held, so
   * dropping it after the read is safe whatever runs meanwhile.
   */
  private async dueHoldsIn(dealId: string, k: ReturnType<typeof bucketKeys>, now: number, max: number): Promise<string[]> {
    const due: string[] = [];
    const settled: string[] = [];
    const PAGE = 100;
    for (let seen = 0; due.length < max && seen < 10 * max; seen += PAGE) {
      const entries = await this.redis.zrangebyscore(k.expiries, 0, now, 'LIMIT', seen, PAGE);
      // the hold records of the whole page in one round trip (one HMGET per entry)
      const pageEntries = entries.map((entry) => ({ entry, holds: holdsOfExpiryEntry(dealId, entry) }));
      for (const { entry, holds } of pageEntries) if (holds.length === 0) settled.push(entry);
      const read = pageEntries.filter(({ holds }) => holds.length > 0);
      const pipe = this.redis.pipeline();
      for (const { holds } of read) pipe.hmget(k.holds, ...holds);
      const replies = read.length ? ((await pipe.exec()) ?? []) : [];
      read.forEach(({ entry, holds }, i) => {
        const [err, reply] = replies[i] ?? [new Error('dueHolds: no reply from Redis')];
        // a failed read must not make the holds look settled and drop their entry
        if (err) throw err;
        const records = reply as (string | null)[];
        const held = holds.filter((hold, j) => records[j] != null && parseHoldRecord(hold, records[j]!).state === 'held');
        if (held.length === 0) settled.push(entry);
        due.push(...held);
      });
      if (entries.length < PAGE) break;
    }
    // after the scan: removing while paging would shift the offsets
    if (settled.length) await this.redis.zrem(k.expiries, ...settled);
    return due.slice(0, max);
  }

  async warmDealIds(): Promise<string[]> {
    return this.redis.smembers(warmDealsKey(this.prefix));
  }

  /** Puts a deal Redis has back into the warm set (its entry was lost without its hash). */
  async markWarm(dealId: string): Promise<void> {
    await this.redis.sadd(warmDealsKey(this.prefix), dealId);
  }

  /** Drops an ended, settled deal from the warm set; its keys stay, so late lookups by hold or
   *  rid still answer. */
  async retireDeal(dealId: string): Promise<void> {
    await this.redis.srem(warmDealsKey(this.prefix), dealId);
  }

  /** Writes a provider charge into the deal's charge journal (admission/charge-journal.ts), in
   *  the hold's bucket. */
  async recordCharge(dealId: string, e: ChargeEntry): Promise<void> {
    await this.redis.hset(this.holdKeys(e.hold)?.k.charges ?? this.keys(dealId).charges, chargeField(e), JSON.stringify(e));
  }

  async clearCharge(dealId: string, e: Pick<ChargeEntry, 'hold' | 'ref'>): Promise<void> {
    await this.redis.hdel(this.holdKeys(e.hold)?.k.charges ?? this.keys(dealId).charges, chargeField(e));
  }

  async listCharges(dealId: string): Promise<ChargeEntry[]> {
    const parts = await this.eachBucket(dealId, (k) => this.redis.hgetall(k.charges));
    return parts.flatMap((entries) => Object.values(entries).map((raw) => JSON.parse(raw) as ChargeEntry));
  }

  async hasCharges(dealId: string): Promise<boolean> {
    const lens = await this.eachBucket(dealId, (k) => this.redis.hlen(k.charges));
    return lens.some((n) => n > 0);
  }

  /** Takes a hold's pay lock for `token` unless another payer holds it. */
  async takePayLock(dealId: string, hold: string, token: string, ttlMs: number): Promise<boolean> {
    const key = payLockKey(this.prefix, dealId, hold);
    try {
      return (await this.redis.set(key, token, 'PX', ttlMs, 'NX')) === 'OK';
    } catch (err) {
      // A SET that timed out may still run when a hung Redis wakes: release it right behind (same
      // connection, same order), so the shopper's resend does not wait out a lock nobody holds.
      this.redis.ffReleasePayLock(key, token).catch(() => {});
      throw err;
    }
  }

  /** Releases the pay lock if `token` still holds it. */
  async releasePayLock(dealId: string, hold: string, token: string): Promise<void> {
    await this.redis.ffReleasePayLock(payLockKey(this.prefix, dealId, hold), token);
  }
}
