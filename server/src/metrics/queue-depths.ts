// Depths of the admission queues, every shard's (admission/shards.ts): Prometheus shows them
// per shard, the ops board their sum. Read from Redis when asked (a scrape, the board's slow tick).
import type { Queue } from 'bullmq';
import type { QueueDepth } from '../shared/ops-view.ts';

export const QueueKinds = ['orders', 'expiry', 'payments'] as const;
export type QueueKind = (typeof QueueKinds)[number];

/** The admission queues of every shard (admission's AdmissionQueues is one). */
export interface QueueSet {
  readonly shards: readonly ({ readonly shard: number } & { readonly [K in QueueKind]: Queue })[];
}

export interface ShardQueueDepth {
  shard: number;
  queue: QueueKind;
  depth: QueueDepth;
}

/** Every queue of every shard, read at once. */
export function readQueueDepths(set: QueueSet): Promise<ShardQueueDepth[]> {
  return Promise.all(set.shards.flatMap((s) => QueueKinds.map(async (queue) => {
    const c = await s[queue].getJobCounts('waiting', 'active', 'delayed', 'failed');
    return { shard: s.shard, queue, depth: { waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 } };
  })));
}

/** Each queue's depth summed over the shards. */
export function sumOverShards(depths: readonly ShardQueueDepth[]): Record<QueueKind, QueueDepth> {
  const zero = (): QueueDepth => ({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  const out: Record<QueueKind, QueueDepth> = { orders: zero(), expiry: zero(), payments: zero() };
  for (const { queue, depth } of depths) {
    const sum = out[queue];
    sum.waiting += depth.waiting;
    sum.active += depth.active;
    sum.delayed += depth.delayed;
    sum.failed += depth.failed;
  }
  return out;
}
