// The grab -> order hand-off on the gateway side. The grab batcher hands over each batch Redis
// decided; its new holds are packed straight into order groups, and every hold of the next
// ADMIT_WINDOW_MS (any deal, any socket) goes to the order queues as ONE job per admission shard
// its deals map to (Admission.admit), so BullMQ's per-job cost is paid per window and shard, not
// per grab batch, and stays off the grab's latency: the shopper is answered first, the hold
// admitted behind the answer. The hold is already durable in Redis: if this gateway dies before
// the job is added, or adding it fails, the scheduler's reconcile re-admits it (readmit.ts), so
// a failed window is logged, not retried here.
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { GrabBatchResult } from '../stock/decisions.ts';
import { groupFor, type Admission, type OrderGroup } from './queues.ts';

/** What the window needs of a grab: who made it (the decision carries the rest). */
export interface DecidedGrab {
  shopper: string;
}

/** The deal's price as the gateway's feed knows it (absent for a deal it has not loaded). */
export interface DealPrice {
  minor: number;
  currency: string;
}

export class AdmissionWindow {
  private groups: OrderGroup[] = [];
  private holds = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly config: Pick<Config, 'admitBatchMax' | 'admitWindowMs'>,
    private readonly admission: Pick<Admission, 'admit'>,
    private readonly logger: Logger,
  ) {}

  /** Takes one decided grab batch of one deal; its new holds (not repeats, not refusals) join
   *  the window. Synchronous: the caller answers the shoppers right after. */
  admitDecided(dealId: string, grabs: readonly DecidedGrab[], result: GrabBatchResult, price: DealPrice | undefined): void {
    const before = this.holds;
    const unitPriceMinor = price?.minor ?? 0;
    const currency = price?.currency ?? '';
    result.decisions.forEach((d, i) => {
      if (!d.ok || d.repeat) return;
      const g = groupFor(this.groups, { dealId, unitPriceMinor, currency, heldAt: result.now, expiresAt: d.expiresAt });
      g.holds.push(d.hold);
      g.shoppers.push(grabs[i]!.shopper);
      g.qty.push(d.qty);
      this.holds++;
    });
    if (this.holds === before) return;
    // A window may pass admitBatchMax by the rest of one grab batch: a batch is never split.
    if (this.holds >= this.config.admitBatchMax) this.flushNow();
    else if (!this.timer) this.timer = setTimeout(() => this.flushNow(), this.config.admitWindowMs);
  }

  /** Admit what the window holds now, without waiting for its timer. */
  flushNow(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.holds === 0) return;
    const groups = this.groups;
    const holds = this.holds;
    this.groups = [];
    this.holds = 0;
    const p = this.admission.admit({ groups })
      .catch((err: unknown) => this.logger.error({ err, deals: [...new Set(groups.map((g) => g.dealId))], holds }, 'admission failed; reconcile will re-admit'))
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Nothing in the window and nothing being added. */
  get idle(): boolean {
    return this.holds === 0 && this.inFlight.size === 0;
  }

  /** Admit the window now and wait for every add in flight (graceful stop). */
  async drain(): Promise<void> {
    this.flushNow();
    await Promise.all([...this.inFlight]);
  }
}
