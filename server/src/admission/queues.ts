// The three admission queues of each shard (shards.ts), their job shapes and the gateway-side
// `Admission` that feeds them.
// Job ids are derived from the hold id, so adding the same hold twice (a gateway retry, a
// reconciler re-admit) is a no-op while the first job still exists, and a harmless
// `ON CONFLICT DO NOTHING` after it was removed. The reconciler's later tries at a hold get ids
// of their own (jobId.readmit): writing a row twice is harmless, waiting on a dead job is not.
import { Queue, type JobsOptions } from 'bullmq';
import type { RedisClient } from '../redis.ts';
import type { Config } from '../config.ts';
import type { OrderRow } from '../db/orders-repo.ts';
import type { ExpiryBatchJob, ExpiryJob } from './expiry/expiry-jobs.ts';
import { queuePrefix, shardOfDeal } from './shards.ts';

export type { ExpiryBatchJob, ExpiryJob } from './expiry/expiry-jobs.ts';

export const QueueName = {
  orders: 'orders',
  expiry: 'expiry',
  payments: 'payments',
} as const;
export type QueueNameValue = (typeof QueueName)[keyof typeof QueueName];

/** A fresh hold, to be persisted as a pending order: exactly the order row the worker writes. */
export type OrderJob = OrderRow;

/** New holds a gateway made within one admission window (any deals of one admission shard),
 *  admitted as ONE job (one BullMQ Lua call instead of one per hold: BullMQ's per-job cost is
 *  what limits admission).
 *  Packed: the holds of one grab batch share their deal, price, currency, heldAt
 *  and expiresAt, so a group writes those once and its holds as three parallel arrays. A row per
 *  hold repeated all eight fields and their names (several times the bytes per hold),
 *  paid for in the gateway's JSON.stringify, in Redis (the job is stored, and kept a while once
 *  completed) and in the worker's JSON.parse. */
export interface OrderGroupsJob {
  groups: OrderGroup[];
}

export interface OrderGroup {
  dealId: string;
  unitPriceMinor: number;
  currency: string;
  heldAt: number;
  expiresAt: number;
  holds: string[];
  shoppers: string[];
  qty: number[];
}

/** What the orders queue carries: one hold (a window of one, or reconcile's re-admit,
 *  readmit.ts) or a window's holds, packed. */
export type OrderQueueJob = OrderJob | OrderGroupsJob;

/** The group a hold with these shared fields joins: the last one when they match, else a new
 *  one at the end (consecutive holds only: the order of the holds is kept, so a job's first
 *  hold, which names it, stays first). */
export function groupFor(groups: OrderGroup[], f: Omit<OrderGroup, 'holds' | 'shoppers' | 'qty'>): OrderGroup {
  const last = groups[groups.length - 1];
  if (last && last.dealId === f.dealId && last.unitPriceMinor === f.unitPriceMinor && last.currency === f.currency
    && last.heldAt === f.heldAt && last.expiresAt === f.expiresAt) return last;
  const g: OrderGroup = {
    dealId: f.dealId, unitPriceMinor: f.unitPriceMinor, currency: f.currency, heldAt: f.heldAt, expiresAt: f.expiresAt,
    holds: [], shoppers: [], qty: [],
  };
  groups.push(g);
  return g;
}

/** Order rows, in order, packed into groups. */
export function packOrderGroups(rows: readonly OrderJob[]): OrderGroupsJob {
  const groups: OrderGroup[] = [];
  for (const r of rows) {
    const g = groupFor(groups, r);
    g.holds.push(r.hold);
    g.shoppers.push(r.shopper);
    g.qty.push(r.qty);
  }
  return { groups };
}

/** The order rows of an order job, in the order they were admitted. Throws on a packed
 *  group whose arrays disagree (a job no gateway writes: it fails and stays for inspection). */
export function orderRowsOfJob(data: OrderQueueJob): OrderJob[] {
  if ('groups' in data) {
    const rows: OrderJob[] = [];
    for (const g of data.groups) {
      if (g.shoppers.length !== g.holds.length || g.qty.length !== g.holds.length) {
        throw new Error(`order job: group of deal ${g.dealId} has ${g.holds.length} holds, ${g.shoppers.length} shoppers, ${g.qty.length} quantities`);
      }
      for (let i = 0; i < g.holds.length; i++) {
        rows.push({
          hold: g.holds[i]!, dealId: g.dealId, shopper: g.shoppers[i]!, qty: g.qty[i]!,
          unitPriceMinor: g.unitPriceMinor, currency: g.currency, heldAt: g.heldAt, expiresAt: g.expiresAt,
        });
      }
    }
    return rows;
  }
  return [data];
}

/** A hold confirmed as paid in Redis, to be settled in Postgres. */
export interface PaymentJob extends OrderJob {
  provider: string;
  providerRef: string;
  paidAt: number;
  /** absent in jobs queued before payment methods */
  method?: string;
}

