// The three admission queues, their job shapes and the gateway-side `Admission` that feeds them.
// Job ids are derived from the hold id, so adding the same hold twice (a gateway retry, a
// reconciler re-admit) is a no-op while the first job still exists, and a harmless
// `ON CONFLICT DO NOTHING` after it was removed.
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { OrderRow } from '../db/orders-repo.ts';

export const QueueName = {
  orders: 'orders',
  expiry: 'expiry',
  payments: 'payments',
} as const;
export type QueueNameValue = (typeof QueueName)[keyof typeof QueueName];

/** A fresh hold, to be persisted as a pending order: exactly the order row the worker writes. */
export type OrderJob = OrderRow;

/** New holds a gateway made within one admission window (any deals), admitted as ONE job (one
 *  BullMQ Lua call instead of one per hold: BullMQ's per-job cost was what held admission to
 *  ~3k orders/s). */
export interface OrderBatchJob {
  holds: OrderJob[];
}

/** Give an unpaid hold's stock back once its time is up. */
export interface ExpiryJob {
  hold: string;
  dealId: string;
}

/** The holds of one admitted batch (one deal), expired together: a grab batch's holds share
 *  their expiresAt, so one delayed job does what one per hold did. */
export interface ExpiryBatchJob {
  dealId: string;
  holds: string[];
}

/** A hold confirmed as paid in Redis, to be settled in Postgres. */
export interface PaymentJob extends OrderJob {
  provider: string;
  providerRef: string;
  paidAt: number;
}

export const jobId = {
  order: (hold: string) => hold,
  /** A batch is named by its first hold: the gateway that made a hold admits it in exactly one
   *  batch, so no two batches share a first hold, a re-add of the same batch is no duplicate,
   *  and removing the job by its first hold's id (as for a single hold) still works. */
  orderBatch: (holds: readonly { hold: string }[]) => holds[0]!.hold,
  /** the expiries of one admitted order job (single or batch), for one deal */
  expiryBatch: (orderJobId: string, dealId: string) => `x-${orderJobId}-d${dealId}`,
  expiry: (hold: string) => `x-${hold}`,
  payment: (hold: string) => `p-${hold}`,
} as const;

// Postgres being down for a minute must not fail an order for good: retry with backoff for
// well over that (200ms * 2^n, 12 attempts ~ 14 min). Completed jobs carry nothing worth
// keeping once written; failed ones stay a week for inspection and re-drive.
const jobDefaults: JobsOptions = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 200 },
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: { age: 7 * 86_400 },
};

export function createQueues(config: Pick<Config, 'keyPrefix'>, connection: Redis) {
  const opts = { connection, prefix: config.keyPrefix, defaultJobOptions: jobDefaults };
  return {
    orders: new Queue<OrderJob>(QueueName.orders, opts),
    expiry: new Queue<ExpiryJob>(QueueName.expiry, opts),
    payments: new Queue<PaymentJob>(QueueName.payments, opts),
  };
}
export type AdmissionQueues = ReturnType<typeof createQueues>;

export class Admission {
  readonly queues: AdmissionQueues;

  constructor(config: Pick<Config, 'keyPrefix'>, connection: Redis) {
    this.queues = createQueues(config, connection);
  }

  /** All holds of one admission window as ONE job (one hold: the classic one-job-per-hold
   *  shape, which the reconciler also uses to re-admit a single hold). */
  async admitHolds(jobs: readonly OrderJob[]): Promise<void> {
    if (jobs.length === 0) return;
    if (jobs.length === 1) {
      await this.queues.orders.add('order', jobs[0]!, { jobId: jobId.order(jobs[0]!.hold) });
      return;
    }
    const data: OrderBatchJob = { holds: jobs as OrderJob[] };
    await (this.queues.orders as unknown as Queue<OrderBatchJob>).add('orders', data, { jobId: jobId.orderBatch(jobs) });
  }

  /** One delayed expiry job for holds of one deal admitted by one order job, due when the
   *  last of them is (a grab batch's holds share their expiresAt). Idempotent by job id. */
  async scheduleExpiryBatch(orderJobId: string, holds: readonly { hold: string; dealId: string; expiresAt: number }[]): Promise<void> {
    if (holds.length === 0) return;
    if (holds.length === 1) return this.scheduleExpiries(holds);
    const byDeal = new Map<string, { holds: string[]; due: number }>();
    for (const h of holds) {
      let g = byDeal.get(h.dealId);
      if (!g) byDeal.set(h.dealId, (g = { holds: [], due: 0 }));
      g.holds.push(h.hold);
      if (h.expiresAt > g.due) g.due = h.expiresAt;
    }
    const now = Date.now();
    const queue = this.queues.expiry as unknown as Queue<ExpiryBatchJob>;
    await queue.addBulk([...byDeal].map(([dealId, g]) => ({
      name: 'expire-batch',
      data: { dealId, holds: g.holds },
      opts: { jobId: jobId.expiryBatch(orderJobId, dealId), delay: Math.max(0, g.due - now) },
    })));
  }

  /** Schedule each hold's expiry at its expiresAt (sooner is harmless: the Lua says not_due). */
  async scheduleExpiries(holds: readonly { hold: string; dealId: string; expiresAt: number }[]): Promise<void> {
    if (holds.length === 0) return;
    const now = Date.now();
    await this.queues.expiry.addBulk(holds.map((h) => ({
      name: 'expire',
      data: { hold: h.hold, dealId: h.dealId },
      opts: { jobId: jobId.expiry(h.hold), delay: Math.max(0, h.expiresAt - now) },
    })));
  }

  async settlePayment(data: PaymentJob): Promise<void> {
    await this.queues.payments.add('pay', data, { jobId: jobId.payment(data.hold) });
  }

  async close(): Promise<void> {
    await Promise.all([this.queues.orders.close(), this.queues.expiry.close(), this.queues.payments.close()]);
  }
}
