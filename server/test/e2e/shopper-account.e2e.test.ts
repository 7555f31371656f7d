// A marketplace hands the shopper page its ID token in the URL fragment: on a phone-size
// Chromium page the token leaves the address bar, the socket opens as the account, a grab holds
// for the account, and the account's order follows it to a second device.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ARTIFACTS, startBrowserWorld, type BrowserWorld } from '../helpers/browser-world.ts';
import { seedDeals, warmNow, type RunningEngine } from '../helpers/engine.ts';
import { DemoIdp } from '../../../scripts/idp-demo.ts';
import { accountShopperId } from '../../src/gateway/shopper-auth.ts';
import { StockStore } from '../../src/stock/stock-store.ts';

describe('shopper page signed in with a marketplace ID token', () => {
  const idp = new DemoIdp('flashfest');
  let engine: RunningEngine;
  let browser: Browser;
  let world: BrowserWorld | undefined;
  let dealId: string;

  beforeAll(async () => {
    await idp.listen();
    world = await startBrowserWorld('index.html', {
      SHOPPER_AUTH: 'jwt', SHOPPER_JWKS_URL: idp.jwksUrl, SHOPPER_JWT_ISSUER: idp.issuer, SHOPPER_JWT_AUDIENCE: 'flashfest',
    });
    ({ engine, browser } = world);
    dealId = (await seedDeals(engine.env.pool, [
      { title: 'Karachi Kurta', stock: 5, limit: 1, startsIn: -1_000, priceMinor: 399_900, currency: 'PKR' },
    ])).dealIds[0]!;
    await warmNow(engine.env, [dealId]);
  }, 60_000);

  afterAll(async () => {
    await world?.close();
    await idp.close();
  });

  async function phone(token: string) {
    const context = await browser.newContext({ viewport: { width: 393, height: 851 }, isMobile: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${engine.url}/#id_token=${token}`);
    return { context, page, errors };
  }

  it('takes the token out of the URL, grabs as the account, and the order follows it to another device', async () => {
    const first = await phone(await idp.sign('amina', { extra: { city: 'Lahore' } }));
    const card = first.page.locator(`[data-testid="deal-${dealId}"]`);
    await card.waitFor({ timeout: 15_000 });
    expect(first.page.url()).not.toContain('id_token');
    await expect.poll(() => first.page.locator('[data-testid="conn"]').getAttribute('data-status'), { timeout: 10_000 }).toBe('live');
    await first.page.locator(`[data-testid="grab-${dealId}"]`).click();
    await first.page.locator(`[data-testid="pay-${dealId}"]`).waitFor({ timeout: 10_000 });
    await first.page.screenshot({ path: `${ARTIFACTS}/shopper-account-held.png`, fullPage: true });

    const stock = new StockStore(engine.env.redis, engine.config.keyPrefix);
    const holds = await stock.listHolds(dealId);
    expect(holds.map((h) => h.shopper)).toEqual([accountShopperId(engine.config.shopperIdSecret, idp.issuer, 'amina')]);

    // the same person on a second device, with a token of its own: same account, same order
    const second = await phone(await idp.sign('amina', { extra: { jti: 'tablet' } }));
    await expect.poll(() => second.page.locator(`[data-testid="order-${holds[0]!.hold}"]`).count(), { timeout: 15_000 }).toBe(1);
    expect(first.errors.concat(second.errors)).toEqual([]);
    await first.context.close();
    await second.context.close();
  }, 90_000);
});
