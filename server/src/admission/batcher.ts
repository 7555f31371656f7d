// Collects items from many concurrent callers and hands them to `flush` together: at `max`
// items at once, else `waitMs` after the first. Each `add` settles when its batch does, so a
// BullMQ processor can await it and its job completes (or fails) with the batch.

/** A flush returns nothing when every item succeeded, or one entry per item (null = ok). */
export type FlushFn<T> = (items: readonly T[]) => Promise<void | (Error | null)[]>;

/** One addAll's promise: settled once every part of its items has been flushed. */
interface Caller {
  parts: number;
  failure: Error | null;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A run of one caller's items inside one batch: a caller with many items (an order job's
 *  holds) costs an entry per batch it lands in, not one per item. */
interface Pending<T> {
  items: readonly T[];
  caller: Caller;
}

export class Batcher<T> {
  private pending: Pending<T>[] = [];
  private pendingItems = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly max: number, private readonly waitMs: number, private readonly flushFn: FlushFn<T>) {}

  add(item: T): Promise<void> {
    return this.addAll([item]);
  }

  /** Adds several items that settle together: one promise for all of them, rejected when any of
   *  them fails, once all of them are settled. Batches still hold at most `max` items. */
  addAll(items: readonly T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const caller: Caller = { parts: 0, failure: null, resolve, reject };
      for (let at = 0; at < items.length;) {
        const room = this.max - this.pendingItems;
        const part = at === 0 && items.length <= room ? items : items.slice(at, at + room);
        caller.parts++;
        this.pending.push({ items: part, caller });
        this.pendingItems += part.length;
        at += part.length;
        this.scheduleFlush();
      }
    });
  }

  /** At `max` pending items flush now, else `waitMs` after the first. */
  private scheduleFlush(): void {
    if (this.pendingItems >= this.max) this.flushNow();
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
    this.pendingItems = 0;
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
    let errors: void | (Error | null)[];
    try {
      errors = await this.flushFn(batch.length === 1 ? batch[0]!.items : batch.flatMap((p) => p.items));
    } catch (err) {
      for (const p of batch) settle(p.caller, err as Error);
      return;
    }
    let at = 0;
    for (const p of batch) {
      let err: Error | null = null;
      for (let i = 0; errors && i < p.items.length && !err; i++) err = errors[at + i] ?? null;
      at += p.items.length;
      settle(p.caller, err);
    }
  }
}

function settle(caller: Caller, err: Error | null): void {
  if (err && !caller.failure) caller.failure = err;
  if (--caller.parts > 0) return;
  if (caller.failure) caller.reject(caller.failure);
  else caller.resolve();
}
