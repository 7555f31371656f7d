// The waiting room's Redis model behind one typed handle: the scripts in ./lua (./scripts.ts)
// and the keys in ./keys.ts. Every call touches one deal's slot.
import { roomKeys, type RoomKeys } from './keys.ts';
import { defineRoomScripts } from './scripts.ts';
import { drawOrder, newSeed } from './draw.ts';
import { dealKeys } from '../stock/keys.ts';
import type { RedisClient } from '../redis.ts';
import type { RoomConfig } from './room-config.ts';
import type { RoomSettings } from './settings-repo.ts';

export type RoomState = 'off' | 'pre' | 'drawing' | 'open' | 'closed';
export type RoomCloseReason = 'sold_out' | 'ended' | 'stopped';

export type JoinResult =
  | { status: 'off' | 'pow'; serving: number; next: number; now: number }
  | { status: 'closed'; reason: RoomCloseReason; now: number }
  | { status: 'pre'; ticket: number; serving: number; next: number; now: number }
  | { status: 'waiting'; number: number; serving: number; next: number; now: number }
  | { status: 'admitted'; number: number; windowEnd: number; serving: number; next: number; now: number };

export interface TickState {
  state: RoomState;
  serving: number;
  /** the last number handed out */
  next: number;
  /** shoppers in the line (or in the pre-queue before the draw) */
  waiting: number;
  reason: RoomCloseReason | '';
  /** this caller must run the draw now */
  draw: boolean;
  /** Redis time of the tick */
  now: number;
  /** pre-queue tickets the draw ordered */
  entries: number;
  commit: string;
  /** the seed, once the draw is done */
  seed: string;
  /** admitted per second, measured */
  rate: number;
  paused: boolean;
  outflow: number;
  windowMs: number;
  admitted: number;
  abandoned: number;
  openedAt: number;
  closedAt: number;
  soldOutAt: number;
  /** admitted shoppers inside their window holding nothing yet */
  pending: number;
}

const DRAW_CHUNK = 2_000;
const PRESENCE_CHUNK = 1_000;

export class RoomStore {
  constructor(private readonly redis: RedisClient, readonly prefix: string, private readonly cfg: Readonly<RoomConfig>) {
    defineRoomScripts(redis);
  }

  keys(dealId: string): RoomKeys {
    return roomKeys(this.prefix, dealId);
  }

  /** Creates the room (with its seed and commitment) or updates its settings. */
  async warm(dealId: string, s: RoomSettings): Promise<'created' | 'updated'> {
    const { seed, commit } = newSeed();
    const created = await this.redis.ffRoomWarm(this.keys(dealId).room, s.mode, s.outflow, s.windowSeconds * 1000,
      s.graceSeconds * 1000, s.autoMultiple, seed, commit);
    return created === 1 ? 'created' : 'updated';
  }

  async join(dealId: string, shopper: string, paid: boolean): Promise<JoinResult> {
    const k = this.keys(dealId);
    const r = await this.redis.ffRoomJoin(k.room, k.who, k.tix, k.line, k.seen, k.admitted, dealKeys(this.prefix, dealId).deal,
      shopper, paid ? '1' : '0');
    const [status, number, ticket, serving, next, windowEnd, reason, now] =
      [String(r[0]), Number(r[1]), Number(r[2]), Number(r[3]), Number(r[4]), Number(r[5]), String(r[6]), Number(r[7])];
    switch (status) {
      case 'closed': return { status, reason: reason as RoomCloseReason, now };
      case 'pre': return { status, ticket, serving, next, now };
      case 'waiting': return { status, number, serving, next, now };
      case 'admitted': return { status, number, windowEnd, serving, next, now };
      case 'off': case 'pow': return { status, serving, next, now };
      default: throw new Error(`room-join: unknown status ${status}`);
    }
  }

  async leave(dealId: string, shopper: string): Promise<boolean> {
    const k = this.keys(dealId);
    return (await this.redis.ffRoomLeave(k.room, k.who, k.tix, k.line, k.seen, k.admitted, shopper)) === 1;
  }

