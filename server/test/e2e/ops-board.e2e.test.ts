// The ops board and the shopper page in real Chromium during a scripted storm: the board asks
// for the ops token, then its GMV number and charts move; the shopper's stock bar drops and the
// ticker shows who-less items. Screenshots go to test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, startBrowserWorld, type BrowserWorld } from '../helpers/browser-world.ts';
import { seedDeals, warmNow, type RunningEngine } from '../helpers/engine.ts';
import { openSockets } from '../live/storm.ts';
import type { ShopperSocket } from '../helpers/shopper-socket.ts';

const OPS = 'ops-token-for-the-e2e-board';

/** Reads a value from inside the board's shadow DOM. */
function board<T>(page: Page, fn: (root: ShadowRoot) => T): Promise<T> {
  return page.evaluate(`(${fn.toString()})(document.querySelector('ff-ops-board').shadowRoot)`) as Promise<T>;
}

describe('ops board and shopper ticker in Chromium', () => {
  let engine: RunningEngine;
  let browser: Browser;
  let world: BrowserWorld | undefined;
  let dealIds: string[];
  let shoppers: ShopperSocket[] = [];

  beforeAll(async () => {
    world = await startBrowserWorld('ops.html', { OPS_TOKEN: OPS, TICKER_PER_SECOND: '3', RATE_LIMIT_BURST: '40' });
    ({ engine, browser } = world);
    ({ dealIds } = await seedDeals(engine.env.pool, [
      { title: 'Redmi Note 13', stock: 400, limit: 3, startsIn: -2_000, priceMinor: 4_999_900, currency: 'PKR' },
      { title: 'Basmati Rice 5 kg', stock: 600, limit: 3, startsIn: -2_000, priceMinor: 89_900, currency: 'INR' },
      { title: 'Shenzhen Earbuds', stock: 300, limit: 3, startsIn: -2_000, priceMinor: 12_900, currency: 'CNY' },
    ], '11.11 Ops Test'));
    await warmNow(engine.env, dealIds);
    shoppers = await openSockets(engine.wsUrl, engine.config.sessionSecret, 150);
  }, 60_000);

  afterAll(async () => {
    for (const s of shoppers) s.close();
    await world?.close();
  });

  it('GMV and charts move during a storm; the shopper sees stock drop and the ticker', async () => {
    const errors: string[] = [];
    const ops = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    ops.on('pageerror', (e) => errors.push(`ops: ${String(e)}`));
    await ops.goto(`${engine.url}/ops`);
    // a wrong token is refused and asked for again; the right one opens the board
    await ops.locator('[data-testid="token"]').fill('not-the-ops-token-at-all');
    await ops.locator('[data-testid="token-form"] button').click();
    await ops.locator('[role="alert"]').waitFor({ timeout: 10_000 });
    await ops.locator('[data-testid="token"]').fill(OPS);
    await ops.locator('[data-testid="token-form"] button').click();
    await expect.poll(() => ops.locator('[data-testid="ops-status"]').getAttribute('data-status'), { timeout: 10_000 }).toBe('live');
    const gmv = ops.locator('[data-testid="gmv"]');
    await gmv.waitFor({ timeout: 10_000 });
    expect(await gmv.getAttribute('data-minor')).toBe('0');

    const shop = await browser.newPage({ viewport: { width: 390, height: 844 } });
    shop.on('pageerror', (e) => errors.push(`shop: ${String(e)}`));
    await shop.goto(engine.url);
    const bar = shop.locator(`[data-testid="stockbar-${dealIds[0]}"]`);
    await bar.waitFor({ timeout: 15_000 });
    expect(await bar.getAttribute('data-available')).toBe('400');

    // the storm: waves of grabs (and payments for half the holds) over ~8 s, so the charts get
    // several points and the GMV several steps
    const gmvSeen = new Set<string>();
    let rid = 0;
    for (let wave = 0; wave < 8; wave++) {
      const answers = await Promise.all(shoppers.slice(wave * 18, wave * 18 + 18).flatMap((s) => dealIds.map(async (deal) => {
        const r = `w${wave}-${rid++}`;
        s.send({ t: 'grab', deal, qty: 1, rid: r });
        return { s, m: await s.answerTo(r, 20_000) };
      })));
      answers.forEach(({ s, m }, i) => {
        if (m.t === 'held' && i % 2 === 0) s.send({ t: 'pay', hold: m.hold, rid: `p-${m.hold}` });
      });
      await new Promise((r) => setTimeout(r, 1_000));
      gmvSeen.add((await gmv.getAttribute('data-minor')) ?? '');
    }
    // GMV went up in steps, and the big number shows it (animated to the exact value)
    await expect.poll(async () => Number(await gmv.getAttribute('data-minor')), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(gmvSeen.size).toBeGreaterThanOrEqual(3);
    const charts = await board(ops, (root) => {
      const c = (id: string) => root.querySelector(`ops-chart#${id}`) as unknown as { points: number; series: { values: number[] }[] };
      return { orders: c('orders').points, grabs: c('grabs').points, maxOrders: Math.max(...c('orders').series[0]!.values), maxGrabs: Math.max(...c('grabs').series[0]!.values) };
    });
    expect(charts.orders).toBeGreaterThanOrEqual(5);
    expect(charts.maxOrders).toBeGreaterThan(0);
    expect(charts.maxGrabs).toBeGreaterThan(0);
    expect(await ops.locator(`[data-testid="ops-deal-${dealIds[0]}"]`).count()).toBe(1);
    await expect.poll(() => ops.locator('[data-testid="node"]').count(), { timeout: 5_000 }).toBeGreaterThan(0);
    expect(await ops.locator('[data-testid="leader"]').count()).toBe(1);
    await ops.waitForTimeout(1_000); // let the last GMV animation land
    await ops.screenshot({ path: `${ARTIFACTS}/ops-board.png`, fullPage: true });

    // the shopper's page: the stock bar dropped, the ticker names a city and a product
    await expect.poll(async () => Number(await bar.getAttribute('data-available')), { timeout: 10_000 }).toBeLessThan(400);
    const item = shop.locator('[data-testid="ticker-item"]').first();
    await item.waitFor({ timeout: 10_000 });
    expect(await item.innerText()).toMatch(/^Someone in \w+ just grabbed (\d+ × )?(Redmi Note 13|Basmati Rice 5 kg|Shenzhen Earbuds)$/);
    await shop.screenshot({ path: `${ARTIFACTS}/shopper-ticker.png`, fullPage: true });
    expect(errors).toEqual([]);
  }, 120_000);
});
