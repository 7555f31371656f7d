// The one place that knows the Lua scripts' integer codes and turns them into typed results.
import {
  GrabRefusal, PayRefusal, type GrabRefusalCode, type PayRefusalCode,
} from '../shared/protocol.ts';

export type GrabDecision =
  | { ok: true; hold: string; qty: number; expiresAt: number; repeat: boolean }
  | { ok: false; code: GrabRefusalCode };

export interface GrabBatchResult {
  /** Redis TIME when the batch was decided (epoch ms). */
  now: number;
  /** units left after the batch; 0 means the gateway may answer sold_out locally. Of a bucketed
   *  deal (buckets > 1): the units left in the buckets this batch went to, never 0 (a dry
   *  bucket is not a sold-out deal; the deal feed's sum of every bucket says that) */
  available: number;
  /** the deal's stock buckets (stock/buckets.ts) */
  buckets: number;
  decisions: GrabDecision[];
}

/** One bucket's answer to grab-batch-5.lua: a decision per grab, null for a grab the bucket
 *  was too dry for (not final: it goes again after a stock move); or, when the caller routed by
 *  the wrong number of buckets, `rerouteBy` and nothing decided. */
export type BucketGrabResult =
  | { now: number; available: number; decisions: (GrabDecision | null)[]; rerouteBy?: undefined }
  | { rerouteBy: number };

const grabCodes: Record<number, GrabRefusalCode> = {
  [-1]: GrabRefusal.UnknownDeal,
  [-2]: GrabRefusal.NotOpen,
  [-3]: GrabRefusal.Ended,
  [-4]: GrabRefusal.SoldOut,
  [-5]: GrabRefusal.LimitReached,
  [-6]: GrabRefusal.Invalid,
};

/** Decodes grab-batch-5.lua's one-string answer: "now available" then "code hold qty exp" per
 *  grab, or "B <buckets>" when the caller's number of buckets was not the deal's. */
export function decodeGrabBatch(raw: string, n: number): BucketGrabResult {
  const f = raw.split(' ');
  if (f[0] === 'B') return { rerouteBy: Number(f[1]) };
  if (f.length !== 2 + 4 * n) throw new Error(`grab-batch: expected ${2 + 4 * n} fields, got ${f.length}`);
  const decisions: (GrabDecision | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const o = 2 + 4 * i;
    const code = Number(f[o]);
    if (code === 1 || code === 2) {
      decisions[i] = { ok: true, hold: f[o + 1]!, qty: Number(f[o + 2]), expiresAt: Number(f[o + 3]), repeat: code === 2 };
    } else if (code === -7) {
      decisions[i] = null;
    } else {
      const refusal = grabCodes[code];
      if (!refusal) throw new Error(`grab-batch: unknown code ${f[o]}`);
      decisions[i] = { ok: false, code: refusal };
    }
  }
  return { now: Number(f[0]), available: Number(f[1]), decisions };
}

export type ReleaseResult =
  | { released: true; dealId: string; shopper: string; qty: number; available: number }
  | { released: false; reason: 'unknown' | 'paid' | 'already_released' | 'not_due'; shopper?: string; qty?: number };

const releaseReasons = { [-1]: 'unknown', [-2]: 'paid', [-3]: 'already_released', [-4]: 'not_due' } as const;

export function decodeRelease(raw: (string | number)[], dealId: string): ReleaseResult {
  const code = Number(raw[0]);
  if (code === 1) {
    return { released: true, dealId, shopper: String(raw[1]), qty: Number(raw[2]), available: Number(raw[3]) };
  }
  const reason = releaseReasons[code as keyof typeof releaseReasons];
  if (!reason) throw new Error(`release-expired-hold: unknown code ${code}`);
  return reason === 'unknown'
    ? { released: false, reason }
    : { released: false, reason, shopper: String(raw[1]), qty: Number(raw[2]) };
}

export type ConfirmResult =
  | { ok: true; dealId: string; repeat: boolean; qty: number; unitPriceMinor: number; currency: string; heldAt: number; expiresAt: number }
  | { ok: false; code: PayRefusalCode };

export function decodeConfirm(raw: (string | number)[], dealId: string): ConfirmResult {
  const code = Number(raw[0]);
  if (code === 1 || code === 2) {
    return {
      ok: true, dealId, repeat: code === 2, qty: Number(raw[1]), unitPriceMinor: Number(raw[2]),
      currency: String(raw[3]), heldAt: Number(raw[4]), expiresAt: Number(raw[5]),
    };
  }
  if (code === -1) return { ok: false, code: PayRefusal.UnknownHold };
  if (code === -3) return { ok: false, code: PayRefusal.HoldExpired };
  throw new Error(`confirm-payment: unknown code ${code}`);
}

/** The refusals grab-batch-5.lua counts in the deal hash, by field `rej:<code>`; a gateway adds
 *  the ones it answers from its cache (not_open, ended, sold_out) to the same fields. */
export const REFUSAL_COUNTERS = {
  [GrabRefusal.NotOpen]: 'rej:-2',
  [GrabRefusal.Ended]: 'rej:-3',
  [GrabRefusal.SoldOut]: 'rej:-4',
  [GrabRefusal.LimitReached]: 'rej:-5',
  [GrabRefusal.Invalid]: 'rej:-6',
} as const;
export type CountedRefusal = keyof typeof REFUSAL_COUNTERS;

/** take-stock-2.lua's answer. */
export interface TakeResult {
  /** units this move took from the donor (-1: the donor bucket is not warmed) */
  taken: number;
  repeat: boolean;
  /** the donor's available after the take */
  available: number;
  /** units of other moves in flight from the donor */
  movingBefore: number;
  /** the donor's epoch (a restore from Postgres raises it: credit-stock-2.lua) */
  epoch: number;
}

export function decodeTake(raw: (string | number)[]): TakeResult {
  return { taken: Number(raw[0]), repeat: Number(raw[1]) === 1, available: Number(raw[2]), movingBefore: Number(raw[3]), epoch: Number(raw[4] ?? 0) };
}

/** How settle-lost-hold-4.lua settled an order whose hold Redis lost (see its header). */
export type LostHoldOutcome = 'restored_held' | 'restored_paid' | 'released' | 'deal_missing' | 'hold_present' | 'oversold';

const lostHoldOutcomes: Record<number, LostHoldOutcome> = {
  1: 'restored_held', 2: 'restored_paid', 0: 'released', [-1]: 'deal_missing', [-2]: 'hold_present', [-3]: 'oversold',
};

export function decodeLostHold(raw: number): LostHoldOutcome {
  const outcome = lostHoldOutcomes[Number(raw)];
  if (!outcome) throw new Error(`settle-lost-hold: unknown code ${raw}`);
  return outcome;
}
