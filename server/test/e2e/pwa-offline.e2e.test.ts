// The PWA in real Chromium: the first visit installs the service worker, which keeps `/` (with
// the festival the server put in it) and its scripts; a revisit with the network gone shows the
// festival and a running countdown at once from that cache, and the page goes live when the
// network is back. The manifest makes it installable.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ARTIFACTS, startBrowserWorld, type BrowserWorld } from '../helpers/browser-world.ts';
import { launchChromiumProfile } from '../helpers/chromium.ts';
import { seedDeals, type RunningEngine } from '../helpers/engine.ts';

describe('PWA: the offline revisit', () => {
  let engine: RunningEngine;
  let browser: Browser;
  let world: BrowserWorld | undefined;
  let dealId: string;

  beforeAll(async () => {
    world = await startBrowserWorld('sw.js');
    ({ engine, browser } = world);
    dealId = (await seedDeals(engine.env.pool, [
      { title: 'Karachi Kurta', stock: 10, limit: 1, startsIn: 3_600_000, priceMinor: 349_900, currency: 'PKR' },
    ], 'Offline Festival')).dealIds[0]!;
  }, 60_000);

  afterAll(async () => {
    await world?.close();
  });

  it('shows the festival and a ticking countdown from cache with the network gone, then goes live again', async () => {
    const context = await browser.newContext({ viewport: { width: 393, height: 851 } });
    const page = await context.newPage();
    await page.goto(engine.url);
    // the worker installed, took control and cached the page and its scripts
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 });
    const cached = await page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) for (const req of await (await caches.open(name)).keys()) urls.push(new URL(req.url).pathname);
      return urls;
    });
    expect(cached).toContain('/');
    expect(cached.some((u) => /^\/assets\/index-.+\.js$/.test(u))).toBe(true);

    // a deal that has not opened offers a reminder
    await expect.poll(() => page.locator(`[data-testid="remind-${dealId}"]`).innerText(), { timeout: 5_000 }).toBe('Remind me');

    await context.setOffline(true);
    // the network is really gone for the page
    expect(await page.evaluate(() => fetch('/api/time').then(() => 'online', () => 'offline'))).toBe('offline');
    await page.reload();

    // the page's own heading (the server's shell, hidden once the page takes over, has one too)
    await expect.poll(() => page.locator('ff-shopper-page h1:visible').innerText(), { timeout: 10_000 }).toBe('Offline Festival');
    const card = page.locator(`[data-testid="deal-${dealId}"]`);
    await card.waitFor({ timeout: 10_000 });
    const countdown = page.locator(`[data-testid="countdown-${dealId}"]`);
    const first = await countdown.innerText();
    expect(first).toMatch(/^\d\d:\d\d(:\d\d)?$/);
    await expect.poll(() => countdown.innerText(), { timeout: 5_000 }).not.toBe(first);
    expect(await page.locator('[data-testid="conn"]').getAttribute('data-status')).not.toBe('live');
    await page.screenshot({ path: `${ARTIFACTS}/pwa-offline-revisit.png`, fullPage: true });

    await context.setOffline(false);
    await expect.poll(() => page.locator('[data-testid="conn"]').getAttribute('data-status'), { timeout: 20_000 }).toBe('live');
    await context.close();
  });

  it('is installable: a manifest with a start URL, standalone display and 192/512 px icons that load', async () => {
    // a profile of its own: Chromium calls nothing installable in an incognito context
    const profile = mkdtempSync(path.join(os.tmpdir(), 'ff-pwa-'));
    const context = await launchChromiumProfile(profile);
    const page = await context.newPage();
    await page.goto(engine.url);
    const href = await page.locator('link[rel="manifest"]').getAttribute('href');
    expect(href).toBe('/manifest.webmanifest');
    const manifest = (await (await fetch(`${engine.url}${href}`)).json()) as {
      name: string; short_name: string; start_url: string; display: string; icons: { src: string; sizes: string; type: string }[];
    };
    expect(manifest.start_url).toBe('/');
    expect(manifest.display).toBe('standalone');
    expect(manifest.short_name.length).toBeLessThanOrEqual(12);
    for (const size of ['192x192', '512x512']) {
      const icon = manifest.icons.find((i) => i.sizes === size && i.type === 'image/png');
      expect(icon, size).toBeDefined();
      const res = await fetch(`${engine.url}${icon!.src}`);
      expect(res.status).toBe(200);
      const png = Buffer.from(await res.arrayBuffer());
      // PNG IHDR: width and height at bytes 16 and 20
      expect(`${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`).toBe(size);
    }
    // Chromium's own verdict on installability
    const cdp = await page.context().newCDPSession(page);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: { errorId: string }[] };
    expect(installabilityErrors.map((e) => e.errorId)).toEqual([]);
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
});
