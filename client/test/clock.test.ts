import { describe, expect, it } from 'vitest';
import { Clock } from '../src/data/clock.ts';

describe('Clock', () => {
  it('keeps the offset of the sample with the smallest round trip', () => {
    const c = new Clock();
    // server is 5000 ms ahead; rtt 100 with the answer stamped 20 ms after arrival
    c.addPong(1000, 1000 + 5000 + 70, 1100);
    // a tight sample: rtt 10, answer stamped at the middle
    c.addPong(2000, 2000 + 5000 + 5, 2010);
    c.addPong(3000, 3000 + 5000 + 200, 3300);
    expect(c.rtt).toBe(10);
    expect(c.offset).toBe(5000);
  });

  it('uses a rough one-way time only until the first pong', () => {
    const c = new Clock();
    c.addRough(10_000, 4_000);
    expect(c.offset).toBe(6_000);
    c.addPong(100, 150 + 3_100, 200);
    expect(c.offset).toBe(3_100);
    c.addRough(99_999, 0);
    expect(c.offset).toBe(3_100);
  });

  it('forgets old samples so a client clock step is corrected', () => {
    const c = new Clock();
    c.addPong(0, 1000 + 1, 2); // rtt 2, offset 1000
    for (let i = 1; i <= 8; i++) c.addPong(i * 1000, i * 1000 + 4000 + 25, i * 1000 + 50); // rtt 50, offset 4000
    expect(c.offset).toBe(4000);
  });

  it('ignores a pong whose round trip is negative', () => {
    const c = new Clock();
    c.addPong(1000, 9000, 900);
    expect(c.rtt).toBe(Infinity);
  });
});
