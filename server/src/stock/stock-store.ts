// The Redis deal model behind one typed handle: every read and write of a deal's keys (./keys.ts)
// goes through here, the scripts in ./lua as typed commands (./scripts.ts) whose negative codes
// become typed results in ./decisions.ts. Nobody else holds this connection for deal state.
import { dealKeys, globalKeys, dealIdOfHold, holdsOfExpiryEntry, payLockKey } from './keys.ts';
import { defineStockScripts } from './scripts.ts';
import {
  decodeGrabBatch, decodeRelease, decodeConfirm, decodeLostHold, REFUSAL_COUNTERS,
  type GrabBatchResult, type ReleaseResult, type ConfirmResult, type CountedRefusal, type LostHoldOutcome,
} from './decisions.ts';
import { parseDealHash, type DealCounters, type DealStatus } from './deal-hash.ts';
import { parseHoldRecord, chargeField, type ChargeEntry, type HoldRecord } from './records.ts';
import { connectionOfKey, execPiped, isUnreachable, type PipedCommand, type RedisClient } from '../redis.ts';

export { parseHoldRecord, type DealCounters, type DealStatus, type ChargeEntry, type HoldRecord };

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
}

/** A deal's hash, holds and per-shopper counts at one instant (reconcile's view). */
export interface DealSnapshot {
  deal: DealCounters;
  holds: HoldRecord[];
  /** shopper -> units held + bought */
  perShopper: Record<string, string>;
}

export class StockStore {
  constructor(private readonly redis: RedisClient, readonly prefix: string) {
    defineStockScripts(redis);
  }

  keys(dealId: string) {
    return dealKeys(this.prefix, dealId);
  }

  /** Decide many grabs for one deal in ONE Lua call, in the order given. */
  async grabBatch(dealId: string, grabs: readonly GrabRequest[]): Promise<GrabBatchResult> {
    const k = this.keys(dealId);
    const args: (string | number)[] = [dealId, grabs.length];
    for (const g of grabs) args.push(g.shopper, g.qty, g.rid);
    const raw = await this.redis.ffGrabBatch(k.deal, k.rids, k.perShopper, k.holds, k.expiries, ...args);
    return decodeGrabBatch(raw, grabs.length);
  }

  /** WAIT on the connection that carries this deal's grabs: how many replicas of its master have
   *  every write that connection sent so far (this batch and any before), waiting at most `ms`.
   *  0 when the client knows no master for the deal's slot (mid-failover). */
  async waitReplicas(dealId: string, replicas: number, ms: number): Promise<number> {
    const conn = connectionOfKey(this.redis, this.keys(dealId).deal);
    return conn ? conn.wait(replicas, ms) : 0;
  }

  /** Puts back (or records as released) a hold Postgres has an order for and Redis lost; the
   *  rules are in lua/settle-lost-hold-4.lua. `seq` is the hold id's number. */
  async settleLostHold(dealId: string, h: Omit<HoldRecord, 'state'> & { seq: number; state: 'pending' | 'paid' }): Promise<LostHoldOutcome> {
    const k = this.keys(dealId);
    return decodeLostHold(await this.redis.ffSettleLostHold(k.deal, k.perShopper, k.holds, k.expiries,
      h.hold, h.seq, h.shopper, h.qty, h.expiresAt, h.heldAt, h.state));
  }

  /** Give an overdue unpaid hold's stock back; exactly once however often it is called. */
  async releaseExpiredHold(hold: string, force = false): Promise<ReleaseResult> {
    const dealId = dealIdOfHold(hold);
    if (!dealId) return { released: false, reason: 'unknown' };
    const k = this.keys(dealId);
    const raw = await this.redis.ffReleaseExpiredHold(k.deal, k.perShopper, k.holds, hold, force ? '1' : '0');
    return decodeRelease(raw, dealId);
  }

  /** Turn a live hold into a sale. Refused when the hold's time is up by Redis TIME. */
  async confirmPayment(hold: string, shopper: string): Promise<ConfirmResult> {
    const dealId = dealIdOfHold(hold);
    if (!dealId) return { ok: false, code: 'unknown_hold' };
    const k = this.keys(dealId);
    const raw = await this.redis.ffConfirmPayment(k.deal, k.holds, hold, shopper);
    return decodeConfirm(raw, dealId);
  }

  /** Load (or update the schedule of) a deal in Redis; counters are created once. */
  async warmDeal(d: WarmDealInput): Promise<'created' | 'updated'> {
    const k = this.keys(d.id);
    const created = await this.redis.ffWarmDeal(k.deal, d.id, d.festivalId, d.stock, d.limit,
      d.holdSeconds * 1000, d.startsAt, d.endsAt, d.unitPriceMinor, d.currency, d.status);
    await this.redis.sadd(globalKeys(this.prefix).warmDeals, d.id);
    return created === 1 ? 'created' : 'updated';
  }

