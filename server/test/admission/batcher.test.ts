// The order worker's Batcher: an order job hands over all its holds with one addAll. Batches
// still hold at most `max` items (ORDER_BATCH_MAX bounds a statement), a caller whose items span
// several batches settles once all of them have, and a per-item error fails only its caller.
import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/admission/batcher.ts';

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('Batcher', () => {
  it('splits a caller bigger than max across batches, in order, and settles it after the last', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const lastHeld = new Promise<void>((r) => { release = r; });
    const b = new Batcher<number>(200, 1_000, async (items) => {
      batches.push([...items]);
      if (items.includes(499)) await lastHeld;
    });
    let settled = false;
    const first = b.addAll(range(0, 50));
    const big = b.addAll(range(50, 450)).then(() => { settled = true; });
    await new Promise((r) => setTimeout(r, 20));
    // 50 + 150 fill the first batch, 200 the second; the last 100 wait for the timer
    expect(batches.map((x) => x.length)).toEqual([200, 200]);
    await first;
    b.flushNow();
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    release();
    await big;
    expect(batches.flat()).toEqual(range(0, 500));
    expect(batches.every((x) => x.length <= 200)).toBe(true);
  });

  it('fails only the callers whose items failed, with the first error among them', async () => {
    const b = new Batcher<number>(1_000, 1, async (items) => items.map((x) => (x % 10 === 7 ? new Error(`bad ${x}`) : null)));
    const results = await Promise.allSettled([b.addAll([1, 2, 3]), b.addAll([5, 7, 17]), b.add(8), b.add(27)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('bad 7');
  });

  it('rejects every caller of a batch that throws, and a split caller once its other part settled', async () => {
    const b = new Batcher<number>(4, 1, async (items) => {
      if (items.includes(0)) throw new Error('batch failed');
    });
    const results = await Promise.allSettled([b.addAll([0, 1, 2, 3, 4, 5]), b.add(6)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason.message).toBe('batch failed');
    expect(b.idle).toBe(true);
  });
});
