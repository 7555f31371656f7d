// The countdown line `npm start` prints once the server is up, for each shape of festival.
import { describe, expect, it } from 'vitest';
import { clockTime, describeFirstOpening } from '../../../scripts/services/first-opening.mjs';

const url = 'http://localhost:8080';
const now = Date.UTC(2026, 10, 11, 0, 0, 0);
const deal = (startsInMs: number, state: string) => ({ startsAt: now + startsInMs, state });

describe('first opening line', () => {
  it('counts down to the first deals on the server clock, and says how many open together', () => {
    const f = { name: 'F', serverTime: now, deals: [deal(27_000, 'warming'), deal(27_000, 'warming'), deal(117_000, 'scheduled')] };
    expect(describeFirstOpening(f, url)).toBe(`the first 2 deals open in 27 s, at ${clockTime(now + 27_000)}: watch the countdown at ${url}`);
    expect(describeFirstOpening({ ...f, deals: [deal(5_400, 'scheduled')] }, url))
      .toBe(`the first deal opens in 5 s, at ${clockTime(now + 5_400)}: watch the countdown at ${url}`);
  });

  it('says which deals are open already, then what opens next', () => {
    const f = { name: 'F', serverTime: now, deals: [deal(-1_000, 'live'), deal(-1_000, 'sold_out'), deal(90_000, 'scheduled')] };
    expect(describeFirstOpening(f, url)).toBe(`1 deal is open now at ${url}; the next deal opens in 90 s, at ${clockTime(now + 90_000)}`);
    expect(describeFirstOpening({ ...f, deals: [deal(-1, 'live'), deal(-1, 'live')] }, url)).toBe(`2 deals are open now at ${url}`);
  });

  it('says so when nothing is open or to open', () => {
    expect(describeFirstOpening(null, url)).toMatch(/no festival is running or scheduled: "npm run seed"/);
    expect(describeFirstOpening({ name: 'F', serverTime: now, deals: [deal(-5_000, 'ended')] }, url)).toBe('no deal of "F" is open or still to open');
  });
});
