// The shopper page in English, Urdu (right to left), Hindi and Simplified Chinese, in real
// Chromium at phone size (393x851) against a real engine: the browser's language picks the
// page's by default; UI strings, <html lang dir>, money and counts follow it (hi-IN groups
// 1,00,000); Urdu mirrors the layout; nothing overflows the phone's width; the header's switch
// is remembered across a
// reload, by the page and by the shell the server renders. Screenshots per language go to
// test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ARTIFACTS, startBrowserWorld, type BrowserWorld } from '../helpers/browser-world.ts';
import { seedDeals, warmNow, type RunningEngine } from '../helpers/engine.ts';

const PHONE = { width: 393, height: 851 };

interface Case {
  tag: string;
  /** what the browser says it reads (navigator.languages, Accept-Language) */
  browser: string;
  dir: 'ltr' | 'rtl';
  grab: string;
  startsIn: RegExp;
  myOrders: string;
  checkout: string;
  /** the open deal's price, 1,00,000 rupees */
  lakh: string;
}

const CASES: Case[] = [
  { tag: 'en', browser: 'en-US', dir: 'ltr', grab: 'Grab', startsIn: /^Starts in \S/u, myOrders: 'My orders', checkout: 'Checkout',
    lakh: '₹100,000' },
  { tag: 'ur', browser: 'ur-PK', dir: 'rtl', grab: 'ابھی لیں', startsIn: /^شروع ہونے میں \S/u, myOrders: 'میرے آرڈر', checkout: 'چیک آؤٹ',
    lakh: '₹100,000' },
  { tag: 'hi', browser: 'hi-IN', dir: 'ltr', grab: 'अभी लें', startsIn: /\S में शुरू$/u, myOrders: 'मेरे ऑर्डर', checkout: 'चेकआउट',
    lakh: '₹1,00,000' },
  { tag: 'zh-Hans', browser: 'zh-CN', dir: 'ltr', grab: '立即抢购', startsIn: /\S 后开始$/u, myOrders: '我的订单', checkout: '去结算',
    lakh: '₹100,000' },
];

/** Every rendered box, through shadow roots, that reaches past the viewport's sides. */
const OVERFLOWING = `(() => {
  const out = [];
  const width = document.documentElement.clientWidth;
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) visit(el.shadowRoot);
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (r.left < -0.5 || r.right > width + 0.5) out.push(el.tagName.toLowerCase() + '.' + el.className + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
  };
  visit(document);
  if (document.documentElement.scrollWidth > width) out.push('document scrollWidth ' + document.documentElement.scrollWidth);
  return out;
})()`;

