// Reconcile: Redis (the hot truth of counters and holds) against Postgres (the record), for
// every deal warmed into Redis or in play by Postgres. It re-creates deals (or stock buckets)
// whose hash Redis lost from Postgres (lost-deals.ts), checks the stock invariants and the
// balance of the deal's stock ledger (ledger-check.ts), re-admits holds whose order never
// reached Postgres, re-queues expiries that were lost, settles orders whose hold Redis lost in
// a failover (lost-holds.ts), and reports paid holds the payments worker has not settled yet.
// Run by the scheduler leader on a timer, and once by `npm run reconcile`.
import type { RedisClient } from '../redis.ts';
import type pg from 'pg';
import type { Logger } from '../logger.ts';
import { StockStore, type BucketSnapshot, type DealSnapshot } from '../stock/stock-store.ts';
import { isCluster, redisNow } from '../redis.ts';
import { createQueues, type AdmissionQueues, type OrderJob } from '../admission/queues.ts';
import { defaultAdmissionShards } from '../config.ts';
import { requeueOverdueExpiries } from '../admission/expiry/index.ts';
import { readmitHold } from '../admission/readmit.ts';
import { recoverCharges } from '../admission/charge-journal.ts';
import type { PaymentProvider } from '../admission/payments.ts';
import { listDealsInPlay, listEndedDeals, refreshFinalCounters } from '../db/deals-repo.ts';
import { checkLedger, type LedgerViolationKind } from './ledger-check.ts';
import { emptyLostHolds, settleLostHolds, type LostHoldsReport } from './lost-holds.ts';
import { emptyLostDeals, restoreLostDeal, type LostDealsReport } from './lost-deals.ts';

export interface Violation {
  dealId: string;
  kind: 'counters' | 'negative' | 'holds_sum' | 'per_shopper_sum' | 'over_limit' | 'missing_fields' | 'bucket_shares'
    | 'hold_id_reused' | LedgerViolationKind;
  detail: string;
}

export interface DealReconcile {
  dealId: string;
  stock: number;
  available: number;
  held: number;
  sold: number;
  holds: number;
  /** Postgres: order rows, and units in the stock ledger by reason (see ledger-check.ts) */
  orders: number;
  ledgerHold: number;
  ledgerSale: number;
  ledgerRelease: number;
}

export interface ReconcileReport {
  /** warm deals checked */
  deals: number;
  /** holds seen across them */
  holds: number;
  /** invariant violations (see `details`) */
  violations: number;
  details: Violation[];
  /** held/paid holds with no order row, put back on the orders queue */
  readmitted: number;
  /** overdue unpaid holds (or released ones whose order is still pending) with no pending
   *  expiry job under their ids, re-queued */
  reexpired: number;
  /** expired holds with no order row at all (nothing to cancel; reported only) */
  expiredWithoutOrder: number;
  /** pending or paid orders whose hold Redis lost (a failover), and how they were settled */
  lostHolds: LostHoldsReport;
  /** deals whose hash or a stock bucket's hash Redis lost, re-created from Postgres */
  lostDeals: LostDealsReport;
  /** holds paid in Redis whose order row is not 'paid' yet (the payments worker settles them) */
  paidNotSettled: number;
  /** ended deals whose every hold is settled, dropped from the set reconcile walks */
  retired: number;
  /** ended deals whose final counters were rewritten */
  finalsRefreshed: number;
  /** stock moves between a deal's buckets that a dead mover left open, finished (credited once
   *  and closed: stock/stock-moves.ts) */
  movesFinished: number;
  /** provider charges a dead payer left behind: confirmed + settled, settled, or refunded
   *  (only when a provider is given; see admission/charge-journal.ts) */
  charges: { confirmed: number; settled: number; refunded: number };
  perDeal: DealReconcile[];
  durationMs: number;
}

