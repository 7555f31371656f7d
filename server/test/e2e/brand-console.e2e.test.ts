// End to end in real Chromium: a brand signs in to /brand with its key, gets a validation error
// inline, creates a deal through the form, and a shopper page shows that deal; an edited start
// time re-arms the countdown on an open shopper page and the deal opens at the new second. The
// console speaks the brand's terms: prices as typed, times in the zone its form shows, default
// times inside the festival, a success banner that goes once the brand moves on. On a phone, a
// deal's stock buckets are set, refused in the form's words, shown in the table, and locked once
// the deal is warm in Redis (where the ops board sums the buckets' counters); a deal left
// automatic shows the count Redis chose once warm.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, startBrowserWorld, type BrowserWorld } from '../helpers/browser-world.ts';
import type { RunningEngine } from '../helpers/engine.ts';
import type { OpsSnapshot } from '../../src/shared/ops-view.ts';
import { BrandClient, dealInput, newBrand, newFestival } from '../brand/helpers.ts';
import { newSession } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { waitFor } from '../helpers/test-env.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
// The brand's browser runs in Karachi (UTC+5, no daylight saving): its local times cannot be
// mistaken for the UTC the API speaks.
const ZONE = 'Asia/Karachi';
const KARACHI_OFFSET = 5 * HOUR;
/** epoch ms -> the value of a datetime-local input in Karachi */
const karachiInput = (ms: number) => new Date(ms + KARACHI_OFFSET).toISOString().slice(0, 19);
/** a datetime-local value in Karachi -> epoch ms */
const fromKarachiInput = (v: string) => Date.parse(`${v}+05:00`);
const OPS = 'ops-token-for-the-brand-console-test';
const PHONE = { width: 360, height: 740 };

