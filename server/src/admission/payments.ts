// Paying for a hold: the gateway calls payHold. The order of steps is the point: charge only a
// live hold, confirm in Redis (which may still say "expired" by its clock), refund on that race,
// and only then queue the Postgres settlement. A per-hold lock keeps concurrent pays of the same
// hold (two tabs, a double tap) to one charge. The method is checked before any of that: one the
// provider does not offer, or the deal does not accept, is refused with nothing charged.
import { randomBytes, randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis.ts';
import type { Config } from '../config.ts';
import { DefaultPaymentMethod, PaymentMethod, PayRefusal, type PayRefusalCode, type PaymentMethodValue } from '../shared/protocol.ts';
import { withTimeout } from '../redis.ts';
import { dealIdOfHold } from '../stock/keys.ts';
import type { StockStore } from '../stock/stock-store.ts';
import type { Admission } from './queues.ts';

export interface ChargeRequest {
  hold: string;
  shopper: string;
  amountMinor: number;
  currency: string;
  method: PaymentMethodValue;
}

export type ChargeResult = { ok: true; ref: string } | { ok: false; reason: string };

/** What a real provider implements to plug in (createPaymentProvider picks one). A charge that
 *  succeeds has taken the money, or, for cash on delivery, has booked the collection: either
 *  way the hold is confirmed and `refund` undoes it. */
export interface PaymentProvider {
  name: string;
  /** the methods this provider can take, in the order checkout offers them */
  methods: readonly PaymentMethodValue[];
  charge(req: ChargeRequest): Promise<ChargeResult>;
  refund(ref: string): Promise<void>;
}

/** Approves everything (or declines every Nth charge); remembers recent charges and refunds so
 *  tests can count them. Bounded, because a demo gateway may run for days. Offers a wallet, a
 *  card and cash on delivery (which moves no money now: its reference names the collection). */
export class DemoPaymentProvider implements PaymentProvider {
  readonly name = 'demo';
  readonly methods: readonly PaymentMethodValue[] = [PaymentMethod.Wallet, PaymentMethod.Card, PaymentMethod.CashOnDelivery];
  readonly charges: (ChargeRequest & { ref: string })[] = [];
  readonly refunds: string[] = [];
  private attempts = 0;

  constructor(private readonly declineEvery = 0, private readonly remember = 10_000) {}

  async charge(req: ChargeRequest): Promise<ChargeResult> {
    this.attempts++;
    if (this.declineEvery > 0 && this.attempts % this.declineEvery === 0) {
      return { ok: false, reason: 'declined by the demo provider' };
    }
    const ref = `demo-${req.method}-${randomBytes(8).toString('hex')}`;
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
  config: Pick<Config, 'redisTimeoutMs'>;
  redis: RedisClient;
  stock: StockStore;
  provider: PaymentProvider;
  admission: Pick<Admission, 'settlePayment'>;
  /** the methods a deal accepts (DealView.paymentMethods); null when the deal is unknown */
  dealMethods(dealId: string): Promise<readonly string[] | null>;
}

export interface PayRequest {
  hold: string;
  shopper: string;
  /** a name from the wire, not yet known to be a method; DefaultPaymentMethod when absent */
  method?: string;
}

export type PayOutcome =
  | { ok: true; hold: string; dealId: string; repeat: boolean; method: PaymentMethodValue }
  | { ok: false; code: PayRefusalCode };

// Long enough for a slow provider; a crashed gateway's lock lapses by itself.
const LOCK_TTL_MS = 15_000;
// A second pay of the same hold waits for the first and then answers from its outcome.
const LOCK_WAIT_MS = 10_000;
const LOCK_POLL_MS = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function offered(provider: PaymentProvider, method: string): method is PaymentMethodValue {
  return (provider.methods as readonly string[]).includes(method);
}

export async function payHold(deps: PayDeps, req: PayRequest): Promise<PayOutcome> {
  const dealId = dealIdOfHold(req.hold);
  if (!dealId) return { ok: false, code: PayRefusal.UnknownHold };
  const method = req.method ?? DefaultPaymentMethod;
  if (!offered(deps.provider, method)) return { ok: false, code: PayRefusal.UnknownMethod };
  const accepted = await deps.dealMethods(dealId);
  if (!accepted) return { ok: false, code: PayRefusal.UnknownHold };
  if (!accepted.includes(method)) return { ok: false, code: PayRefusal.MethodNotAllowed };
  const token = randomUUID();
  const deadline = Date.now() + LOCK_WAIT_MS;
  while (!(await deps.stock.takePayLock(dealId, req.hold, token, LOCK_TTL_MS))) {
    if (Date.now() > deadline) return { ok: false, code: PayRefusal.Unavailable };
    await sleep(LOCK_POLL_MS);
  }
  try {
    return await payLocked(deps, req.hold, req.shopper, dealId, method);
  } finally {
    await deps.stock.releasePayLock(dealId, req.hold, token).catch(() => {});
  }
}

async function payLocked(deps: PayDeps, hold: string, shopper: string, dealId: string, method: PaymentMethodValue): Promise<PayOutcome> {
  const { stock, provider } = deps;
  const rec = await stock.readHold(hold);
  if (!rec || rec.shopper !== shopper) return { ok: false, code: PayRefusal.UnknownHold };
  // a repeat answers with the method of this request: the first one's is in the payment row
  if (rec.state === 'paid') return { ok: true, hold, dealId, repeat: true, method };
  if (rec.state === 'expired' || (await stock.now(dealId)) >= rec.expiresAt) {
    return { ok: false, code: PayRefusal.HoldExpired };
  }
  const deal = await stock.readDeal(dealId);
  if (!deal) return { ok: false, code: PayRefusal.Unavailable };

  const amountMinor = rec.qty * deal.unitPriceMinor;
  const charge = await provider.charge({ hold, shopper, amountMinor, currency: deal.currency, method });
  if (!charge.ok) return { ok: false, code: PayRefusal.PaymentDeclined };
  // From here until the settlement is queued, the charge is in the journal: if this process
  // dies, the reconciler confirms and settles it, or refunds it (admission/charge-journal.ts).
  const entry = { hold, shopper, ref: charge.ref, provider: provider.name, method, amountMinor, currency: deal.currency, at: Date.now() };
  try {
    await stock.recordCharge(dealId, entry);
  } catch (err) {
    await provider.refund(charge.ref);
    throw err;
  }

  const confirmed = await stock.confirmPayment(hold, shopper);
  if (!confirmed.ok || confirmed.repeat) {
    // The hold ran out between our check and the confirm (or, lock lapsed, someone else paid it):
    // this charge bought nothing, give it back.
    await provider.refund(charge.ref);
    await stock.clearCharge(dealId, entry);
    return confirmed.ok ? { ok: true, hold, dealId, repeat: true, method } : { ok: false, code: confirmed.code };
  }
  // Redis now says paid; from here the sale stands. If queueing fails the caller sees an
  // error, a retry answers "paid" (repeat), and the reconciler finds the paid hold without a
  // payment row. The queue's connection waits for Redis as long as it takes (BullMQ needs
  // that); the shopper does not: past the bound the add stays queued there and lands when
  // Redis is back (idempotent by hold), and the charge stays in the journal until then.
  await withTimeout(deps.admission.settlePayment({
    hold, dealId, shopper, qty: confirmed.qty, unitPriceMinor: confirmed.unitPriceMinor,
    currency: confirmed.currency, heldAt: confirmed.heldAt, expiresAt: confirmed.expiresAt,
    provider: provider.name, providerRef: charge.ref, method, paidAt: await stock.now(dealId),
  }), deps.config.redisTimeoutMs, 'settle payment');
  await stock.clearCharge(dealId, entry);
  return { ok: true, hold, dealId, repeat: false, method };
}
