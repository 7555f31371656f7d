// The waiting room on the shopper page, in real Chromium at phone size (393x851) against a real
// engine: the page solves the door's proof of work (also for its guest session while a room is
// on), shows the place ("about N ahead") and the wait, the draw's committed hash; a page that
// joins later sees a longer line; admitted, the grab button lights and the grab (carrying the
// pass) goes through to a paid order; "sold out" replaces the line on every waiting page the
// moment the room closes; a dropped socket re-joins and keeps the place; the line box in Urdu is
// laid out right to left inside the phone's width. Screenshots go to test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ARTIFACTS, startBrowserWorld, type BrowserWorld } from '../helpers/browser-world.ts';
import { seedDeals, warmNow, type RunningEngine } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { controlRoom, joinLine } from '../helpers/room-waiter.ts';
import { waitFor } from '../helpers/test-env.ts';
import { putRoomSettings } from '../../src/room/settings-repo.ts';
import { RoomStore } from '../../src/room/room-store.ts';
import type { ServerMessage } from '../../src/shared/protocol.ts';
import type { AdmittedMsg, JoinedMsg } from '../../src/shared/room-protocol.ts';

const PHONE = { width: 393, height: 851 };

/** Keeps every WebSocket the page opens reachable, so a test can drop the line. */
const SOCKET_TAP = `
  window.__sockets = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); window.__sockets.push(this); }
  };
`;

