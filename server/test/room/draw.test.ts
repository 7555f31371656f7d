// The draw is a fair, verifiable shuffle: a pure function of the seed and the entry count.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { commitOf, drawOrder, newSeed, numberOfTicket } from '../../src/room/draw.ts';

describe('draw', () => {
  it('is a permutation: every pre-queue ticket gets exactly one number', () => {
    const order = drawOrder(newSeed().seed, 5_000);
    expect(new Set(order).size).toBe(5_000);
    expect(Math.min(...order)).toBe(1);
    expect(Math.max(...order)).toBe(5_000);
  });

  it('the revealed seed reproduces the order and matches the commitment', () => {
    const { seed, commit } = newSeed();
    expect(commit).toBe(createHash('sha256').update(Buffer.from(seed, 'hex')).digest('hex'));
    expect(commitOf(seed)).toBe(commit);
    expect(Array.from(drawOrder(seed, 300))).toEqual(Array.from(drawOrder(seed, 300)));
    const order = drawOrder(seed, 300);
    expect(numberOfTicket(seed, 300, order[41]!)).toBe(42);
    // another seed, another order
    expect(Array.from(drawOrder(newSeed().seed, 300))).not.toEqual(Array.from(order));
  });

  it('lands an arrival position uniformly across places (chi-square over a fixed seed set)', () => {
    // 2,000 draws of 20 tickets with fixed seeds: where do ticket 1 (first to arrive) and
    // ticket 20 (last) land? Uniform means 100 per place; chi-square with 19 degrees of
    // freedom stays under 43.8 (p = 0.001) for a fair shuffle.
    const entries = 20;
    const draws = 2_000;
    const firstAt = new Array<number>(entries).fill(0);
    const lastAt = new Array<number>(entries).fill(0);
    for (let i = 0; i < draws; i++) {
      const seed = createHash('sha256').update(`fixed seed ${i}`).digest('hex');
      const order = drawOrder(seed, entries);
      firstAt[order.indexOf(1)]!++;
      lastAt[order.indexOf(entries)]!++;
    }
    const chi = (counts: number[]) => counts.reduce((s, c) => s + (c - draws / entries) ** 2 / (draws / entries), 0);
    expect(chi(firstAt)).toBeLessThan(43.8);
    expect(chi(lastAt)).toBeLessThan(43.8);
    // and it can fail: an unshuffled order puts ticket 1 at place 1 every time
    const biased = new Array<number>(entries).fill(0);
    biased[0] = draws;
    expect(chi(biased)).toBeGreaterThan(43.8);
  });
});
