// Lighthouse (the npm package, programmatic) with Debian's Chromium against `/` on its default
// mobile settings (a mid-range phone, simulated slow 4G and 4x CPU slowdown), on the demo
// festival: fails below accessibility 95. The performance score is written with its metrics to
// test-artifacts/lighthouse.json and printed, not asserted: it is a timing of the page on this
// host's CPU and this Chromium build (the same commit scored 90+ with one Debian Chromium and
// 70-86 with 156), and speed is judged by measurements reported, not by a test's pass/fail.
// The README reports it.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { seedDemo } from '../../../scripts/seed-demo.ts';
import { ARTIFACTS, startBrowserWorld, type BrowserWorld } from '../helpers/browser-world.ts';
import { CHROMIUM } from '../helpers/chromium.ts';

describe('Lighthouse on the shopper page', () => {
  let world: BrowserWorld | undefined;
  let chrome: chromeLauncher.LaunchedChrome | undefined;

  beforeAll(async () => {
    world = await startBrowserWorld('index.html');
    await seedDemo(world.engine.env.pool);
    chrome = await chromeLauncher.launch({
      chromePath: CHROMIUM,
      chromeFlags: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    if (chrome) chrome.kill();
    await world?.close();
  });

  it('scores accessibility >= 95 on mobile, and records the performance score', async () => {
    const result = await lighthouse(world!.engine.url + '/', {
      port: chrome!.port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: ['performance', 'accessibility'],
    });
    expect(result).toBeDefined();
    const lhr = result!.lhr;
    expect(lhr.runtimeError).toBeUndefined();
    const score = (c: string) => Math.round((lhr.categories[c]?.score ?? 0) * 100);
    const metric = (id: string) => lhr.audits[id]?.displayValue ?? null;
    const summary = {
      lighthouse: lhr.lighthouseVersion,
      formFactor: lhr.configSettings.formFactor,
      throttling: lhr.configSettings.throttlingMethod,
      performance: score('performance'),
      accessibility: score('accessibility'),
      fcp: metric('first-contentful-paint'),
      lcp: metric('largest-contentful-paint'),
      tbt: metric('total-blocking-time'),
      cls: metric('cumulative-layout-shift'),
      si: metric('speed-index'),
      failedAccessibilityAudits: Object.values(lhr.audits)
        .filter((a) => lhr.categories.accessibility?.auditRefs.some((r) => r.id === a.id && r.weight > 0) && a.score !== null && a.score < 1)
        .map((a) => a.id),
    };
    writeFileSync(`${ARTIFACTS}/lighthouse.json`, JSON.stringify(summary, null, 2) + '\n');
    console.log(`lighthouse: ${JSON.stringify(summary)}`);
    expect(summary.formFactor).toBe('mobile');
    expect(lhr.categories.performance?.score, 'a performance score').toBeTypeOf('number');
    expect(summary.accessibility, JSON.stringify(summary)).toBeGreaterThanOrEqual(95);
  }, 180_000);
});