export interface ReconcileDeps {
  redis: RedisClient;
  pool: pg.Pool;
  keyPrefix: string;
  logger?: Logger;
  /** queues to re-admit into (a hold's jobs are in its deal's shard); created (and closed) for
   *  this run when absent */
  queues?: Pick<AdmissionQueues, 'forDeal'>;
  /** ADMISSION_SHARDS, for the queues created when none are given (default: the config's
   *  default for this kind of Redis) */
  admissionShards?: number;
  /** finishes half-done payments (charge journal); without it they are left for a run with one */
  provider?: PaymentProvider;
  /** a charge journal entry younger than this may still have its payer at work (default 30 s) */
  chargeGraceMs?: number;
  /** an ended deal whose holds are all settled leaves the warm set this long after its end
   *  (default 1 h); its keys stay, so late lookups by hold or rid still answer */
  retireAfterMs?: number;
  /** the leader's fencing token; without it the run writes nothing to Postgres */
  fence?: number;
  /** a hold younger than this is left to the gateway's own admission (default 3 s) */
  admitGraceMs?: number;
  /** an unpaid hold this long past its expiry counts as lost (default 5 s) */
  expiryGraceMs?: number;
  /** stop early (the leader lost its lock) */
  signal?: AbortSignal;
  /** STOCK_BUCKET_UNITS, for a lost deal with no bucket and no order left (default 0) */
  stockBucketUnits?: number;
}

const LOOKUP_CHUNK = 5_000;

/** The order rows of these holds: status, and the shopper (a hold id issued again after a
 *  failover lost the first hold belongs to another shopper than its order). */
async function orderStatuses(pool: pg.Pool, holds: readonly string[]):
  Promise<{ statuses: Map<string, string>; shoppers: Map<string, string> }> {
  const statuses = new Map<string, string>();
  const shoppers = new Map<string, string>();
  for (let i = 0; i < holds.length; i += LOOKUP_CHUNK) {
    const { rows } = await pool.query<{ hold_id: string; status: string; shopper_id: string }>(
      'SELECT hold_id, status, shopper_id FROM orders WHERE hold_id = ANY($1::text[])', [holds.slice(i, i + LOOKUP_CHUNK)]);
    for (const r of rows) {
      statuses.set(r.hold_id, r.status);
      shoppers.set(r.hold_id, r.shopper_id);
    }
  }
  return { statuses, shoppers };
}

/** The invariants of a deal: of each of its stock buckets on its own (a bucket's `stock` is its
 *  share), and of the buckets together (their shares and the units in flight between them make
 *  the deal's stock). */
function checkInvariants(dealId: string, s: DealSnapshot): { violations: Violation[]; counters: DealReconcile | null } {
  if (s.buckets.length <= 1) return checkBucket(dealId, s, '');
  const v: Violation[] = [];
  let shares = 0;
  for (const b of s.buckets) {
    v.push(...checkBucket(dealId, b, ` (bucket ${b.deal.bucket})`).violations);
    shares += b.deal.stock;
  }
  if (s.buckets.length !== s.deal.buckets) {
    v.push({ dealId, kind: 'missing_fields', detail: `${s.buckets.length} of ${s.deal.buckets} stock buckets in Redis` });
  }
  if (shares + s.inFlight !== s.deal.stock) {
    v.push({ dealId, kind: 'bucket_shares', detail: `bucket shares ${shares} + in flight ${s.inFlight} != stock ${s.deal.stock}` });
  }
  const { stock, available, held, sold } = s.deal;
  return {
    violations: v,
    counters: v.some((x) => x.kind === 'missing_fields') ? null
      : { dealId, stock, available, held, sold, holds: s.holds.length, orders: 0, ledgerHold: 0, ledgerSale: 0, ledgerRelease: 0 },
  };
}

function sharesAddUp(s: DealSnapshot): boolean {
  return s.buckets.reduce((n, b) => n + b.deal.stock, 0) + s.inFlight === s.deal.stock;
}