  async setStatus(dealId: string, status: DealStatus): Promise<boolean> {
    return (await this.redis.ffSetStatus(this.keys(dealId).deal, status)) === 1;
  }

  async readDeal(dealId: string): Promise<DealCounters | null> {
    return parseDealHash(await this.redis.hgetall(this.keys(dealId).deal));
  }

  /** Whether the deal's hash is in Redis (a flush or failover can lose it). */
  async hasDeal(dealId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys(dealId).deal)) === 1;
  }

  /** The deal hash, its holds and its per-shopper counts in one MULTI: a consistent instant,
   *  however busy the grab path is. */
  async snapshotDeal(dealId: string): Promise<DealSnapshot | null> {
    const k = this.keys(dealId);
    const res = await this.redis.multi().hgetall(k.deal).hgetall(k.holds).hgetall(k.perShopper).exec();
    if (!res) return null;
    for (const [err] of res) if (err) throw err;
    const deal = parseDealHash(res[0]![1] as Record<string, string>);
    if (!deal) return null;
    const holds = Object.entries(res[1]![1] as Record<string, string>).map(([h, raw]) => parseHoldRecord(h, raw));
    return { deal, holds, perShopper: res[2]![1] as Record<string, string> };
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
    return dealIds.map((_, i) => {
      const h = res[offset + i]?.[1] as Record<string, string> | undefined;
      return h ? parseDealHash(h) : null;
    });
  }

  async readCounters(dealIds: readonly string[]): Promise<Map<string, { available: number; held: number; sold: number }>> {
    const out = new Map<string, { available: number; held: number; sold: number }>();
    if (dealIds.length === 0) return out;
    const res = await execPiped(this.redis, dealIds.map((id) => {
      const key = this.keys(id).deal;
      return { key, add: (p) => p.hmget(key, 'available', 'held', 'sold') };
    }));
    dealIds.forEach((id, i) => {
      const row = res[i]?.[1] as (string | null)[] | undefined;
      if (row && row[0] !== null) out.set(id, { available: Number(row[0]), held: Number(row[1]), sold: Number(row[2]) });
    });
    return out;
  }

  async listHolds(dealId: string): Promise<HoldRecord[]> {
    const all = await this.redis.hgetall(this.keys(dealId).holds);
    return Object.entries(all).map(([hold, raw]) => parseHoldRecord(hold, raw));
  }

  async readHold(hold: string): Promise<HoldRecord | null> {
    const dealId = dealIdOfHold(hold);
    if (!dealId) return null;
    const raw = await this.redis.hget(this.keys(dealId).holds, hold);
    return raw ? parseHoldRecord(hold, raw) : null;
  }

  /**
   * Unpaid holds whose time is up at `now` (Redis clock), oldest first, at most `max`: the
   * held ones of the expiry index's due entries (one per grab batch, grab-batch-5.lua),
   * looking at no more than 10 x `max` entries per call. A due entry whose holds are all paid
   * or released is dropped here; a hold never returns to held, so dropping it after the read
   * is safe whatever runs meanwhile.
   */
  async dueHolds(dealId: string, now: number, max = 1000): Promise<string[]> {
    const k = this.keys(dealId);
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
    return this.redis.smembers(globalKeys(this.prefix).warmDeals);
  }

  /** Drops an ended, settled deal from the warm set; its keys stay, so late lookups by hold or
   *  rid still answer. */
  async retireDeal(dealId: string): Promise<void> {
    await this.redis.srem(globalKeys(this.prefix).warmDeals, dealId);
  }

  /** Writes a provider charge into the deal's charge journal (admission/charge-journal.ts). */
  async recordCharge(dealId: string, e: ChargeEntry): Promise<void> {
    await this.redis.hset(this.keys(dealId).charges, chargeField(e), JSON.stringify(e));
  }

  async clearCharge(dealId: string, e: Pick<ChargeEntry, 'hold' | 'ref'>): Promise<void> {
    await this.redis.hdel(this.keys(dealId).charges, chargeField(e));
  }

  async listCharges(dealId: string): Promise<ChargeEntry[]> {
    const entries = await this.redis.hgetall(this.keys(dealId).charges);
    return Object.values(entries).map((raw) => JSON.parse(raw) as ChargeEntry);
  }

  async hasCharges(dealId: string): Promise<boolean> {
    return (await this.redis.hlen(this.keys(dealId).charges)) > 0;
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
