// Aggregates from the counters the grab path keeps in each deal's hash (available, held, sold,
// holds created, grabs, refusals by code: stock/deal-hash.ts) and the catalogue. Never a scan:
// one HGETALL per active deal per tick, in one pipeline.
import type { DealView, Money } from '../shared/protocol.ts';
import type { DealCounters } from '../stock/deal-hash.ts';
import type { OpsDeal, OpsFestival, Rejections } from '../shared/ops-view.ts';

/** What the live side shows of a deal's counters. */
export interface DealCounts {
  available: number;
  held: number;
  sold: number;
  stock: number;
  /** holds created */
  orders: number;
  grabs: number;
  priceMinor: number;
  currency: string;
  rejections: Rejections;
}

/** The live side's counts from the deal hash as stock/ parses it. */
export function dealCounts(c: DealCounters): DealCounts {
  return {
    available: c.available, held: c.held, sold: c.sold, stock: c.stock, orders: c.holds, grabs: c.grabs,
    priceMinor: c.unitPriceMinor, currency: c.currency, rejections: c.rejections,
  };
}

// ISO 4217 exponents that are not 2 (the client has the same table in components/format.ts).
const EXPONENT: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, VND: 0,
  VUV: 0, XAF: 0, XOF: 0, XPF: 0, BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
};
export const exponentOf = (currency: string): number => EXPONENT[currency] ?? 2;

/** Minor units of `from` into minor units of `to` with rates "value of one unit in a common
 *  base". Unknown currencies count as 0 rather than as a wrong number. */
export function convertMinor(minor: number, from: string, to: string, rates: Readonly<Record<string, number>>): number {
  if (from === to) return minor;
  const rf = rates[from];
  const rt = rates[to];
  if (!rf || !rt) return 0;
  return Math.round(((minor / 10 ** exponentOf(from)) * rf / rt) * 10 ** exponentOf(to));
}

/** Per-deal rates from counter deltas over a sliding window (default 3 s). */
export class RateTracker {
  private readonly samples = new Map<string, { t: number; v: number }[]>();
  constructor(private readonly windowMs = 3_000) {}

  /** Records `value` for `key` at `t`, returns the rate per second over the window. */
  rate(key: string, value: number, t: number): number {
    let s = this.samples.get(key);
    if (!s) this.samples.set(key, (s = []));
    s.push({ t, v: value });
    while (s.length > 2 && t - s[0]!.t > this.windowMs) s.shift();
    const first = s[0]!;
    const dt = t - first.t;
    return dt >= 200 ? Math.max(0, ((value - first.v) * 1000) / dt) : 0;
  }
}

export function dealAggregate(view: DealView, c: DealCounts, grabsPerSec: number, ordersPerSec: number): OpsDeal {
  return {
    id: view.id, title: view.title, brand: view.brand, state: view.state, stock: c.stock,
    available: c.available, held: c.held, sold: c.sold,
    price: { minor: c.priceMinor, currency: c.currency },
    gmvMinor: c.sold * c.priceMinor, heldValueMinor: c.held * c.priceMinor,
    grabs: c.grabs, orders: c.orders, grabsPerSec: round1(grabsPerSec), ordersPerSec: round1(ordersPerSec),
    sellThrough: c.stock > 0 ? (c.sold + c.held) / c.stock : 0, rejections: c.rejections,
  };
}

export function festivalAggregate(
  f: { id: string; name: string; displayCurrency: string }, deals: readonly OpsDeal[],
  rates: Readonly<Record<string, number>>,
): OpsFestival {
  const gmv = new Map<string, number>();
  let gmvDisplay = 0;
  let heldDisplay = 0;
  const out: OpsFestival = {
    id: f.id, name: f.name, displayCurrency: f.displayCurrency, gmv: [],
    gmvDisplay: { minor: 0, currency: f.displayCurrency }, heldValueDisplay: { minor: 0, currency: f.displayCurrency },
    orders: 0, unitsSold: 0, unitsHeld: 0, stock: 0, grabs: 0, ordersPerSec: 0, grabsPerSec: 0, sellThrough: 0,
    topDeals: [], rejections: {},
  };
  for (const d of deals) {
    const cur = d.price.currency;
    gmv.set(cur, (gmv.get(cur) ?? 0) + d.gmvMinor);
    gmvDisplay += convertMinor(d.gmvMinor, cur, f.displayCurrency, rates);
    heldDisplay += convertMinor(d.heldValueMinor, cur, f.displayCurrency, rates);
    out.orders += d.orders;
    out.unitsSold += d.sold;
    out.unitsHeld += d.held;
    out.stock += d.stock;
    out.grabs += d.grabs;
    out.ordersPerSec += d.ordersPerSec;
    out.grabsPerSec += d.grabsPerSec;
    for (const [k, n] of Object.entries(d.rejections) as [keyof Rejections, number][]) out.rejections[k] = (out.rejections[k] ?? 0) + n;
  }
  out.gmv = [...gmv].sort((a, b) => b[1] - a[1]).map(([currency, minor]) => ({ currency, minor } satisfies Money));
  out.gmvDisplay.minor = gmvDisplay;
  out.heldValueDisplay.minor = heldDisplay;
  out.ordersPerSec = round1(out.ordersPerSec);
  out.grabsPerSec = round1(out.grabsPerSec);
  out.sellThrough = out.stock > 0 ? (out.unitsSold + out.unitsHeld) / out.stock : 0;
  out.topDeals = [...deals].sort((a, b) => b.ordersPerSec - a.ordersPerSec || b.orders - a.orders).slice(0, 5).map((d) => d.id);
  return out;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
