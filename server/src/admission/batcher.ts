// Collects items from many concurrent callers and hands them to `flush` together: at `max`
// items at once, else `waitMs` after the first. Each `add` settles when its batch does, so a
// BullMQ processor can await it and its job completes (or fails) with the batch.

/** A flush returns nothing when every item succeeded, or one entry per item (null = ok). */
export type FlushFn<T> = (items: T[]) => Promise<void | (Error | null)[]>;

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class Batcher<T> {
  private pending: Pending<T>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly max: number, private readonly waitMs: number, private readonly flushFn: FlushFn<T>) {}

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** Adds several items that settle together: one promise for all of them (rejected when any
   *  of them fails), so a caller with many items does not pay for a promise each. */
  addAll(items: readonly T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      for (const item of items) this.pending.push({ item, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** At `max` pending items flush now, else `waitMs` after the first. */
  private scheduleFlush(): void {
    if (this.pending.length >= this.max) this.flushNow();
    else if (!this.timer) this.timer = setTimeout(() => this.flushNow(), this.waitMs);
  }

  /** Flush what is pending now (used on close) without waiting for the timer. */
  flushNow(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const p = this.run(batch).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Nothing pending and nothing in flight. */
  get idle(): boolean {
    return this.pending.length === 0 && this.inFlight.size === 0;
  }

  /** Flush pending items and wait for every batch in flight. */
  async drain(): Promise<void> {
    this.flushNow();
    await Promise.all([...this.inFlight]);
  }

  private async run(batch: Pending<T>[]): Promise<void> {
    try {
      const errors = await this.flushFn(batch.map((p) => p.item));
      batch.forEach((p, i) => {
        const err = errors?.[i];
        if (err) p.reject(err);
        else p.resolve();
      });
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
  }
}
