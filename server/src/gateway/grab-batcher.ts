// Micro-batching: every grab for one deal that arrives in the same event-loop turn goes to
// Redis in ONE Lua call (grab-batch-5.lua), which decides them in arrival order. Under a storm
// this turns thousands of round trips into a handful, and the order within a turn is the
// order the sockets' frames were read.
//
// The turn's end is a setImmediate, i.e. libuv's check phase, and that can be seconds away:
// libuv polls again without leaving its poll phase while the last poll returned a full batch of
// events, and uWS runs every socket's handlers inside that phase. In the chaos suite the
// sockets of a killed gateway reconnecting to the one left kept it there for seconds, every grab
// of those seconds queued here unsent (no answers at all, then a flood). So a batch also leaves
// from `add` itself once it is full or its first grab has waited FLUSH_AFTER_MS.
import type { GrabRequest, StockStore } from '../stock/stock-store.ts';
import type { GrabDecision, GrabBatchResult } from '../stock/decisions.ts';
import { RedisDownError, ReplicaShortfallError, type RedisHealth } from '../redis.ts';

/** GRAB_WAIT_REPLICAS: a batch that made holds is answered only once `replicas` replicas of the
 *  deal's master have it (WAIT, at most `ms`), so `held` survives a failover. */
export interface ReplicaWait {
  replicas: number;
  ms: number;
  /** a batch fewer replicas confirmed in time (its grabs are answered unavailable) */
  onShortfall(grabs: number): void;
}

export interface PendingGrab extends GrabRequest {
  /** the session's coarse city, for the sales ticker */
  city?: string;
  /** who gets the answer (the socket): answers to one owner in a batch are delivered together */
  owner: object;
  resolve(decision: GrabDecision, batch: GrabBatchResult): void;
  reject(err: unknown): void;
}

/** the longest a grab waits here for its turn to end before its batch leaves from `add` */
const FLUSH_AFTER_MS = 50;

export class GrabBatcher {
  private pending = new Map<string, PendingGrab[]>();
  private scheduled = false;
  /** performance.now() of the first grab queued since the last flush */
  private firstAt = 0;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly stock: StockStore,
    private readonly maxBatch: number,
    /** runs after Redis decided a batch, before anyone is answered (live counters, admission) */
    private readonly afterDecide: (dealId: string, grabs: readonly PendingGrab[], result: GrabBatchResult) => void,
    /** runs `answer`, which answers every grab of `owner` in this batch, e.g. inside one uWS
     *  cork so that they leave in ONE write: a write syscall per answer was a large share of
     *  the gateway's CPU per grab, and a page (or the bench) often has several in one batch */
    private readonly deliver: (owner: object, answer: () => void) => void = (_, answer) => answer(),
    /** when given: while Redis is known down, batches are refused at once, not sent */
    private readonly health: RedisHealth | null = null,
    private readonly replicaWait: ReplicaWait | null = null,
  ) {}

  add(dealId: string, grab: PendingGrab): void {
    let list = this.pending.get(dealId);
    if (!list) this.pending.set(dealId, (list = []));
    list.push(grab);
    if (!this.scheduled) {
      this.scheduled = true;
      this.firstAt = performance.now();
      setImmediate(this.flush);
    } else if (list.length >= this.maxBatch || performance.now() - this.firstAt >= FLUSH_AFTER_MS) {
      // the turn is long (see the top): send what is queued now, in arrival order; the
      // immediate still to come then flushes what arrives after this
      this.flush();
      this.scheduled = true;
      this.firstAt = performance.now();
    }
  }

  get queued(): number {
    let n = 0;
    for (const l of this.pending.values()) n += l.length;
    return n + this.inFlight;
  }

  /** Resolves when nothing is queued or in flight (graceful stop). */
  drained(): Promise<void> {
    if (this.queued === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batches = this.pending;
    this.pending = new Map();
    for (const [dealId, grabs] of batches) {
      for (let i = 0; i < grabs.length; i += this.maxBatch) {
        void this.run(dealId, grabs.length <= this.maxBatch ? grabs : grabs.slice(i, i + this.maxBatch));
      }
    }
  };

  private async run(dealId: string, grabs: PendingGrab[]): Promise<void> {
    this.inFlight += grabs.length;
    try {
      if (this.health && !this.health.up) {
        this.health.refuse(grabs.length);
        throw new RedisDownError();
      }
      const result = await this.stock.grabBatch(dealId, grabs);
      const shortfall = await this.confirmOnReplicas(dealId, result);
      if (shortfall) {
        // Redis keeps the batch's decisions under their rids: a resend gets the same hold once a
        // replica has it (or a fresh decision if a failover lost it). Not admitted here: a hold
        // that survives is re-admitted by reconcile, one a failover loses never had an order.
        this.replicaWait!.onShortfall(grabs.length);
        this.answerByOwner(grabs, (g) => g.reject(shortfall));
        return;
      }
      this.afterDecide(dealId, grabs, result);
      this.answerByOwner(grabs, (g, i) => g.resolve(result.decisions[i]!, result));
    } catch (err) {
      this.health?.failed(err, 'grab batch');
      this.answerByOwner(grabs, (g) => g.reject(err));
    } finally {
      this.inFlight -= grabs.length;
      if (this.queued === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** With GRAB_WAIT_REPLICAS, WAIT for the replicas of a batch that answers any hold; the error
   *  to answer with when too few confirmed in time. A repeated rid's hold counts too: its first
   *  batch may have fallen short. The batch always writes (its grab counters), so the WAIT
   *  covers the master's replication stream up to it, whoever wrote the hold. */
  private async confirmOnReplicas(dealId: string, result: GrabBatchResult): Promise<ReplicaShortfallError | null> {
    const want = this.replicaWait;
    if (!want || !result.decisions.some((d) => d.ok)) return null;
    const acked = await this.stock.waitReplicas(dealId, want.replicas, want.ms);
    return acked >= want.replicas ? null : new ReplicaShortfallError(acked, want.replicas);
  }

  /** Calls `answer` for every grab, grouped by owner (arrival order kept within an owner). */
  private answerByOwner(grabs: readonly PendingGrab[], answer: (g: PendingGrab, i: number) => void): void {
    // Most batches hold one grab per socket (shoppers click once): then no grouping, whose Map,
    // index arrays and per-socket closures were a twentieth of the gateway's allocations.
    const owners = new Set<object>();
    for (const g of grabs) owners.add(g.owner);
    if (owners.size === grabs.length) {
      for (let i = 0; i < grabs.length; i++) {
        const g = grabs[i]!;
        this.deliver(g.owner, () => answer(g, i));
      }
      return;
    }
    const byOwner = new Map<object, number[]>();
    for (let i = 0; i < grabs.length; i++) {
      const owner = grabs[i]!.owner;
      const list = byOwner.get(owner);
      if (list) list.push(i);
      else byOwner.set(owner, [i]);
    }
    for (const [owner, idx] of byOwner) {
      this.deliver(owner, () => { for (const i of idx) answer(grabs[i]!, i); });
    }
  }
}
