// One Prometheus registry per process (never prom-client's global one: tests run several
// engines in one process). Hot-path code calls the small methods here; values owned elsewhere
// (admission stats, queue depth, sockets, leadership) are read when /metrics is scraped.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { AdmissionStats } from '../admission/deps.ts';
import { HotHistogram } from './hot-histogram.ts';
import { LatencyWindow } from './latency-window.ts';
import { readQueueDepths, type QueueSet } from './queue-depths.ts';

export type Store = 'redis' | 'postgres';

export type { QueueSet } from './queue-depths.ts';

export class ProcessMetrics {
  readonly registry = new Registry();
  /** the last ~10 s of grab latencies, for p50/p99 on the ops board (the histogram has buckets only) */
  readonly latency = new LatencyWindow();
  readonly grabCounts = new Map<string, number>();
  private readonly grabLatency: HotHistogram;
  private readonly dropped: Counter<'kind'>;
  private readonly published: Counter<'kind'>;
  private readonly storeErrors: Counter<'store'>;
  private readonly replicaShortfalls: Counter;
  private sockets: () => { shoppers: number; ops: number } = () => ({ shoppers: 0, ops: 0 });
  private admissionStats: AdmissionStats | null = null;
  private queues: QueueSet | null = null;
  private leader: (() => boolean) | null = null;
  private clockSkew: (() => number) | null = null;
  droppedTotal = 0;

  constructor(role: string) {
    const registry = this.registry;
    registry.setDefaultLabels({ role });
    collectDefaultMetrics({ register: registry, prefix: 'flashfest_' });
    const self = this;
    // Counted per grab in grabCounts and read at scrape time: a prom-client counter child's
    // inc() hashes its labels on every call, once per grab on the hottest path.
    new Counter({
      name: 'flashfest_grabs_total', help: 'Grabs answered by this gateway, by result (held or the refusal code)', labelNames: ['result'], registers: [registry],
      collect() {
        this.reset();
        for (const [result, n] of self.grabCounts) this.inc({ result }, n);
      },
    });
    // observed once per grab: HotHistogram allocates nothing per observation
    this.grabLatency = new HotHistogram('flashfest_grab_latency_seconds', 'Time from a grab frame to its answer on this gateway',
      [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registry);
    this.dropped = new Counter({ name: 'flashfest_ws_dropped_messages_total', help: 'Live messages skipped for sockets over the backpressure threshold, by kind', labelNames: ['kind'], registers: [registry] });
    this.published = new Counter({ name: 'flashfest_live_published_total', help: 'Live messages published (one per topic publish, not per socket), by kind', labelNames: ['kind'], registers: [registry] });
    this.storeErrors = new Counter({ name: 'flashfest_store_errors_total', help: 'Redis and Postgres errors seen by this process', labelNames: ['store'], registers: [registry] });
    this.replicaShortfalls = new Counter({
      name: 'flashfest_grab_replica_shortfalls_total', registers: [registry],
      help: 'Grabs answered unavailable because fewer than GRAB_WAIT_REPLICAS replicas confirmed their batch within GRAB_WAIT_MS',
    });
    new Gauge({
      name: 'flashfest_ws_connections', help: 'Open WebSockets on this gateway', labelNames: ['kind'], registers: [registry],
      collect() {
        const s = self.sockets();
        this.set({ kind: 'shopper' }, s.shoppers);
        this.set({ kind: 'ops' }, s.ops);
      },
    });
    // Counters mirrored from AdmissionStats: increase by what changed since the last scrape.
    const mirror = (name: string, help: string, read: (s: AdmissionStats) => number) => {
      let seen = 0;
      new Counter({
        name, help, registers: [registry],
        collect() {
          const s = self.admissionStats;
          if (!s) return;
          const v = read(s);
          if (v > seen) this.inc(v - seen);
          seen = v;
        },
      });
    };
    mirror('flashfest_orders_persisted_total', 'Order rows this worker inserted into Postgres', (s) => s.ordersWritten);
    mirror('flashfest_order_batches_total', 'Order batches this worker wrote', (s) => s.orderBatches);
    mirror('flashfest_holds_expired_total', 'Unpaid holds this worker expired (stock given back)', (s) => s.holdsReleased);
    mirror('flashfest_payments_settled_total', 'Payments this worker settled in Postgres', (s) => s.paymentsSettled);
    new Gauge({
      name: 'flashfest_queue_depth', help: 'BullMQ jobs by queue, admission shard and state (read from Redis at scrape time)',
      labelNames: ['queue', 'shard', 'state'], registers: [registry],
      async collect() {
        const q = self.queues;
        if (!q) return;
        try {
          for (const { queue, shard, depth } of await readQueueDepths(q)) {
            for (const [state, n] of Object.entries(depth)) this.set({ queue, shard: String(shard), state }, n);
          }
        } catch {
          self.storeError('redis');
        }
      },
    });
    new Gauge({
      name: 'flashfest_redis_clock_skew_ms', help: 'how far apart the Redis masters\' clocks are (0 on a single Redis), as this gateway last measured', registers: [registry],
      collect() {
        if (self.clockSkew) this.set(self.clockSkew());
      },
    });
    new Gauge({
      name: 'flashfest_scheduler_leader', help: '1 while this scheduler leads, else 0', registers: [registry],
      collect() {
        if (self.leader) this.set(self.leader() ? 1 : 0);
      },
    });
  }

  /** A grab answered with `result` ('held' or a refusal code) after `ms`. */
  grab(result: string, ms: number): void {
    this.grabCounts.set(result, (this.grabCounts.get(result) ?? 0) + 1);
    this.grabLatency.observe(ms / 1000);
    this.latency.add(ms);
  }

  droppedMessages(kind: string, n: number): void {
    if (n <= 0) return;
    this.droppedTotal += n;
    this.dropped.inc({ kind }, n);
  }

  publishedMessage(kind: string): void {
    this.published.inc({ kind });
  }

  storeError(store: Store): void {
    this.storeErrors.inc({ store });
  }

  /** `grabs` answered unavailable: their batch was not on enough replicas in time */
  replicaShortfall(grabs: number): void {
    this.replicaShortfalls.inc(grabs);
  }

  watchSockets(read: () => { shoppers: number; ops: number }): void {
    this.sockets = read;
  }

  watchAdmission(stats: AdmissionStats): void {
    this.admissionStats = stats;
  }

  watchQueues(queues: QueueSet): void {
    this.queues = queues;
  }

  watchClockSkew(skewMs: () => number): void {
    this.clockSkew = skewMs;
  }

  watchLeadership(isLeader: () => boolean): void {
    this.leader = isLeader;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