describe('shopper page in four languages, on a phone', () => {
  let engine: RunningEngine;
  let browser: Browser;
  let world: BrowserWorld | undefined;
  let open: string;
  let later: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    world = await startBrowserWorld('index.html', { PREWARM_SECONDS: '2' });
    ({ engine, browser } = world);
    const { dealIds } = await seedDeals(engine.env.pool, [
      { title: 'Basmati rice 25 kg, extra long grain', stock: 500, limit: 1, startsIn: -1_000, priceMinor: 10_000_000, currency: 'INR' },
      { title: 'Hand-block printed lawn, 3-piece', stock: 20, limit: 1, startsIn: 3_600_000, priceMinor: 249_900, currency: 'PKR' },
    ], '11.11 Languages');
    [open, later] = dealIds as [string, string];
    await warmNow(engine.env, [open]);
  }, 60_000);

  afterAll(async () => {
    for (const c of contexts) await c.close();
    await world?.close();
  });

  async function phonePage(locale: string): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2.75, isMobile: true, hasTouch: true, locale });
    contexts.push(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    return { page, errors };
  }

  const text = (page: Page, testid: string) => page.locator(`[data-testid="${testid}"]`).innerText().then((t) => t.trim());

  for (const c of CASES) {
    it(`${c.tag}: strings, <html lang dir>, money, layout ${c.dir}, no overflow, checkout`, async () => {
      const { page, errors } = await phonePage(c.browser);
      await page.goto(engine.url);
      const card = page.locator(`[data-testid="deal-${open}"]`);
      await card.waitFor({ timeout: 15_000 });
      await expect.poll(() => page.locator('[data-testid="conn"]').getAttribute('data-status'), { timeout: 10_000 }).toBe('live');

      expect(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir])).toEqual([c.tag, c.dir]);
      expect(await page.locator('[data-testid="language"]').inputValue()).toBe(c.tag);
      expect(await text(page, 'my-orders')).toBe(c.myOrders);
      expect(await text(page, `grab-${open}`)).toBe(c.grab);
      expect(await text(page, `when-${later}`)).toMatch(c.startsIn);
      expect(await text(page, `price-${open}`)).toBe(c.lakh);

      // mirrored in Urdu: the header's first item (the festival name) is on the right
      const name = (await page.locator('[data-testid="festival-name"]').boundingBox())!;
      const orders = (await page.locator('[data-testid="my-orders"]').boundingBox())!;
      if (c.dir === 'rtl') expect(name.x).toBeGreaterThan(orders.x + orders.width - 1);
      else expect(name.x + name.width).toBeLessThan(orders.x + 1);
      // ... and so is a card's text: the title starts at the card's right edge
      const title = await card.evaluate((el) => {
        const h = el.shadowRoot!.querySelector('h2 bdi')!.getBoundingClientRect();
        const b = el.getBoundingClientRect();
        return { fromLeft: h.left - b.left, fromRight: b.right - h.right };
      });
      if (c.dir === 'rtl') expect(title.fromRight).toBeLessThan(title.fromLeft);

      expect(await page.evaluate(OVERFLOWING)).toEqual([]);
      await page.screenshot({ path: `${ARTIFACTS}/phone-lang-${c.tag}.png` });

      // grab -> checkout, in the language
      await page.locator(`[data-testid="grab-${open}"]`).click();
      const pay = page.locator(`[data-testid="pay-${open}"]`);
      await pay.waitFor({ timeout: 10_000 });
      expect((await pay.innerText()).trim()).toBe(c.checkout);
      await pay.click();
      await expect.poll(() => page.locator('[data-testid="checkout"]').isVisible(), { timeout: 5_000 }).toBe(true);
      expect(await text(page, 'checkout-amount')).toBe(c.lakh);
      expect(await page.evaluate(OVERFLOWING)).toEqual([]);
      await page.screenshot({ path: `${ARTIFACTS}/phone-lang-${c.tag}-checkout.png` });
      await page.keyboard.press('Escape');

      expect(errors).toEqual([]);
    }, 60_000);
  }

  it('the header\'s switch is remembered across a reload, by the page and by the shell the server sends', async () => {
    const { page, errors } = await phonePage('en-US');
    await page.goto(engine.url);
    await page.locator(`[data-testid="deal-${open}"]`).waitFor({ timeout: 15_000 });
    expect(await text(page, 'my-orders')).toBe('My orders');
    await page.locator('[data-testid="language"]').selectOption('ur');
    await expect.poll(() => page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    expect(await text(page, 'my-orders')).toBe('میرے آرڈر');

    // the server renders the shell of / in the remembered language (its cookie)...
    const shell = await (await page.request.get(engine.url)).text();
    expect(shell).toContain('<html lang="ur" dir="rtl">');
    expect(shell).toContain('فی خریدار حد'); // the shell's "Limit N per shopper", in Urdu
    // ... and the page, whether / comes from the network or the service worker's cache
    await page.reload();
    await page.locator(`[data-testid="deal-${open}"]`).waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir])).toEqual(['ur', 'rtl']);
    expect(await text(page, 'my-orders')).toBe('میرے آرڈر');
    expect(await page.locator('[data-testid="language"]').inputValue()).toBe('ur');

    await page.locator('[data-testid="language"]').selectOption('hi');
    await expect.poll(() => text(page, `price-${open}`)).toBe('₹1,00,000');
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('ltr');
    expect(errors).toEqual([]);
  }, 60_000);
});
