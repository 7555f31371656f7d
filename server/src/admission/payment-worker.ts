// Settles a payment Redis has already confirmed: the order becomes paid (inserted if its order
// job has not run yet), the payment and the sale are booked, all in one transaction.
import { Worker, type Job } from 'bullmq';
import type { RedisClient } from '../redis.ts';
import { inTransaction, insertLedger, insertPayment, markOrderPaid, type OrderStatus } from '../db/orders-repo.ts';
import { publishShopperNews } from '../live/shopper-news.ts';
import type { AdmissionDeps } from './deps.ts';
import { QueueName, type PaymentJob } from './queues.ts';
import { shareOfConcurrency, workerOptions } from './worker-options.ts';

type SettleDeps = Pick<AdmissionDeps, 'config' | 'redis' | 'pool' | 'logger' | 'stats'>;

export async function settlePayment(deps: SettleDeps, p: PaymentJob): Promise<OrderStatus> {
  const status = await inTransaction(deps.pool, async (c) => {
    const st = await markOrderPaid(c, p, p.paidAt);
    // The money was taken either way: the payment row is a fact worth keeping even when the
    // order disagrees, so a person can refund it.
    await insertPayment(c, {
      hold: p.hold, provider: p.provider, providerRef: p.providerRef,
      amountMinor: p.qty * p.unitPriceMinor, currency: p.currency, method: p.method,
    });
    if (st === 'paid') await insertLedger(c, 'sale', [p]);
    return st;
  });
  if (status !== 'paid') {
    // The Lua scripts make "paid" and "released" exclusive, so a cancelled order here means
    // Redis and Postgres disagree. Retrying would not change that: count it and say so loudly.
    deps.stats.paidButCancelled++;
    deps.logger.error({ hold: p.hold, deal: p.dealId, status, providerRef: p.providerRef },
      'payment settled for an order Postgres has cancelled; order left cancelled, needs refund or repair');
    return status;
  }
  deps.stats.paymentsSettled++;
  await publishShopperNews(deps.redis, deps.config.keyPrefix, [
    { shopper: p.shopper, msg: { t: 'paid', hold: p.hold, deal: p.dealId } },
  ]);
  return status;
}

/** The payments worker of one admission shard. */
export function startPaymentWorker(deps: AdmissionDeps, connection: RedisClient, shard: number) {
  const worker = new Worker<PaymentJob>(QueueName.payments, (job: Job<PaymentJob>) => settlePayment(deps, job.data), {
    ...workerOptions(deps.config, connection, shard),
    concurrency: shareOfConcurrency(deps.config, 50),
  });
  return { worker };
}
