// HotHistogram must read exactly as prom-client's own Histogram does: same observations, same
// buckets, same default labels -> the same exposition text, byte for byte.
import { describe, expect, it } from 'vitest';
import { Histogram, Registry } from 'prom-client';
import { HotHistogram } from '../../src/metrics/hot-histogram.ts';

const BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

function registries() {
  const ours = new Registry();
  const theirs = new Registry();
  for (const r of [ours, theirs]) r.setDefaultLabels({ role: 'gateway' });
  const hot = new HotHistogram('x_latency_seconds', 'Time from a frame to its answer', BUCKETS, ours);
  const reference = new Histogram({ name: 'x_latency_seconds', help: 'Time from a frame to its answer', buckets: BUCKETS, registers: [theirs] });
  return { ours, theirs, hot, reference };
}

describe('HotHistogram', () => {
  it('exposes what prom-client\'s Histogram exposes for the same observations, edges included', async () => {
    const { ours, theirs, hot, reference } = registries();
    // bucket edges (le is inclusive), between them, below the first, past the last, zero
    const values = [0, 0.0005, 0.00051, 0.001, 0.0042, 0.01, 0.3, 2.5, 2.6, 40, ...Array.from({ length: 500 }, (_, i) => (i * 7.3) % 3)];
    for (const v of values) { hot.observe(v); reference.observe(v); }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain(`x_latency_seconds_count{role="gateway"} ${values.length}`);
  });

  it('reads as an empty histogram before any observation and after a reset', async () => {
    const { ours, theirs, hot, reference } = registries();
    reference.zero({});
    expect(await ours.metrics()).toBe(await theirs.metrics());
    hot.observe(0.2);
    ours.resetMetrics();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('refuses buckets that do not increase', () => {
    expect(() => new HotHistogram('y', 'y', [0.1, 0.1], new Registry())).toThrow(/increase/);
  });
});