describe('waiting room on the shopper page (phone)', () => {
  let engine: RunningEngine;
  let browser: Browser;
  let world: BrowserWorld | undefined;
  let festivalId: string;
  let line: string;
  let soldOut: string;
  let rtl: string;
  let redrop: string;
  const contexts: BrowserContext[] = [];
  const sockets: ShopperSocket[] = [];

  beforeAll(async () => {
    world = await startBrowserWorld('index.html', {
      ROOM_TICK_MS: '100', ROOM_POW_BASE: '300', ROOM_POW_PER_WAITER: '0', ROOM_PRESENCE_MS: '500',
    });
    ({ engine, browser } = world);
    let dealIds: string[];
    ({ festivalId, dealIds } = await seedDeals(engine.env.pool, [
      { title: 'Hand-block printed lawn, 3-piece', stock: 10, limit: 1, startsIn: -1_000, priceMinor: 249_900, currency: 'PKR' },
      { title: 'One last smartwatch', stock: 1, limit: 1, startsIn: -1_000, priceMinor: 34_900, currency: 'CNY' },
      { title: 'Basmati rice 25 kg', stock: 10, limit: 1, startsIn: -1_000, priceMinor: 10_000_000, currency: 'INR' },
      { title: 'Garam masala gift box', stock: 10, limit: 1, startsIn: -1_000, priceMinor: 44_900, currency: 'INR' },
    ], '11.11 Waiting Room'));
    [line, soldOut, rtl, redrop] = dealIds as [string, string, string, string];
    await warmNow(engine.env, dealIds);
    const rooms = new RoomStore(engine.env.redis, engine.config.keyPrefix, engine.config.room);
    for (const id of dealIds) {
      const s = await putRoomSettings(engine.env.pool, id, { mode: 'on', outflow: 1, windowSeconds: 60, graceSeconds: 30, autoMultiple: 3 });
      await rooms.warm(id, s);
      await control(id, { paused: true });
    }
    // the room has drawn its (empty) pre-queue: later arrivals are FIFO
    for (const id of dealIds) await waitFor(async () => (await roomState(id)) === 'open' || null, `room ${id} open`, 10_000);
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    for (const c of contexts) await c.close();
    await world?.close();
  });

  const control = (deal: string, body: { paused?: boolean; outflow?: number }) => controlRoom(engine.url, engine.config.opsToken, deal, body);

  async function roomState(deal: string): Promise<string> {
    return ((await (await fetch(`${engine.url}/api/rooms/${deal}`)).json()) as { state: string }).state;
  }

  async function waiter(deal: string): Promise<{ s: ShopperSocket; joined: JoinedMsg }> {
    const w = await joinLine(engine.url, engine.wsUrl, festivalId, deal);
    sockets.push(w.s);
    return w;
  }

  async function phonePage(opts: { locale?: string; init?: string } = {}): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2.75, isMobile: true, hasTouch: true, locale: opts.locale ?? 'en-US' });
    contexts.push(context);
    if (opts.init) await context.addInitScript(opts.init);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    return { page, errors };
  }

  const room = (page: Page, deal: string) => page.locator(`[data-testid="room-${deal}"]`);
  const ahead = async (page: Page, deal: string) => Number(await page.locator(`[data-testid="room-ahead-${deal}"]`).getAttribute('data-ahead'));

  /** Opens the page, waits for the deal's line box, and joins it (the browser solves the PoW). */
  async function joinOnPage(page: Page, deal: string): Promise<void> {
    await page.goto(engine.url);
    await expect.poll(() => room(page, deal).getAttribute('data-status'), { timeout: 15_000 }).toBe('outside');
    await expect.poll(() => page.locator('[data-testid="conn"]').getAttribute('data-status'), { timeout: 10_000 }).toBe('live');
    // while the room is on, the card has no grab button: the line is the way in
    expect(await page.locator(`[data-testid="grab-${deal}"]`).count()).toBe(0);
    await page.locator(`[data-testid="room-join-${deal}"]`).click();
    await expect.poll(() => room(page, deal).getAttribute('data-status'), { timeout: 20_000 }).toBe('in_line');
  }

  it('join -> place and ETA -> a later page sees a longer line -> admitted -> grab with the pass -> pay', async () => {
    // three shoppers are in line before the pages
    for (let i = 0; i < 3; i++) await waiter(line);
    const a = await phonePage();
    await joinOnPage(a.page, line);
    await expect.poll(() => ahead(a.page, line), { timeout: 5_000 }).toBe(3);
    // the draw's committed hash (and, the draw done, its seed) is on the page, as the room says
    const published = (await (await fetch(`${engine.url}/api/rooms/${line}`)).json()) as { commit: string; seed: string };
    expect(await a.page.locator(`[data-testid="room-commit-${line}"]`).textContent()).toBe(published.commit);
    expect(await a.page.locator(`[data-testid="room-seed-${line}"]`).textContent()).toBe(published.seed);
    expect(await a.page.locator(`[data-testid="room-ahead-${line}"]`).innerText()).toBe('You are in line: about 3 ahead');

    const b = await phonePage();
    await joinOnPage(b.page, line);
    await expect.poll(() => ahead(b.page, line), { timeout: 5_000 }).toBe(4);
    expect(await ahead(b.page, line)).toBeGreaterThan(await ahead(a.page, line));
    await a.page.screenshot({ path: `${ARTIFACTS}/phone-room-in-line.png` });

    // the line moves (1 a second): both pages count down their place and show a wait range
    await control(line, { paused: false });
    await b.page.locator(`[data-testid="room-eta-${line}"]`).waitFor({ timeout: 10_000 });
    expect(await b.page.locator(`[data-testid="room-eta-${line}"]`).innerText()).toMatch(/^\d+(–\d+)? sec$/u);
    expect(await b.page.locator(`[data-testid="room-ahead-${line}"]`).innerText()).toMatch(/You are in line: about \d ahead, \d+(–\d+)? sec/u);

    // A's turn: the grab button lights, with the window's countdown
    await expect.poll(() => room(a.page, line).getAttribute('data-status'), { timeout: 15_000 }).toBe('admitted');
    const grab = a.page.locator(`[data-testid="grab-${line}"]`);
    expect(await grab.isEnabled()).toBe(true);
    expect(await a.page.locator(`[data-testid="room-window-${line}"]`).innerText()).toMatch(/Your turn! Grab within \d\d:\d\d/u);
    await a.page.screenshot({ path: `${ARTIFACTS}/phone-room-admitted.png` });
    await grab.click();
    await a.page.locator(`[data-testid="pay-${line}"]`).click();
    await a.page.locator('[data-testid="method-card"]').click();
    await a.page.locator('[data-testid="checkout-confirm"]').click();
    await a.page.locator('[data-testid="checkout-order-no"]').waitFor({ timeout: 10_000 });
    await waitFor(async () => {
      const { rows } = await engine.env.pool.query<{ status: string }>('SELECT status FROM orders WHERE deal_id = $1', [line]);
      return rows[0]?.status === 'paid' || null;
    }, 'the order paid in Postgres', 15_000);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  }, 120_000);

  it('"sold out" replaces the line on every waiting page the moment the room closes', async () => {
    // the first in line takes the only unit; the two pages behind it are never let in for nothing
    const first = await waiter(soldOut);
    const pages = [await phonePage(), await phonePage()];
    for (const p of pages) await joinOnPage(p.page, soldOut);
    await control(soldOut, { paused: false, outflow: 50 });
    const admitted = (await first.s.waitFor((m) => m.t === 'admitted' && m.deal === soldOut)) as AdmittedMsg;
    // stock-aware: one unit, one shopper admitted; the pages still wait
    for (const p of pages) expect(await room(p.page, soldOut).getAttribute('data-status')).toBe('in_line');
    first.s.send({ t: 'grab', deal: soldOut, qty: 1, rid: 'last-unit', pass: admitted.pass });
    const held = await first.s.answerTo('last-unit');
    expect(held).toMatchObject({ t: 'held' });
    first.s.send({ t: 'pay', hold: (held as { hold: string }).hold, rid: 'pay-last', method: 'card' });
    await first.s.waitFor((m: ServerMessage) => m.t === 'paid');
    for (const p of pages) {
      await expect.poll(() => room(p.page, soldOut).getAttribute('data-status'), { timeout: 10_000 }).toBe('closed');
      expect(await p.page.locator(`[data-testid="room-closed-${soldOut}"]`).innerText()).toBe('Sold out: the line is closed.');
      expect(await p.page.locator(`[data-testid="room-ahead-${soldOut}"]`).count()).toBe(0);
      expect(await p.page.locator(`[data-testid="room-join-${soldOut}"]`).count()).toBe(0);
      expect(p.errors).toEqual([]);
    }
    await pages[0]!.page.screenshot({ path: `${ARTIFACTS}/phone-room-sold-out.png` });
  }, 90_000);

  it('a dropped socket joins again and keeps the place (and is let in when the line reaches it)', async () => {
    const { page, errors } = await phonePage({ init: SOCKET_TAP });
    await joinOnPage(page, redrop);
    const before = await ahead(page, redrop);
    const sockets = () => page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.length);
    const opened = await sockets();
    await page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.at(-1)!.close());
    await expect.poll(sockets, { timeout: 10_000 }).toBeGreaterThan(opened);
    await expect.poll(() => page.locator('[data-testid="conn"]').getAttribute('data-status'), { timeout: 10_000 }).toBe('live');
    expect(await room(page, redrop).getAttribute('data-status')).toBe('in_line');
    expect(await ahead(page, redrop)).toBe(before);
    // only a socket the gateway knows is in line gets the pass
    await control(redrop, { paused: false, outflow: 50 });
    await expect.poll(() => room(page, redrop).getAttribute('data-status'), { timeout: 10_000 }).toBe('admitted');
    expect(await page.locator(`[data-testid="grab-${redrop}"]`).isEnabled()).toBe(true);
    expect(errors).toEqual([]);
  }, 60_000);

  it('Urdu: the line box runs right to left inside the phone\'s width', async () => {
    for (let i = 0; i < 2; i++) await waiter(rtl);
    const { page, errors } = await phonePage({ locale: 'ur-PK' });
    await joinOnPage(page, rtl);
    await expect.poll(() => ahead(page, rtl), { timeout: 5_000 }).toBe(2);
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    const box = room(page, rtl);
    const text = await page.locator(`[data-testid="room-ahead-${rtl}"]`).innerText();
    expect(text).toContain('آپ قطار میں ہیں');
    expect(text).toContain(new Intl.NumberFormat('ur-PK').format(2));
    const layout = await box.evaluate((el) => {
      const root = el.shadowRoot!;
      const b = el.getBoundingClientRect();
      const place = root.querySelector('.place')!.getBoundingClientRect();
      const leave = root.querySelector('button')!.getBoundingClientRect();
      const out: string[] = [];
      for (const child of root.querySelectorAll('*')) {
        const r = child.getBoundingClientRect();
        if (r.width === 0) continue;
        if (r.left < b.left - 0.5 || r.right > b.right + 0.5) out.push(`${child.tagName} ${r.left}..${r.right}`);
      }
      return {
        direction: getComputedStyle(el).direction, out, boxLeft: b.left, boxRight: b.right,
        scroll: el.scrollWidth, client: el.clientWidth, width: document.documentElement.clientWidth,
        placeFromRight: b.right - place.right, placeFromLeft: place.left - b.left, leave: leave.width,
      };
    });
    expect(layout.direction).toBe('rtl');
    expect(layout.out).toEqual([]);
    expect(layout.scroll).toBeLessThanOrEqual(layout.client);
    expect(layout.boxLeft).toBeGreaterThanOrEqual(0);
    expect(layout.boxRight).toBeLessThanOrEqual(layout.width);
    // the sentence starts at the box's right edge
    expect(layout.placeFromRight).toBeLessThanOrEqual(layout.placeFromLeft);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
    await box.scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${ARTIFACTS}/phone-room-ur.png` });
    expect(errors).toEqual([]);
  }, 60_000);
});