function checkBucket(dealId: string, s: Pick<BucketSnapshot, 'deal' | 'holds' | 'perShopper'>, where: string): { violations: Violation[]; counters: DealReconcile | null } {
  const v: Violation[] = [];
  const { stock, available, held, sold, limit } = s.deal;
  if (![stock, available, held, sold, limit].every(Number.isInteger)) {
    v.push({ dealId, kind: 'missing_fields', detail: `stock=${stock} available=${available} held=${held} sold=${sold}${where}` });
    return { violations: v, counters: null };
  }
  if (available < 0 || held < 0 || sold < 0) {
    v.push({ dealId, kind: 'negative', detail: `available=${available} held=${held} sold=${sold}${where}` });
  }
  if (sold + held + available !== stock) {
    v.push({ dealId, kind: 'counters', detail: `sold ${sold} + held ${held} + available ${available} = ${sold + held + available} != stock ${stock}${where}` });
  }
  let heldSum = 0; let soldSum = 0;
  for (const h of s.holds) {
    if (h.state === 'held') heldSum += h.qty;
    else if (h.state === 'paid') soldSum += h.qty;
  }
  if (heldSum !== held || soldSum !== sold) {
    v.push({ dealId, kind: 'holds_sum', detail: `holds say held ${heldSum} sold ${soldSum}; counters say held ${held} sold ${sold}${where}` });
  }
  let perSum = 0;
  for (const [shopper, raw] of Object.entries(s.perShopper)) {
    const n = Number(raw);
    perSum += n;
    if (n > limit) v.push({ dealId, kind: 'over_limit', detail: `shopper ${shopper} has ${n} > limit ${limit}${where}` });
  }
  if (perSum !== held + sold) {
    v.push({ dealId, kind: 'per_shopper_sum', detail: `per-shopper counts sum to ${perSum}, held + sold = ${held + sold}${where}` });
  }
  return {
    violations: v,
    counters: { dealId, stock, available, held, sold, holds: s.holds.length, orders: 0, ledgerHold: 0, ledgerSale: 0, ledgerRelease: 0 },
  };
}

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileReport> {
  const started = Date.now();
  const stock = new StockStore(deps.redis, deps.keyPrefix);
  const admitGraceMs = deps.admitGraceMs ?? 3_000;
  const expiryGraceMs = deps.expiryGraceMs ?? 5_000;
  const ownQueues = deps.queues ? null : createQueues({
    keyPrefix: deps.keyPrefix, admissionShards: deps.admissionShards ?? defaultAdmissionShards(isCluster(deps.redis)),
  }, deps.redis);
  const queues = deps.queues ?? ownQueues!;
  const report: ReconcileReport = {
    deals: 0, holds: 0, violations: 0, details: [], readmitted: 0, reexpired: 0,
    expiredWithoutOrder: 0, lostHolds: emptyLostHolds(), lostDeals: emptyLostDeals(), paidNotSettled: 0, retired: 0, finalsRefreshed: 0, movesFinished: 0,
    charges: { confirmed: 0, settled: 0, refunded: 0 }, perDeal: [], durationMs: 0,
  };
  try {
    const lostDeps = { pool: deps.pool, redis: deps.redis, stock, keyPrefix: deps.keyPrefix, logger: deps.logger };
    const lostDealDeps = { ...lostDeps, stockBucketUnits: deps.stockBucketUnits ?? 0 };
    const retireAfterMs = deps.retireAfterMs ?? 3_600_000;
    // the warm set, and what Postgres has in play: a failover or flush can lose a deal's warm-set
    // entry with its hash
    const listed = new Set(await stock.warmDealIds());
    const clock = await redisNow(deps.redis);
    const inPlay = (await listDealsInPlay(deps.pool, clock, clock - retireAfterMs)).map((d) => d.id);
    const dealIds = [...new Set([...listed, ...inPlay])].sort((a, b) => Number(a) - Number(b));
    const counters = new Map<string, DealReconcile>();
    for (const dealId of dealIds) {
      if (deps.signal?.aborted) break;
      const lost = await restoreLostDeal(lostDealDeps, dealId, report.lostDeals);
      if (lost === 'deferred') continue;
      if (!listed.has(dealId)) {
        if (lost === 'restored') report.lostDeals.unlisted++;
        else if (lost === 'intact') await stock.markWarm(dealId);
      }
      // first the moves a dead mover left open, so the snapshot has no units in flight but
      // those of movers at work now
      const finished = await stock.finishMoves(dealId);
      if (finished > 0) {
        report.movesFinished += finished;
        deps.logger?.warn({ deal: dealId, moves: finished }, 'reconcile: finished stock moves left open');
      }
      let snap = await stock.snapshotDeal(dealId);
      // a move at work between the reads of two buckets shows its units twice or nowhere: read again
      for (let i = 0; snap && i < 2 && !sharesAddUp(snap); i++) snap = await stock.snapshotDeal(dealId);
      if (!snap) {
        // its hash is gone and Postgres has no such deal to restore it from
        await settleLostHolds(lostDeps, dealId, null, 0, report.lostHolds);
        continue;
      }
      report.deals++;
      report.holds += snap.holds.length;
      const checked = checkInvariants(dealId, snap);
      const ledger = await checkLedger(deps.pool, dealId);
      for (const v of [...checked.violations, ...ledger.violations]) {
        report.details.push(v);
        deps.logger?.error({ deal: dealId, kind: v.kind, detail: v.detail }, 'reconcile: stock invariant violated');
      }
      if (checked.counters) {
        const b = ledger.balance;
        Object.assign(checked.counters, { orders: b.orders, ledgerHold: b.holdUnits, ledgerSale: b.saleUnits, ledgerRelease: b.releaseUnits });
        counters.set(dealId, checked.counters);
        report.perDeal.push(checked.counters);
      }

      const now = await stock.now(dealId);
      const shard = queues.forDeal(dealId);
      const { statuses, shoppers } = await orderStatuses(deps.pool, snap.holds.map((h) => h.hold));
      let matched = 0;
      for (const h of snap.holds) {
        const status = statuses.get(h.hold);
        if (status === undefined) continue;
        if (shoppers.get(h.hold) !== h.shopper) {
          const v: Violation = { dealId, kind: 'hold_id_reused', detail: `hold ${h.hold} is ${h.shopper}'s in Redis, its order ${shoppers.get(h.hold)}'s` };
          report.details.push(v);
          deps.logger?.error({ deal: dealId, hold: h.hold, detail: v.detail }, 'reconcile: a lost hold\'s id was issued again');
        } else if (status === 'pending' || status === 'paid') matched++;
      }
      await settleLostHolds(lostDeps, dealId, snap, matched, report.lostHolds);
      const { unitPriceMinor, currency } = snap.deal;
      for (const h of snap.holds) {
        if (deps.signal?.aborted) break;
        const status = statuses.get(h.hold);
        if (status === undefined) {
          if (h.state === 'expired') { report.expiredWithoutOrder++; continue; }
          if (now - h.heldAt < admitGraceMs) continue;
          const job: OrderJob = {
            hold: h.hold, dealId, shopper: h.shopper, qty: h.qty, unitPriceMinor, currency,
            heldAt: h.heldAt, expiresAt: h.expiresAt,
          };
          if (await readmitHold(shard.orders, job, deps.logger)) {
            report.readmitted++;
            deps.logger?.warn({ hold: h.hold, deal: dealId }, 'reconcile: hold had no order row, re-admitted');
          }
        }
        if (h.state === 'paid' && status !== 'paid') report.paidNotSettled++;
      }

      if (deps.provider && !deps.signal?.aborted) {
        const r = await recoverCharges({
          pool: deps.pool, stock, provider: deps.provider,
          payments: shard.payments, logger: deps.logger, graceMs: deps.chargeGraceMs,
        }, dealId, now);
        report.charges.confirmed += r.confirmed;
        report.charges.settled += r.settled;
        report.charges.refunded += r.refunded;
      }

      // Without this the warm set only grows and every run re-reads every deal ever sold.
      // Only the leader retires (it alone runs with a fence), and only a deal with nothing left
      // to do: ended long enough ago, nothing held, every hold's order final, no charge pending.
      if (deps.fence !== undefined && now > snap.deal.endsAt + retireAfterMs
        && snap.deal.held === 0
        && snap.holds.every((h) => statuses.get(h.hold) === (h.state === 'paid' ? 'paid' : 'cancelled'))
        && !(await stock.hasCharges(dealId))) {
        await stock.retireDeal(dealId);
        report.retired++;
        continue;
      }

      // Overdue holds still held, and holds Redis released whose order Postgres still has
      // pending: the expiry that released them died before its transaction (its job may
      // stay active a long while), and a run again finishes the writes.
      const dueBy = now - expiryGraceMs;
      const released = snap.holds
        .filter((h) => h.state === 'expired' && statuses.get(h.hold) === 'pending' && h.expiresAt < dueBy)
        .map((h) => h.hold);
      report.reexpired += await requeueOverdueExpiries(
        { stock, expiry: shard.expiry, logger: deps.logger, signal: deps.signal }, dealId, dueBy, released);
    }

    // Holds that expire after the close move units from held back to available: keep the
    // ended deals' final counters true. Only the leader writes (fenced).
    if (deps.fence !== undefined && !deps.signal?.aborted) {
      for (const ended of await listEndedDeals(deps.pool, [...counters.keys()])) {
        const c = counters.get(ended.id);
        if (!c || c.held + c.sold + c.available !== c.stock) continue;
        const f = ended.final;
        if (f && f.held === c.held && f.sold === c.sold && f.available === c.available) continue;
        if (await refreshFinalCounters(deps.pool, ended.id, deps.fence, { held: c.held, sold: c.sold, available: c.available })) {
          report.finalsRefreshed++;
        }
      }
    }
  } finally {
    if (ownQueues) await ownQueues.close();
  }
  report.violations = report.details.length;
  report.durationMs = Date.now() - started;
  return report;
}
