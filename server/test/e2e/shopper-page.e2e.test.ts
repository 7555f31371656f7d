// End to end in real Chromium: a shopper opens the page, watches a countdown reach zero, grabs,
// checks out and sees the order as paid, against a real engine (gateway + worker + scheduler);
// and a page whose festival request never answers still follows the festival its HTML carried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ARTIFACTS, startBrowserWorld, type BrowserWorld } from '../helpers/browser-world.ts';
import { newSession, seedDeals, warmNow, type RunningEngine } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { waitFor } from '../helpers/test-env.ts';

describe('shopper page in Chromium', () => {
  let engine: RunningEngine;
  let browser: Browser;
  let world: BrowserWorld | undefined;
  let dealId: string;
  let openDeal: string;
  const sockets: ShopperSocket[] = [];

  beforeAll(async () => {
    world = await startBrowserWorld('index.html', { PREWARM_SECONDS: '2' });
    ({ engine, browser } = world);
    // opens 6 s from now: long enough to see the countdown run, short enough for a test
    [dealId, openDeal] = (await seedDeals(engine.env.pool, [
      { title: 'Lahore Lawn Suit', stock: 3, limit: 1, startsIn: 6_000, priceMinor: 249_900, currency: 'PKR' },
      { title: 'Multani sohan halwa tin', stock: 50, limit: 1, startsIn: -1_000, priceMinor: 129_900, currency: 'PKR' },
    ])).dealIds as [string, string];
    await warmNow(engine.env, [openDeal]);
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await world?.close();
  });

  it('counts down, opens on time, grabs, pays and shows the paid order', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(engine.url);

    const card = page.locator(`[data-testid="deal-${dealId}"]`);
    await card.waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('[data-testid="conn"]').getAttribute('data-status'), { timeout: 10_000 }).toBe('live');
    expect(await card.getAttribute('data-state')).toBe('waiting');
    const countdown = page.locator(`[data-testid="countdown-${dealId}"]`);
    const first = await countdown.innerText();
    await page.waitForTimeout(1_500);
    expect(await countdown.innerText()).not.toBe(first);
    await page.screenshot({ path: `${ARTIFACTS}/shopper-countdown.png`, fullPage: true });
    const grab = page.locator(`[data-testid="grab-${dealId}"]`);
    expect(await grab.isDisabled()).toBe(true);

    // the card flips to live by itself when server time reaches the start
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 15_000 }).toBe('live');
    await grab.click();
    const pay = page.locator(`[data-testid="pay-${dealId}"]`);
    await pay.waitFor({ timeout: 10_000 });
    expect(await card.getAttribute('data-state')).toBe('held');
    await page.screenshot({ path: `${ARTIFACTS}/shopper-held.png`, fullPage: true });
    // checkout: pick a method and confirm (shopper-checkout.e2e.test.ts covers the step itself)
    await pay.click();
    await page.locator('[data-testid="checkout-confirm"]').click();
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 10_000 }).toBe('paid');
    await page.getByRole('button', { name: 'Done' }).click();

    // the order list shows it as paid once the payment worker settles it in Postgres
    const holdRow = await waitFor(async () => {
      const { rows } = await engine.env.pool.query<{ hold_id: string; status: string }>(
        'SELECT hold_id, status FROM orders WHERE deal_id = $1', [dealId]);
      return rows[0]?.status === 'paid' ? rows[0] : null;
    }, 'order paid in Postgres', 15_000);
    const row = page.locator(`[data-testid="order-${holdRow.hold_id}"]`);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 10_000 }).toBe('paid');
    await expect.poll(() => page.locator(`[data-testid="stock-${dealId}"]`).innerText(), { timeout: 5_000 }).toContain('2');
    await page.screenshot({ path: `${ARTIFACTS}/shopper-paid.png`, fullPage: true });

    // after a reload the order is still there (restored from GET /api/orders)
    await page.reload();
    await expect.poll(() => page.locator(`[data-testid="order-${holdRow.hold_id}"]`).getAttribute('data-status'), { timeout: 10_000 }).toBe('paid');
    expect(errors).toEqual([]);
  }, 90_000);

  it('follows the festival its HTML carried when GET /api/festivals/current fails: another shopper\'s sale reaches its ticker and stock', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // a flaky network: the festival request fails, the socket gets through
    await page.route('**/api/festivals/current', (route) => route.abort('failed'));
    await page.goto(engine.url);
    const stock = page.locator(`[data-testid="stock-${openDeal}"]`);
    await stock.waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('[data-testid="conn"]').getAttribute('data-status'), { timeout: 10_000 }).toBe('live');
    expect(await stock.innerText()).toBe('50 left');

    const other = await ShopperSocket.open(engine.wsUrl, (await newSession(engine.url)).token);
    sockets.push(other);
    other.send({ t: 'grab', deal: openDeal, qty: 1, rid: 'sale-seen-from-the-shell' });
    expect(await other.answerTo('sale-seen-from-the-shell')).toMatchObject({ t: 'held' });
    // well inside the page's own 30 s retry of the festival request
    await expect.poll(() => stock.innerText(), { timeout: 10_000 }).toBe('49 left');
    const item = page.locator('[data-testid="ticker-item"]');
    await item.waitFor({ timeout: 10_000 });
    expect(await item.innerText()).toContain('Multani sohan halwa tin');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
