// A Prometheus histogram for the hottest path (one observation per grab): observe() is a
// bucket search and three additions, allocating nothing. prom-client's Histogram builds a
// closure, a labels object and a label hash on every observe, even without labels: garbage made
// once per grab, for the collector to chase at the storm's peak (README, Performance). It is
// registered in the same prom-client Registry, which formats it like any histogram (default
// labels included): cumulative `_bucket{le}` lines, `+Inf`, `_sum`, `_count`.
import type { Metric, Registry } from 'prom-client';

export class HotHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  /** per bucket (the last one is +Inf), not cumulative */
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(readonly name: string, readonly help: string, private readonly upperBounds: readonly number[], registry: Registry) {
    if (upperBounds.some((b, i) => i > 0 && b <= upperBounds[i - 1]!)) throw new Error(`${name}: buckets must increase`);
    this.counts = new Float64Array(upperBounds.length + 1);
    registry.registerMetric(this as unknown as Metric);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.upperBounds.length && value > this.upperBounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** The shape prom-client's Registry formats (as its own Histogram's get() returns). */
  get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    let cumulative = 0;
    this.upperBounds.forEach((le, i) => {
      cumulative += this.counts[i]!;
      values.push({ labels: { le }, value: cumulative, metricName: `${this.name}_bucket` });
    });
    values.push({ labels: { le: '+Inf' }, value: this.count, metricName: `${this.name}_bucket` });
    values.push({ labels: {}, value: this.sum, metricName: `${this.name}_sum` });
    values.push({ labels: {}, value: this.count, metricName: `${this.name}_count` });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}
