// End to end in real Chromium: a brand signs in to /brand with its key, gets a validation error
// inline, creates a deal through the form, and a shopper page shows that deal; an edited start
// time re-arms the countdown on an open shopper page and the deal opens at the new second.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ARTIFACTS, startBrowserWorld, type BrowserWorld } from '../helpers/browser-world.ts';
import type { RunningEngine } from '../helpers/engine.ts';
import { BrandClient, dealInput, newBrand, newFestival } from '../brand/helpers.ts';

describe('brand console and shopper page in Chromium', () => {
  let engine: RunningEngine;
  let browser: Browser;
  let world: BrowserWorld | undefined;
  let key: string;
  let fest: string;

  beforeAll(async () => {
    world = await startBrowserWorld('brand.html', { PREWARM_SECONDS: '2' });
    ({ engine, browser } = world);
    fest = await newFestival(engine.env.pool, 'Console Fest', -60_000, 6 * 3_600_000);
    key = (await newBrand(engine.env.pool, 'Console Brand')).key;
  }, 60_000);

  afterAll(async () => {
    await world?.close();
  });

  it('creates a deal through the form (after fixing an inline error) and the shopper page shows it', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${engine.url}/brand`);
    await page.getByTestId('api-key').fill('ffb_1_wrong');
    await page.getByTestId('sign-in').click();
    await page.getByTestId('signin-error').waitFor({ timeout: 5_000 });
    await page.getByTestId('api-key').fill(key);
    await page.getByTestId('sign-in').click();
    await page.getByTestId('new-deal').click();

    await page.locator('input[name="title"]').fill('Khaadi Lawn 3-piece');
    await page.locator('input[name="currency"]').fill('PKR');
    await page.locator('input[name="listPrice"]').fill('4999');
    await page.locator('input[name="dealPrice"]').fill('5999'); // above the list price: refused
    await page.locator('input[name="stock"]').fill('25');
    await page.locator('input[name="limit"]').fill('2');
    await page.locator('input[name="imageUrl"]').fill('http://example.com/lawn.jpg');
    await page.getByTestId('save-deal').click();
    const priceErr = page.getByTestId('error-dealPriceMinor');
    await priceErr.waitFor({ timeout: 5_000 });
    expect(await priceErr.innerText()).toContain('below');
    expect(await page.getByTestId('error-imageUrl').innerText()).toContain('https');
    await page.screenshot({ path: `${ARTIFACTS}/brand-form-errors.png`, fullPage: true });

    await page.locator('input[name="dealPrice"]').fill('2999.50');
    await page.locator('input[name="imageUrl"]').fill('');
    await page.getByTestId('save-deal').click();
    await page.getByTestId('note').waitFor({ timeout: 5_000 });
    const { rows } = await engine.env.pool.query<{ id: number; deal_price_minor: number; list_price_minor: number }>(
      `SELECT id, deal_price_minor, list_price_minor FROM deals WHERE title = 'Khaadi Lawn 3-piece'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ deal_price_minor: 299_950, list_price_minor: 499_900 });
    const id = String(rows[0]!.id);
    await expect.poll(() => page.getByTestId(`deal-state-${id}`).innerText(), { timeout: 5_000 }).toBe('Scheduled');
    await page.screenshot({ path: `${ARTIFACTS}/brand-console.png`, fullPage: true });

    const shop = await browser.newPage();
    shop.on('pageerror', (e) => errors.push(String(e)));
    await shop.goto(engine.url);
    const card = shop.locator(`[data-testid="deal-${id}"]`);
    await card.waitFor({ timeout: 10_000 });
    await card.getByText('Khaadi Lawn 3-piece').waitFor({ timeout: 5_000 }); // inside the card's shadow root

    // cancel from the console: the card leaves the open shopper page
    await page.getByTestId(`cancel-${id}`).click();
    await expect.poll(() => page.getByTestId(`deal-state-${id}`).innerText(), { timeout: 5_000 }).toBe('Cancelled');
    await card.waitFor({ state: 'detached', timeout: 5_000 });
    expect(errors).toEqual([]);
  }, 90_000);

  it('an edited start time re-arms the countdown on an open shopper page; the deal opens at the new second', async () => {
    const api = new BrandClient(engine.url, key);
    const created = await api.post('/api/brand/deals', dealInput(fest, 120_000, { title: 'Moved Deal', stock: 5, limit: 1 }));
    expect(created.status).toBe(201);
    const id = created.body.deal.id as string;
    const shop = await browser.newPage();
    await shop.goto(engine.url);
    const card = shop.locator(`[data-testid="deal-${id}"]`);
    await card.waitFor({ timeout: 10_000 });
    await expect.poll(() => shop.locator('[data-testid="conn"]').getAttribute('data-status'), { timeout: 10_000 }).toBe('live');
    const countdown = shop.locator(`[data-testid="countdown-${id}"]`);
    expect(await countdown.innerText()).toMatch(/^0?[12]:\d\d$/);

    const newStart = Date.now() + 8_000;
    const edited = await api.patch(`/api/brand/deals/${id}`, { startsAt: newStart, endsAt: newStart + 600_000 });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    const t0 = Date.now();
    // within a second the countdown shows the new time (under 10 s: tenths)
    await expect.poll(() => countdown.innerText(), { timeout: 1_000, interval: 50 }).toMatch(/^\d(\.\d)?s$/);
    expect(Date.now() - t0).toBeLessThan(1_000);
    await shop.screenshot({ path: `${ARTIFACTS}/brand-edited-countdown.png`, fullPage: true });

    // not open before the new second, open right after it
    await shop.waitForTimeout(Math.max(0, newStart - Date.now() - 700));
    expect(await card.getAttribute('data-state')).toBe('waiting');
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 3_000, interval: 50 }).toBe('live');
    const openedLate = Date.now() - newStart;
    expect(openedLate).toBeLessThan(1_500);
    await shop.locator(`[data-testid="grab-${id}"]`).click();
    await shop.locator(`[data-testid="pay-${id}"]`).waitFor({ timeout: 10_000 });
    expect(await card.getAttribute('data-state')).toBe('held');
  }, 90_000);
});
