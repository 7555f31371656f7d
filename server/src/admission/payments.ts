// Paying for a hold: the gateway calls payHold. The order of steps is the point: charge only a
// live hold, confirm in Redis (which may still say "expired" by its clock), refund on that race,
// and only then queue the Postgres settlement. A per-hold lock keeps concurrent pays of the same
// hold (two tabs, a double tap) to one charge.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { PayRefusal, type PayRefusalCode } from '../shared/protocol.ts';
import { redisNow, withTimeout } from '../redis.ts';
import { dealIdOfHold } from '../stock/keys.ts';
import type { StockStore } from '../stock/stock-store.ts';
import type { Admission } from './queues.ts';
import { clearCharge, recordCharge } from './charge-journal.ts';

export interface ChargeRequest {
  hold: string;
  shopper: string;
  amountMinor: number;
  currency: string;
}

export type ChargeResult = { ok: true; ref: string } | { ok: false; reason: string };

export interface PaymentProvider {
  name: string;
  charge(req: ChargeRequest): Promise<ChargeResult>;
  refund(ref: string): Promise<void>;
}

/** Approves everything (or declines every Nth charge); remembers recent charges and refunds so
 *  tests can count them. Bounded, because a demo gateway may run for days. */
export class DemoPaymentProvider implements PaymentProvider {
  readonly name = 'demo';
  readonly charges: (ChargeRequest & { ref: string })[] = [];
  readonly refunds: string[] = [];
  private attempts = 0;

  constructor(private readonly declineEvery = 0, private readonly remember = 10_000) {}

  async charge(req: ChargeRequest): Promise<ChargeResult> {
    this.attempts++;
    if (this.declineEvery > 0 && this.attempts % this.declineEvery === 0) {
      return { ok: false, reason: 'declined by the demo provider' };
    }
    const ref = `demo-${randomBytes(8).toString('hex')}`;
    this.keep(this.charges, { ...req, ref });
    return { ok: true, ref };
  }

  async refund(ref: string): Promise<void> {
    this.keep(this.refunds, ref);
  }

  private keep<T>(list: T[], item: T): void {
    list.push(item);
    if (list.length > this.remember) list.shift();
  }
}

export function createPaymentProvider(config: Pick<Config, 'demoPaymentDeclineEvery'>): PaymentProvider {
  return new DemoPaymentProvider(config.demoPaymentDeclineEvery);
}

export interface PayDeps {
  config: Pick<Config, 'keyPrefix' | 'redisTimeoutMs'>;
  redis: Redis;
  stock: StockStore;
  provider: PaymentProvider;
  admission: Pick<Admission, 'settlePayment'>;
}

export type PayOutcome =
  | { ok: true; hold: string; dealId: string; repeat: boolean }
  | { ok: false; code: PayRefusalCode };

/** Same hash tag as the deal's other keys, so it sits on the deal's Cluster slot. */
export function payingLockKey(prefix: string, dealId: string, hold: string): string {
  return `${prefix}:{d:${dealId}}:paying:${hold}`;
}

// Long enough for a slow provider; a crashed gateway's lock lapses by itself.
const LOCK_TTL_MS = 15_000;
// A second pay of the same hold waits for the first and then answers from its outcome.
const LOCK_WAIT_MS = 10_000;
const LOCK_POLL_MS = 20;
const UNLOCK = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function payHold(deps: PayDeps, req: { hold: string; shopper: string }): Promise<PayOutcome> {
  const dealId = dealIdOfHold(req.hold);
  if (!dealId) return { ok: false, code: PayRefusal.UnknownHold };
  const key = payingLockKey(deps.config.keyPrefix, dealId, req.hold);
  const token = randomUUID();
  const deadline = Date.now() + LOCK_WAIT_MS;
  while ((await lock(deps.redis, key, token)) !== 'OK') {
    if (Date.now() > deadline) return { ok: false, code: PayRefusal.Unavailable };
    await sleep(LOCK_POLL_MS);
  }
  try {
    return await payLocked(deps, req.hold, req.shopper, dealId);
  } finally {
    await deps.redis.eval(UNLOCK, 1, key, token).catch(() => {});
  }
}

async function lock(redis: Redis, key: string, token: string): Promise<string | null> {
  try {
    return await redis.set(key, token, 'PX', LOCK_TTL_MS, 'NX');
  } catch (err) {
    // A SET that timed out may still run when a hung Redis wakes: release it right behind (same
    // connection, same order), so the shopper's resend does not wait out a lock nobody holds.
    redis.eval(UNLOCK, 1, key, token).catch(() => {});
    throw err;
  }
}

async function payLocked(deps: PayDeps, hold: string, shopper: string, dealId: string): Promise<PayOutcome> {
  const { stock, provider } = deps;
  const rec = await stock.readHold(hold);
  if (!rec || rec.shopper !== shopper) return { ok: false, code: PayRefusal.UnknownHold };
  if (rec.state === 'paid') return { ok: true, hold, dealId, repeat: true };
  if (rec.state === 'expired' || (await redisNow(deps.redis)) >= rec.expiresAt) {
    return { ok: false, code: PayRefusal.HoldExpired };
  }
  const deal = await stock.readDeal(dealId);
  if (!deal) return { ok: false, code: PayRefusal.Unavailable };

  const amountMinor = rec.qty * deal.unitPriceMinor;
  const charge = await provider.charge({ hold, shopper, amountMinor, currency: deal.currency });
  if (!charge.ok) return { ok: false, code: PayRefusal.PaymentDeclined };
  // From here until the settlement is queued, the charge is in the journal: if this process
  // dies, the reconciler confirms and settles it, or refunds it (admission/charge-journal.ts).
  const entry = { hold, shopper, ref: charge.ref, provider: provider.name, amountMinor, currency: deal.currency, at: Date.now() };
  try {
    await recordCharge(deps.redis, deps.config.keyPrefix, dealId, entry);
  } catch (err) {
    await provider.refund(charge.ref);
    throw err;
  }

  const confirmed = await stock.confirmPayment(hold, shopper);
  if (!confirmed.ok || confirmed.repeat) {
    // The hold ran out between our check and the confirm (or, lock lapsed, someone else paid it):
    // this charge bought nothing, give it back.
    await provider.refund(charge.ref);
    await clearCharge(deps.redis, deps.config.keyPrefix, dealId, entry);
    return confirmed.ok ? { ok: true, hold, dealId, repeat: true } : { ok: false, code: confirmed.code };
  }
  // Redis now says paid; from here the sale stands. If queueing fails the caller sees an
  // error, a retry answers "paid" (repeat), and the reconciler finds the paid hold without a
  // payment row. The queue's connection waits for Redis as long as it takes (BullMQ needs
  // that); the shopper does not: past the bound the add stays queued there and lands when
  // Redis is back (idempotent by hold), and the charge stays in the journal until then.
  await withTimeout(deps.admission.settlePayment({
    hold, dealId, shopper, qty: confirmed.qty, unitPriceMinor: confirmed.unitPriceMinor,
    currency: confirmed.currency, heldAt: confirmed.heldAt, expiresAt: confirmed.expiresAt,
    provider: provider.name, providerRef: charge.ref, paidAt: await redisNow(deps.redis),
  }), deps.config.redisTimeoutMs, 'settle payment');
  await clearCharge(deps.redis, deps.config.keyPrefix, dealId, entry);
  return { ok: true, hold, dealId, repeat: false };
}
