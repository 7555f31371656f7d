// Typed wrappers around the Lua scripts in ./lua. Scripts are loaded once per connection with
// ioredis `defineCommand` (EVALSHA, falling back to EVAL after a SCRIPT FLUSH); their negative
// codes become typed results in ./decisions.ts, the one place that knows the numbers.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Redis, Result } from 'ioredis';
import { dealKeys, globalKeys, dealIdOfHold, holdsOfExpiryEntry } from './keys.ts';
import {
  decodeGrabBatch, decodeRelease, decodeConfirm,
  type GrabBatchResult, type ReleaseResult, type ConfirmResult,
} from './decisions.ts';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    ffGrabBatch(deal: string, rids: string, per: string, holds: string, exp: string,
      ...args: (string | number)[]): Result<string, Context>;
    ffReleaseExpiredHold(deal: string, per: string, holds: string,
      hold: string, force: '0' | '1'): Result<(string | number)[], Context>;
    ffConfirmPayment(deal: string, holds: string,
      hold: string, shopper: string): Result<(string | number)[], Context>;
    ffWarmDeal(deal: string, ...args: (string | number)[]): Result<number, Context>;
  }
}

const LUA_DIR = fileURLToPath(new URL('./lua/', import.meta.url));
const lua = (file: string) => readFileSync(LUA_DIR + file, 'utf8');
const SCRIPTS = {
  ffGrabBatch: { numberOfKeys: 5, lua: lua('grab-batch-5.lua') },
  ffReleaseExpiredHold: { numberOfKeys: 3, lua: lua('release-expired-hold-3.lua') },
  ffConfirmPayment: { numberOfKeys: 2, lua: lua('confirm-payment-2.lua') },
  ffWarmDeal: { numberOfKeys: 1, lua: lua('warm-deal-1.lua') },
} as const;

const defined = new WeakSet<Redis>();
function defineScripts(redis: Redis): void {
  if (defined.has(redis)) return;
  for (const [name, def] of Object.entries(SCRIPTS)) redis.defineCommand(name, def);
  defined.add(redis);
}

export interface GrabRequest {
  shopper: string;
  qty: number;
  rid: string;
}

export type DealStatus = 'open' | 'stopped' | 'cancelled';

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

/** The deal as Redis holds it: the live truth for counters. */
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
}

export interface HoldRecord {
  hold: string;
  shopper: string;
  qty: number;
  expiresAt: number;
  heldAt: number;
  state: 'held' | 'paid' | 'expired';
}

export function parseHoldRecord(hold: string, raw: string): HoldRecord {
  const m = /^(.*)\|(\d+)\|(\d+)\|([a-z]+)\|(\d+)$/.exec(raw);
  if (!m) throw new Error(`corrupt hold record ${hold}: ${raw}`);
  return {
    hold, shopper: m[1]!, qty: Number(m[2]), expiresAt: Number(m[3]),
    state: m[4] as HoldRecord['state'], heldAt: Number(m[5]),
  };
}

export class StockStore {
  constructor(readonly redis: Redis, readonly prefix: string) {
    defineScripts(redis);
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
    const k = this.keys(dealId);
    // HSET only if the deal is warmed: a status on a missing hash would look like a deal.
    const updated = await this.redis.eval(
      "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'status', ARGV[1]) return 1 end return 0",
      1, k.deal, status);
    return updated === 1;
  }

  async readDeal(dealId: string): Promise<DealCounters | null> {
    const h = await this.redis.hgetall(this.keys(dealId).deal);
    if (!h.id) return null;
    return {
      id: h.id, festivalId: h.festival ?? '', stock: Number(h.stock), available: Number(h.available),
      held: Number(h.held), sold: Number(h.sold), limit: Number(h.limit), holdMs: Number(h.holdMs),
      startsAt: Number(h.startsAt), endsAt: Number(h.endsAt), unitPriceMinor: Number(h.price),
      currency: h.currency ?? '', status: (h.status ?? 'open') as DealStatus,
    };
  }

  async readCounters(dealIds: readonly string[]): Promise<Map<string, { available: number; held: number; sold: number }>> {
    const out = new Map<string, { available: number; held: number; sold: number }>();
    if (dealIds.length === 0) return out;
    const pipe = this.redis.pipeline();
    for (const id of dealIds) pipe.hmget(this.keys(id).deal, 'available', 'held', 'sold');
    const res = (await pipe.exec()) ?? [];
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
}