  async tick(dealId: string, gateway: string, watchers: number): Promise<TickState> {
    const k = this.keys(dealId);
    const d = dealKeys(this.prefix, dealId);
    const r = await this.redis.ffRoomTick(k.room, k.line, k.seen, k.admitted, k.watch, d.deal, d.perShopper, k.who,
      gateway, watchers, this.cfg.tickMs, this.cfg.admitFactor, this.cfg.heldReturn, this.cfg.drawLeaseMs, 1_000);
    const n = (i: number) => Number(r[i] ?? 0);
    return {
      state: String(r[0]) as RoomState, serving: n(1), next: n(2), waiting: n(3), reason: String(r[4] ?? '') as TickState['reason'],
      draw: n(5) === 1, now: n(6), entries: n(7), commit: String(r[8] ?? ''), seed: String(r[9] ?? ''), rate: n(10),
      paused: n(11) === 1, outflow: n(12), windowMs: n(13), admitted: n(14), abandoned: n(15), openedAt: n(16),
      closedAt: n(17), soldOutAt: n(18), pending: n(19),
    };
  }

  /** Orders the pre-queue with the room's seed and opens the line (the tick said: draw). */
  async draw(dealId: string): Promise<void> {
    const k = this.keys(dealId);
    const [seed, entries] = await this.redis.hmget(k.room, 'seed', 'entries');
    if (!seed) throw new Error(`room ${dealId}: no seed`);
    const order = drawOrder(seed, Number(entries ?? 0));
    for (let at = 0; at < order.length; at += DRAW_CHUNK) {
      const chunk = Array.from(order.subarray(at, at + DRAW_CHUNK));
      if ((await this.redis.ffRoomDraw(k.room, k.who, k.tix, k.line, at + 1, ...chunk)) < 0) return; // another drawer finished
    }
    await this.redis.ffRoomDraw(k.room, k.who, k.tix, k.line, 'finish');
  }

  /** Marks these waiters present at `now` (Redis clock); a shopper without a place stays out. */
  async markPresent(dealId: string, shoppers: readonly string[], now: number): Promise<void> {
    const key = this.keys(dealId).seen;
    for (let at = 0; at < shoppers.length; at += PRESENCE_CHUNK) {
      const args: (string | number)[] = [];
      for (const s of shoppers.slice(at, at + PRESENCE_CHUNK)) args.push(now, s);
      await this.redis.zadd(key, 'XX', ...args);
    }
  }

  /** The numbers of these shoppers (null: no number, e.g. still a ticket or no place). */
  async numbersOf(dealId: string, shoppers: readonly string[]): Promise<(number | null)[]> {
    if (shoppers.length === 0) return [];
    const raw = await this.redis.hmget(this.keys(dealId).who, ...shoppers);
    return raw.map((v) => (v && v[0] !== 't' ? Number(v) : null));
  }

  /** Windows of admitted shoppers (0: not admitted or over). */
  async windowsOf(dealId: string, shoppers: readonly string[]): Promise<number[]> {
    if (shoppers.length === 0) return [];
    const raw = await this.redis.zmscore(this.keys(dealId).admitted, ...shoppers);
    return raw.map((v) => (v === null ? 0 : Number(v)));
  }

  /** Ops: pause or resume admission, change the outflow. */
  async control(dealId: string, c: { paused?: boolean; outflow?: number }): Promise<boolean> {
    const key = this.keys(dealId).room;
    if (!(await this.redis.exists(key))) return false;
    const fields: (string | number)[] = [];
    if (c.paused !== undefined) fields.push('paused', c.paused ? 1 : 0);
    if (c.outflow !== undefined) fields.push('outflow', c.outflow);
    if (fields.length) await this.redis.hset(key, ...fields);
    return true;
  }

  /** Whether the room of this deal is on (mode on, or auto and its rule fired). */
  async modes(dealIds: readonly string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    // one key per deal, each on its own slot: one command each, sent together
    await Promise.all(dealIds.map(async (id) => { out.set(id, await this.redis.hget(this.keys(id).room, 'mode')); }));
    return out;
  }

  /** Spends a one-use proof-of-work solution (session minting); false when already spent. */
  async spendPow(signature: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}:pow:${signature}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
  }
}