export const jobId = {
  order: (hold: string) => hold,
  /** The reconciler's n-th try at a hold that has no order row: n = 0 is the hold's own id;
   *  later tries get ids of their own, because the job under the hold's id may be one BullMQ
   *  will not run again soon (active under a dead worker's lock, or finished). */
  readmit: (hold: string, n: number) => (n === 0 ? hold : `r${n}-${hold}`),
  /** A batch is named by its first hold: the gateway that made a hold admits it in exactly one
   *  batch, so no two batches share a first hold, a re-add of the same batch is no duplicate,
   *  and removing the job by its first hold's id (as for a single hold) still works. */
  orderBatch: (holds: readonly { hold: string }[]) => holds[0]!.hold,
  /** the expiries of one admitted order job (single or batch), for one deal */
  expiryBatch: (orderJobId: string, dealId: string) => `x-${orderJobId}-d${dealId}`,
  expiry: (hold: string) => `x-${hold}`,
  /** The reconciler's n-th try at an overdue hold's expiry: n = 0 is the hold's own expiry id;
   *  later tries get ids of their own, as for jobId.readmit. */
  reexpiry: (hold: string, n: number) => (n === 0 ? `x-${hold}` : `x${n}-${hold}`),
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

/** The three queues of one admission shard (shards.ts), all under the shard's hash tag. */
export interface ShardQueues {
  readonly shard: number;
  readonly orders: Queue<OrderQueueJob>;
  readonly expiry: Queue<ExpiryJob | ExpiryBatchJob>;
  readonly payments: Queue<PaymentJob>;
}

/** Every shard's queues on one connection (a Queue adds and reads; it blocks on nothing). */
export class AdmissionQueues {
  readonly shards: readonly ShardQueues[];

  constructor(config: Pick<Config, 'keyPrefix' | 'admissionShards'>, connection: RedisClient) {
    const count = config.admissionShards;
    this.shards = Array.from({ length: count }, (_, shard) => {
      const opts = { connection, prefix: queuePrefix(config.keyPrefix, shard, count), defaultJobOptions: jobDefaults };
      return {
        shard,
        orders: new Queue<OrderQueueJob>(QueueName.orders, opts),
        expiry: new Queue<ExpiryJob | ExpiryBatchJob>(QueueName.expiry, opts),
        payments: new Queue<PaymentJob>(QueueName.payments, opts),
      };
    });
  }

  /** The queues every job about this deal's holds is in. */
  forDeal(dealId: string): ShardQueues {
    return this.shards[shardOfDeal(dealId, this.shards.length)]!;
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.flatMap((s) => [s.orders.close(), s.expiry.close(), s.payments.close()]));
  }
}

export function createQueues(config: Pick<Config, 'keyPrefix' | 'admissionShards'>, connection: RedisClient): AdmissionQueues {
  return new AdmissionQueues(config, connection);
}

export class Admission {
  readonly queues: AdmissionQueues;

  constructor(config: Pick<Config, 'keyPrefix' | 'admissionShards'>, connection: RedisClient) {
    this.queues = new AdmissionQueues(config, connection);
  }

  /** Order rows as packed jobs (see admit). */
  async admitHolds(rows: readonly OrderJob[]): Promise<void> {
    await this.admit(packOrderGroups(rows));
  }

  /** The holds of one admission window as ONE packed job per shard their deals map to, added
   *  together (one hold: the classic one-job-per-hold shape, which the reconciler also uses to
   *  re-admit a single hold). */
  async admit(job: OrderGroupsJob): Promise<void> {
    const byShard = new Map<ShardQueues, OrderGroup[]>();
    for (const g of job.groups) {
      const q = this.queues.forDeal(g.dealId);
      const groups = byShard.get(q);
      if (groups) groups.push(g);
      else byShard.set(q, [g]);
    }
    await Promise.all([...byShard].map(([q, groups]) => addOrderJob(q, { groups })));
  }

  async settlePayment(data: PaymentJob): Promise<void> {
    await this.queues.forDeal(data.dealId).payments.add('pay', data, { jobId: jobId.payment(data.hold) });
  }

  close(): Promise<void> {
    return this.queues.close();
  }
}

/** One shard's part of a window: its groups keep their order, so its first hold names it. */
async function addOrderJob(q: ShardQueues, job: OrderGroupsJob): Promise<void> {
  const first = job.groups[0];
  if (!first) return;
  if (job.groups.length === 1 && first.holds.length === 1) {
    const row = orderRowsOfJob(job)[0]!;
    await q.orders.add('order', row, { jobId: jobId.order(row.hold) });
    return;
  }
  if (first.holds.length === 0) throw new Error('admit: an empty group cannot name its job');
  await q.orders.add('orders', job, { jobId: jobId.orderBatch([{ hold: first.holds[0]! }]) });
}
