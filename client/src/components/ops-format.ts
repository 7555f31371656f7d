// What the ops wall shows of numbers, money, times and deal states: short enough to fit a tile or
// a table cell at a size read from across a room.
import type { Money } from '../../../server/src/shared/protocol.ts';
import type { OpsDeal } from '../../../server/src/shared/ops-view.ts';
import { formatMoney, minorUnitDigits } from './format.ts';

const compactCount = new Intl.NumberFormat(undefined, { notation: 'compact', maximumSignificantDigits: 3 });
const fullCount = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });

/** 1,234 in full; from 100,000 on "123K", "1.23M": a wall shows magnitude, not the last digit. */
export function formatCount(n: number): string {
  return Math.abs(n) >= 100_000 ? compactCount.format(n) : fullCount.format(n);
}

const compactMoneyFormats = new Map<string, Intl.NumberFormat>();

/** Money that fits `maxChars`: exact when it does, else "PKR 12.3M" (the exact value stays in
 *  the snapshot and in `data-minor`). */
export function formatMoneyToFit(m: Money, maxChars: number): string {
  const exact = formatMoney(m);
  if (exact.length <= maxChars) return exact;
  let f = compactMoneyFormats.get(m.currency);
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency: m.currency, notation: 'compact', maximumSignificantDigits: 3 });
    } catch {
      f = compactCount;
    }
    compactMoneyFormats.set(m.currency, f);
  }
  return f.format(m.minor / 10 ** minorUnitDigits(m.currency));
}

const pad = (n: number) => String(n).padStart(2, '0');

/** 24-hour wall-clock time, "18:30" or "18:30:05", in the wall's time zone. Digits and colon are
 *  fixed rather than locale-chosen: a wall is read at a glance, the same way everywhere. */
export function formatClock(epochMs: number, seconds: boolean): string {
  const d = new Date(epochMs);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return seconds ? `${hm}:${pad(d.getSeconds())}` : hm;
}

/** How a deal reads on the board. A live deal with nothing left is sold out to a shopper even
 *  while unpaid holds may still give units back (the scheduler marks it sold_out only once
 *  nothing is held), so it says so, with the held count. */
export function dealBoardState(d: Pick<OpsDeal, 'state' | 'available' | 'held'>): { key: string; label: string } {
  if ((d.state === 'live' || d.state === 'sold_out') && d.available === 0) {
    return { key: 'sold_out', label: d.held > 0 ? `sold out, ${formatCount(d.held)} on hold` : 'sold out' };
  }
  return { key: d.state, label: d.state.replace('_', ' ') };
}