describe('brand console and shopper page in Chromium', () => {
  let engine: RunningEngine;
  let browser: Browser;
  let world: BrowserWorld | undefined;
  let key: string;
  let fest: string;

  beforeAll(async () => {
    // 100 units a bucket: only the automatic deal of 300 below is split (the others hold at most 40)
    world = await startBrowserWorld('brand.html', { PREWARM_SECONDS: '2', OPS_TOKEN: OPS, STOCK_BUCKET_UNITS: '100' });
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

  async function signedInAt(zone: string, viewport = { width: 1366, height: 800 }): Promise<Page> {
    const context = await browser.newContext({ timezoneId: zone, locale: 'en-US', viewport });
    const page = await context.newPage();
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${engine.url}/brand`);
    await page.getByTestId('api-key').fill(key);
    await page.getByTestId('sign-in').click();
    await page.getByTestId('new-deal').waitFor({ timeout: 5_000 });
    return page;
  }

  async function fillDeal(page: Page, title: string, list: string, deal: string) {
    await page.locator('input[name="title"]').fill(title);
    await page.locator('input[name="currency"]').fill('PKR');
    await page.locator('input[name="listPrice"]').fill(list);
    await page.locator('input[name="dealPrice"]').fill(deal);
    await page.locator('input[name="stock"]').fill('5');
    await page.locator('input[name="limit"]').fill('1');
  }

  it('errors say prices in major units as typed and times in the local time the form shows', async () => {
    const later = await newFestival(engine.env.pool, 'Later Fest', 3 * HOUR, 2 * HOUR);
    const page = await signedInAt(ZONE);
    await page.getByTestId('new-deal').click();
    await page.locator('select[name="festivalId"]').selectOption(later);
    await fillDeal(page, 'Ajrak shawl', '1000', '1200'); // above the list price
    const start = Date.now() + 10 * MINUTE; // Later Fest opens in 3 hours
    await page.locator('input[name="startsAt"]').fill(karachiInput(start));
    await page.locator('input[name="endsAt"]').fill(karachiInput(start + 20 * MINUTE));
    await page.getByTestId('save-deal').click();

    // soft: each of the two errors is judged even when the other is wrong
    const priceErr = page.getByTestId('error-dealPriceMinor');
    await priceErr.waitFor({ timeout: 5_000 });
    const price = await priceErr.innerText();
    expect.soft(price).toContain('1,200.00');
    expect.soft(price).toContain('1,000.00');
    expect.soft(price).not.toMatch(/120000|100000|Minor/);

    // the festival's window as the form's festival list shows it, in Karachi time
    const startErr = await page.getByTestId('error-startsAt').innerText();
    const option = await page.locator(`select[name="festivalId"] option[value="${later}"]`).innerText();
    const [, opens, closes] = /\((.+) – (.+)\)/.exec(option)!;
    expect.soft(startErr).toContain(opens!);
    expect.soft(startErr).toContain(closes!);
    const festival = (await new BrandClient(engine.url, key).get('/api/brand/festivals')).body.festivals.find((f: { id: string }) => f.id === later);
    const karachiClock = (ms: number) => new Date(ms + KARACHI_OFFSET).toISOString().slice(11, 19);
    const twelveHour = (hms: string) => hms.replace(/^\d+/, (h) => String(((Number(h) + 11) % 12) + 1).padStart(2, '0'));
    expect.soft(startErr).toContain(twelveHour(karachiClock(festival.startsAt)));
    expect.soft(startErr).toContain(twelveHour(karachiClock(start)));
    expect.soft(startErr).not.toMatch(/\d{4}-\d\d-\d\dT/);
    expect.soft(await page.getByText(`Starts (your local time, ${ZONE})`).count()).toBe(1);
    await page.screenshot({ path: `${ARTIFACTS}/brand-errors-in-brand-terms.png`, fullPage: true });
    await page.context().close();
  }, 60_000);

  it("the new deal's default end lies inside a festival that ends within the hour, and the defaults save", async () => {
    const short = await newFestival(engine.env.pool, 'Short Fest', -MINUTE, 45 * MINUTE);
    const festival = (await new BrandClient(engine.url, key).get('/api/brand/festivals')).body.festivals.find((f: { id: string }) => f.id === short);
    const page = await signedInAt(ZONE);
    await page.getByTestId('new-deal').click();
    await page.locator('select[name="festivalId"]').selectOption(short);
    const startsAt = fromKarachiInput(await page.locator('input[name="startsAt"]').inputValue());
    const endsAt = fromKarachiInput(await page.locator('input[name="endsAt"]').inputValue());
    expect(startsAt).toBeGreaterThan(Date.now());
    expect(startsAt).toBeGreaterThanOrEqual(festival.startsAt);
    expect(endsAt).toBeGreaterThanOrEqual(startsAt + MINUTE);
    expect(endsAt).toBeLessThanOrEqual(festival.endsAt);

    await fillDeal(page, 'Short-lived kurta', '2000', '1500');
    await page.getByTestId('save-deal').click();
    await page.getByTestId('note').waitFor({ timeout: 5_000 });
    const { rows } = await engine.env.pool.query<{ festival_id: number }>(`SELECT festival_id FROM deals WHERE title = 'Short-lived kurta'`);
    expect(rows.map((r) => String(r.festival_id))).toEqual([short]);
    await page.context().close();
  }, 60_000);

  it('the success banner goes when the brand moves on: another field, a new deal', async () => {
    const page = await signedInAt(ZONE);
    await page.getByTestId('new-deal').click();
    await fillDeal(page, 'Banner test tea set', '3000', '2500');
    await page.getByTestId('save-deal').click();
    const saved = page.getByText('Created deal #');
    await saved.waitFor({ timeout: 5_000 });

    // the brand picks a CSV file: the banner about the form's deal goes
    const s = Date.now() + HOUR;
    const csv = `title,listPriceMinor,dealPriceMinor,currency,stock,limit,startsAt,endsAt\nBanner CSV mug,1000,900,PKR,5,1,${s},${s + 30 * MINUTE}\n`;
    await page.getByTestId('csv-file').setInputFiles({ name: 'deals.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await saved.waitFor({ state: 'detached', timeout: 2_000 });

    // the upload's success goes when the brand starts a new deal
    await page.getByTestId('csv-upload').click();
    const uploaded = page.getByText(/1 deals?(\(s\))? created/);
    await uploaded.waitFor({ timeout: 5_000 });
    await page.getByTestId('new-deal').click();
    await uploaded.waitFor({ state: 'detached', timeout: 2_000 });
    await page.context().close();
  }, 60_000);

  it('sets a deal\'s waiting room: an error in the form\'s words next to its field, then saved through the brand API', async () => {
    const api = new BrandClient(engine.url, key);
    const created = await api.post('/api/brand/deals', dealInput(fest, 2 * HOUR, { title: 'Room test lawn suit', stock: 40, limit: 1 }));
    const id = String(created.body.deal.id);
    const page = await signedInAt(ZONE);
    await page.getByTestId(`room-${id}`).click();
    const mode = page.getByTestId('room-mode');
    await mode.waitFor({ timeout: 5_000 });
    expect(await mode.inputValue()).toBe('off'); // a deal without a room row: the defaults

    await mode.selectOption('on');
    await page.getByTestId('room-outflow').fill('0');
    await page.getByTestId('room-windowSeconds').fill('45.5');
    await page.getByTestId('save-room').click();
    const outflowErr = page.getByTestId('room-error-outflow');
    await outflowErr.waitFor({ timeout: 5_000 });
    expect(await outflowErr.innerText()).toBe('Shoppers let in per second must be from 1 to 1,000,000.');
    expect(await page.getByTestId('room-error-windowSeconds').innerText()).toBe('Seconds to grab once let in must be a whole number.');
    expect((await api.get(`/api/brand/deals/${id}/room`)).body.settings.mode).toBe('off'); // nothing saved
    await page.screenshot({ path: `${ARTIFACTS}/brand-room-errors.png`, fullPage: true });

    await page.getByTestId('room-outflow').fill('25');
    await page.getByTestId('room-windowSeconds').fill('45');
    await page.getByTestId('room-graceSeconds').fill('20');
    await page.getByTestId('save-room').click();
    await page.getByText(`Saved the waiting room of deal #${id}: on, 25 shoppers let in per second.`).waitFor({ timeout: 5_000 });
    expect(await page.getByTestId('room-error-outflow').count()).toBe(0);
    expect((await api.get(`/api/brand/deals/${id}/room`)).body.settings).toEqual({ mode: 'on', outflow: 25, windowSeconds: 45, graceSeconds: 20, autoMultiple: 3 });
    await page.context().close();
  }, 60_000);

  it('ticking cash on delivery on a live deal lets a shopper pay cod where it was method_not_allowed', async () => {
    const api = new BrandClient(engine.url, key);
    const created = await api.post('/api/brand/deals', dealInput(fest, 5_000, { title: 'Spice Box', stock: 5, limit: 2 }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.deal.id as string;
    expect(created.body.deal.paymentMethods).toEqual(['wallet', 'card']);
    // polled inside the key's rate limit (10/s, burst 30): at waitFor's default 40/s the bucket
    // was empty when the deal went live, and a later read of this test got 429 (failed once in
    // the full suite)
    await waitFor(async () => (await api.get(`/api/brand/deals/${id}`)).body.deal.state === 'live' || null, 'deal live', 15_000, 250);

    const ws = await ShopperSocket.open(engine.wsUrl, (await newSession(engine.url)).token);
    try {
      ws.send({ t: 'grab', deal: id, qty: 1, rid: 'g1' });
      const held = await ws.answerTo('g1');
      if (held.t !== 'held') throw new Error(`not held: ${JSON.stringify(held)}`);
      ws.send({ t: 'pay', hold: held.hold, rid: 'cod-before', method: 'cod' });
      expect(await ws.answerTo('cod-before')).toMatchObject({ t: 'refused', code: 'method_not_allowed' });

      const page = await signedInAt(ZONE);
      await page.getByTestId(`payment-${id}`).click();
      // every box cleared: refused in the brand's words, nothing sent
      for (const m of ['wallet', 'card', 'cod']) await page.getByTestId(`method-${m}`).setChecked(false);
      await page.getByTestId('save-deal').click();
      expect(await page.getByTestId('error-paymentMethods').innerText()).toBe('Tick at least one way shoppers can pay.');
      expect((await api.get(`/api/brand/deals/${id}`)).body.deal.paymentMethods).toEqual(['wallet', 'card']);

      await page.getByTestId('method-card').check();
      await page.getByTestId('method-cod').check();
      await page.getByTestId('save-deal').click();
      await page.getByTestId('note').waitFor({ timeout: 5_000 });
      await page.screenshot({ path: `${ARTIFACTS}/brand-payment-methods.png`, fullPage: true });
      expect((await api.get(`/api/brand/deals/${id}`)).body.deal.paymentMethods).toEqual(['card', 'cod']);

      // the gateway learns it on dealChanged; each refused try charges nothing and keeps the hold
      let n = 0;
      const paid = await waitFor(async () => {
        const rid = `cod-after-${n++}`;
        ws.send({ t: 'pay', hold: held.hold, rid, method: 'cod' });
        const a = await ws.waitFor((m) => (m.t === 'paid' || m.t === 'refused') && 'rid' in m && m.rid === rid);
        return a.t === 'paid' ? a : null;
      }, 'cod accepted', 5_000, 100);
      expect(paid).toMatchObject({ t: 'paid', hold: held.hold, method: 'cod' });
      await page.context().close();
    } finally {
      ws.close();
    }
  }, 60_000);
  it('on a phone: sets stock buckets, shows the API refusal by the field (nothing saved), the count in the table, locked once warm', async () => {
    const pool = engine.env.pool;
    const api = new BrandClient(engine.url, key);
    const page = await signedInAt(ZONE, PHONE);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const buckets = page.locator('input[name="stockBuckets"]');
    const bucketsErr = page.getByTestId('error-stockBuckets');
    const stored = async (title: string) =>
      (await pool.query<{ id: number; stock_buckets: number | null }>('SELECT id, stock_buckets FROM deals WHERE title = $1', [title])).rows;
    /** nothing of the page sticks out sideways: the field, its help and its error wrap */
    const fitsWidth = () => page.evaluate(() => document.documentElement.scrollWidth);

    await page.getByTestId('new-deal').click();
    await fillDeal(page, 'Bucketed chai set', '3000', '2500'); // stock 5
    expect(await buckets.inputValue()).toBe(''); // blank: automatic
    expect(await page.getByText('STOCK_BUCKET_UNITS').count()).toBe(1);
    const box = (await buckets.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);

    // not a whole number, then out of the API's range: its refusal next to the field, in the
    // form's words; nothing created
    await buckets.fill('2.5');
    await page.getByTestId('save-deal').click();
    await bucketsErr.waitFor({ timeout: 5_000 });
    expect(await bucketsErr.innerText()).toBe('Stock buckets must be a whole number (1 to 16, or blank for automatic), not 2.5.');
    await buckets.fill('17');
    await page.getByTestId('save-deal').click();
    await expect.poll(() => bucketsErr.innerText(), { timeout: 5_000 }).toBe('Stock buckets 17 must be 1 to 16, or blank for automatic.');
    expect(await buckets.getAttribute('aria-invalid')).toBe('true');
    expect(await stored('Bucketed chai set')).toEqual([]);
    expect(await fitsWidth()).toBeLessThanOrEqual(PHONE.width);
    await page.screenshot({ path: `${ARTIFACTS}/brand-buckets-error-phone.png`, fullPage: true });

    await buckets.fill('3');
    await page.getByTestId('save-deal').click();
    await page.getByTestId('note').waitFor({ timeout: 5_000 });
    const [row] = await stored('Bucketed chai set');
    expect(row?.stock_buckets).toBe(3);
    const id = String(row!.id);
    const cell = page.getByTestId(`deal-buckets-${id}`);
    await expect.poll(() => cell.innerText(), { timeout: 5_000 }).toBe('3');

    // edit: more buckets than units is refused by the field and changes nothing; blank is automatic
    await page.getByTestId(`edit-${id}`).click();
    expect(await buckets.inputValue()).toBe('3');
    await buckets.fill('9');
    await page.getByTestId('save-deal').click();
    await bucketsErr.waitFor({ timeout: 5_000 });
    expect(await bucketsErr.innerText()).toBe('Stock buckets 9 must not exceed the stock (5): every bucket starts with a unit.');
    expect((await stored('Bucketed chai set'))[0]?.stock_buckets).toBe(3);
    expect((await api.get(`/api/brand/deals/${id}`)).body.deal.stockBuckets).toBe(3);
    await buckets.fill('');
    await page.getByTestId('save-deal').click();
    await page.getByText(`Saved deal #${id}`).waitFor({ timeout: 5_000 });
    expect((await stored('Bucketed chai set'))[0]?.stock_buckets).toBeNull();
    await expect.poll(() => cell.innerText(), { timeout: 5_000 }).toBe('auto');

    // a deal warm in Redis in 2 buckets: the count shows, the field is locked with why, and the
    // payment methods still save around it
    const bucketFest = await newFestival(pool, 'Bucket Fest', -1_000, 2 * HOUR); // the ops board's festival: the latest to open
    const created = await api.post('/api/brand/deals', dealInput(bucketFest, 5_000, { title: 'Bucketed spice box', stock: 4, limit: 2, stockBuckets: 2 }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const warm = created.body.deal.id as string;
    const autoCreated = await api.post('/api/brand/deals', dealInput(bucketFest, 5_000, { title: 'Automatic tea tin', stock: 300, limit: 2 }));
    expect(autoCreated.status, JSON.stringify(autoCreated.body)).toBe(201);
    const autoWarm = autoCreated.body.deal.id as string;
    await waitFor(async () => (await api.get(`/api/brand/deals/${warm}`)).body.deal.state === 'live' || null, 'deal live', 15_000, 250);
    const ws = await ShopperSocket.open(engine.wsUrl, (await newSession(engine.url)).token);
    try {
      ws.send({ t: 'grab', deal: warm, qty: 1, rid: 'b1' });
      expect((await ws.answerTo('b1')).t).toBe('held');
    } finally {
      ws.close();
    }
    await expect.poll(() => page.getByTestId(`deal-buckets-${warm}`).innerText(), { timeout: 5_000 }).toBe('2');
    await expect.poll(() => page.getByTestId(`deal-held-${warm}`).innerText(), { timeout: 5_000 }).toBe('1');
    await page.getByTestId(`payment-${warm}`).click();
    expect(await buckets.isDisabled()).toBe(true);
    expect(await buckets.inputValue()).toBe('2');
    expect(await page.getByTestId('stock-buckets-locked').innerText()).toBe('Fixed: the deal is warm in Redis, its stock split into 2 buckets.');
    expect(await fitsWidth()).toBeLessThanOrEqual(PHONE.width);
    await page.screenshot({ path: `${ARTIFACTS}/brand-buckets-locked-phone.png`, fullPage: true });
    await page.getByTestId('method-cod').check();
    await page.getByTestId('save-deal').click();
    await page.getByTestId('note').waitFor({ timeout: 5_000 });
    expect((await api.get(`/api/brand/deals/${warm}`)).body.deal).toMatchObject({ stockBuckets: 2, paymentMethods: ['wallet', 'card', 'cod'] });

    // the ops board counts the deal over both buckets: one held, three left of four
    const opsDeal = async () => {
      const res = await fetch(`${engine.url}/api/ops/snapshot`, { headers: { authorization: `Bearer ${OPS}` } });
      const { snapshot } = (await res.json()) as { snapshot: OpsSnapshot };
      return snapshot.deals.find((d) => d.id === warm) ?? null;
    };
    const counted = await waitFor(async () => { const d = await opsDeal(); return d && d.held === 1 ? d : null; }, 'ops board deal', 10_000, 200);
    expect(counted).toMatchObject({ stock: 4, held: 1, sold: 0, available: 3 });

    // left automatic, 300 units at STOCK_BUCKET_UNITS=100: once warm the table and the locked
    // field say the 3 buckets Redis holds, and the field stays blank (automatic)
    await expect.poll(() => page.getByTestId(`deal-buckets-${autoWarm}`).innerText(), { timeout: 10_000 }).toBe('auto (3)');
    expect((await api.get(`/api/brand/deals/${autoWarm}`)).body.deal).toMatchObject({ stockBuckets: null, warmBuckets: 3 });
    await page.getByTestId(`payment-${autoWarm}`).click();
    await expect.poll(() => buckets.getAttribute('placeholder'), { timeout: 5_000 }).toBe('auto (3)');
    expect(await buckets.isDisabled()).toBe(true);
    expect(await buckets.inputValue()).toBe('');
    expect(await page.getByTestId('stock-buckets-locked').innerText()).toBe('Fixed: the deal is warm in Redis, its stock split into 3 buckets by the engine\'s rule.');
    expect(await fitsWidth()).toBeLessThanOrEqual(PHONE.width);
    await page.screenshot({ path: `${ARTIFACTS}/brand-buckets-auto-phone.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  }, 90_000);
});
