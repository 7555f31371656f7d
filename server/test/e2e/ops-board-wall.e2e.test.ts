// The ops board as a wall screen: Chromium at 1920x1080 with 30 deals, a storm going on, one deal
// sold out while shoppers still hold its last units. The wall cannot scroll and is read from
// across a room, so: every tile, table row, chart and control inside the viewport and apart,
// no text on top of other text or cut off, no scrollbar, every deal reachable by the page
// rotation, large type, 24-hour chart axes whose labels do not collide, and WCAG AA contrast
// computed from the browser's own computed styles. Screenshots go to test-artifacts/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, startBrowserWorld, type BrowserWorld } from '../helpers/browser-world.ts';
import { seedDeals, warmNow, type DealSpec, type RunningEngine } from '../helpers/engine.ts';
import { openSockets } from '../live/storm.ts';
import type { ShopperSocket } from '../helpers/shopper-socket.ts';
import { controlRoom, joinLine } from '../helpers/room-waiter.ts';
import { putRoomSettings } from '../../src/room/settings-repo.ts';
import { RoomStore } from '../../src/room/room-store.ts';

const OPS = 'ops-token-for-the-wall-board';
const WALL = { width: 1920, height: 1080 };
const DEALS = 30;
// the sold-out deal's whole stock is held, 3 units each, by shoppers who do not pay
const SOLD_OUT_STOCK = 120;
const SOLD_OUT_LIMIT = 3;
/** seconds per page of the deal table (the board's `?rotate=` parameter): short, for the test */
const ROTATE_S = 2;

// Titles as brands type them: some long, some not Latin.
const TITLES = [
  'Redmi Note 13 Pro+ 5G 12 GB / 512 GB Midnight Black', 'Basmati Rice 5 kg', 'Shenzhen Earbuds', '小米空气净化器 4 Pro',
  'Lawn Suit 3-piece Unstitched Embroidered Festive Collection', 'Haier 1.5 Ton DC Inverter AC', 'Nike Air Zoom Pegasus 41',
];
const CURRENCIES = ['PKR', 'INR', 'CNY'];

/** Everything the page checks run on: the board's elements across shadow roots, boxes, clips. */
const pageGeometry = () => {
  type Box = { left: number; top: number; right: number; bottom: number };
  const elements: Element[] = [];
  const walk = (root: Document | ShadowRoot) => {
    for (const el of root.querySelectorAll('*')) {
      elements.push(el);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  const parentOf = (n: Node): Element | null => {
    const p = n.parentNode;
    return p instanceof ShadowRoot ? p.host : p instanceof Element ? p : null;
  };
  const contains = (outer: Node, inner: Node) => {
    for (let n: Node | null = inner; n; n = parentOf(n)) if (n === outer) return true;
    return false;
  };
  const box = (r: DOMRect): Box => ({ left: r.left, top: r.top, right: r.right, bottom: r.bottom });
  const cut = (a: Box, b: Box): Box => ({
    left: Math.max(a.left, b.left), top: Math.max(a.top, b.top), right: Math.min(a.right, b.right), bottom: Math.min(a.bottom, b.bottom),
  });
  const view: Box = { left: 0, top: 0, right: innerWidth, bottom: innerHeight };
  /** what of `r` the overflow of `el`'s ancestors (and `el`'s own, for its text) leaves visible */
  const clipOf = (el: Element, r: Box, own = false): Box => {
    let out = r;
    for (let p = own ? el : parentOf(el); p; p = parentOf(p)) {
      const cs = getComputedStyle(p);
      if (cs.overflowX !== 'visible' || cs.overflowY !== 'visible') out = cut(out, box(p.getBoundingClientRect()));
    }
    return out;
  };
  const apart = (a: Box, b: Box, slack = 1) =>
    Math.min(a.right, b.right) - Math.max(a.left, b.left) <= slack || Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) <= slack;
  const inside = (inner: Box, outer: Box, slack = 0.5) =>
    inner.left >= outer.left - slack && inner.top >= outer.top - slack && inner.right <= outer.right + slack && inner.bottom <= outer.bottom + slack;
  const name = (el: Element) => {
    const id = el.getAttribute('data-testid');
    return `${el.localName}${id ? `[${id}]` : el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : ''}`;
  };
  const shown = (r: Box) => r.right - r.left > 0 && r.bottom - r.top > 0;
  /** whether `text` may be cut: the block that lays it out ends a cut line with "…" and keeps
   *  the whole text in its title (a deal's long name, a node's id), a number never */
  const ellipsis = (el: Element, text: string) => {
    let b: Element | null = el;
    while (b && ['inline', 'contents'].includes(getComputedStyle(b).display)) b = parentOf(b);
    return !!b && getComputedStyle(b).textOverflow === 'ellipsis' && (b.getAttribute('title') ?? '').includes(text.trim());
  };
  return { elements, parentOf, contains, box, cut, view, clipOf, apart, inside, name, shown, ellipsis };
};

/** Every overlap, cut-off and overflow on the wall, as readable lines (empty: the board fits). */
function wallProblems(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    const g = (${pageGeometry.toString()})();
    const problems = [];
    const doc = document.scrollingElement;
    if (doc.scrollHeight > innerHeight || doc.scrollWidth > innerWidth) problems.push('the page scrolls: ' + doc.scrollWidth + 'x' + doc.scrollHeight);
    for (const el of g.elements) {
      const cs = getComputedStyle(el);
      const scrolls = (v) => v === 'auto' || v === 'scroll';
      if ((scrolls(cs.overflowY) && el.scrollHeight > el.clientHeight + 1) || (scrolls(cs.overflowX) && el.scrollWidth > el.clientWidth + 1)) problems.push('scrollbar inside ' + g.name(el));
    }
    // the pieces of the board: tiles, table rows, charts, controls
    const atoms = g.elements.filter((el) => el.matches('.tile, tr, ops-chart, button, input, select, [data-testid="node"]'))
      .map((el) => ({ el, r: g.box(el.getBoundingClientRect()) })).filter((a) => g.shown(a.r));
    for (const a of atoms) {
      if (!g.inside(a.r, g.view)) problems.push(g.name(a.el) + ' is not inside the viewport');
      else if (!g.inside(a.r, g.clipOf(a.el, a.r))) problems.push(g.name(a.el) + ' is cut off by its container');
    }
    for (let i = 0; i < atoms.length; i++) for (let j = i + 1; j < atoms.length; j++) {
      const a = atoms[i], b = atoms[j];
      if (g.contains(a.el, b.el) || g.contains(b.el, a.el)) continue;
      if (!g.apart(a.r, b.r)) problems.push(g.name(a.el) + ' overlaps ' + g.name(b.el));
    }
    // every piece of text: inside the viewport, not cut (unless it ends in an ellipsis), on no other text or piece
    const texts = [];
    for (const el of g.elements) for (const n of (el.shadowRoot ? [...el.childNodes, ...el.shadowRoot.childNodes] : el.childNodes)) {
      if (n.nodeType !== 3 || !n.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      for (const cr of range.getClientRects()) {
        const r = g.box(cr);
        if (!g.shown(r)) continue;
        const seen = g.cut(r, g.clipOf(el, r, true));
        if (!g.shown(seen)) continue; // scrolled or clipped away entirely: not on the wall
        const label = JSON.stringify(n.textContent.trim().slice(0, 40)) + ' in ' + g.name(el);
        if (!g.inside(seen, g.view)) problems.push(label + ' is not inside the viewport');
        else if (!g.inside(r, seen) && !g.ellipsis(el, n.textContent)) problems.push(label + ' is cut off');
        texts.push({ el, label, r: seen });
      }
    }
    for (let i = 0; i < texts.length; i++) {
      const a = texts[i];
      for (let j = i + 1; j < texts.length; j++) if (texts[j].el !== a.el && !g.apart(a.r, texts[j].r, 2)) problems.push(a.label + ' overlaps ' + texts[j].label);
      for (const b of atoms) if (!g.contains(b.el, a.el) && !g.apart(a.r, b.r, 2)) problems.push(a.label + ' runs into ' + g.name(b.el));
    }
    return [...new Set(problems)];
  })()`) as Promise<string[]>;
}

/** Font sizes (CSS px) of the text on the wall: the smallest, and the smallest headline figure. */
function typeSizes(page: Page): Promise<{ smallest: { px: number; text: string }; headline: { px: number; text: string } }> {
  return page.evaluate(`(() => {
    const g = (${pageGeometry.toString()})();
    let smallest = { px: Infinity, text: '' };
    for (const el of g.elements) for (const n of el.childNodes) {
      if (n.nodeType !== 3 || !n.textContent.trim()) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const px = parseFloat(getComputedStyle(el).fontSize);
      if (px < smallest.px) smallest = { px, text: n.textContent.trim().slice(0, 40) };
    }
    // the headline figures: GMV and the tiles' values (today's test ids)
    let headline = { px: Infinity, text: '' };
    for (const el of g.elements.filter((e) => e.matches('[data-testid="gmv"], .tile [data-testid]'))) {
      const px = parseFloat(getComputedStyle(el).fontSize);
      if (px < headline.px) headline = { px, text: el.textContent.trim().slice(0, 40) };
    }
    return { smallest, headline };
  })()`) as Promise<{ smallest: { px: number; text: string }; headline: { px: number; text: string } }>;
}

/** WCAG 2 contrast of every button's text and every text on the page against what is behind
 *  it, from computed colours (backgrounds composited up the tree, shadow hosts included). */
function contrastFailures(page: Page): Promise<{ text: string; ratio: number; fg: string; bg: string; button: boolean }[]> {
  return page.evaluate(`(() => {
    const g = (${pageGeometry.toString()})();
    const parse = (c) => {
      const m = c.match(/rgba?\\(([^)]+)\\)/);
      if (!m) return null;
      const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
      return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
    };
    const over = (top, under) => ({
      r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a), b: top.b * top.a + under.b * (1 - top.a), a: 1,
    });
    const background = (el) => {
      const layers = [];
      for (let e = el; e; e = g.parentOf(e)) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c && c.a > 0) layers.push(c);
        if (c && c.a === 1) break;
      }
      let bg = { r: 255, g: 255, b: 255, a: 1 };
      for (const c of layers.reverse()) bg = over(c, bg);
      return bg;
    };
    const lum = (c) => {
      const ch = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
    };
    const hex = (c) => '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
    const out = [];
    for (const el of g.elements) {
      const button = el.matches('button');
      const hasText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!button && !hasText) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const bg = background(el);
      const fg = over(parse(getComputedStyle(el).color), bg);
      const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      const ratio = Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100;
      out.push({ text: (el.textContent || '').trim().slice(0, 40), ratio, fg: hex(fg), bg: hex(bg), button });
    }
    return out;
  })()`) as Promise<{ text: string; ratio: number; fg: string; bg: string; button: boolean }[]>;
}

/** The x-axis tick labels each chart last drew, captured from the canvas (see the init script). */
function axisLabels(page: Page): Promise<{ chart: string; labels: { text: string; left: number; right: number; y: number; px: number }[]; width: number }[]> {
  return page.evaluate(`(() => {
    const g = (${pageGeometry.toString()})();
    return g.elements.filter((el) => el.localName === 'ops-chart').map((chart) => {
      const canvas = chart.shadowRoot.querySelector('canvas');
      const drawn = (canvas && canvas.__ffTexts) || [];
      // uPlot centres the labels of a horizontal axis; the y axis is right-aligned
      const labels = drawn.filter((t) => t.align === 'center').map((t) => ({
        text: t.text, left: t.x - t.width / 2, right: t.x + t.width / 2, y: t.y, px: t.px / devicePixelRatio,
      }));
      return { chart: chart.id, labels, width: canvas ? canvas.width : 0 };
    });
  })()`) as Promise<{ chart: string; labels: { text: string; left: number; right: number; y: number; px: number }[]; width: number }[]>;
}

/** expect.poll for hooks (it works only inside a test) */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// Records what the page draws as text on canvases (the charts' axes), per frame: uPlot clears the
// whole canvas before each redraw.
const CANVAS_TEXT_SPY = `(() => {
  const P = CanvasRenderingContext2D.prototype;
  const fill = P.fillText, clear = P.clearRect;
  P.clearRect = function (x, y, w, h) {
    if (x <= 0 && y <= 0 && w >= this.canvas.width && h >= this.canvas.height) this.canvas.__ffTexts = [];
    return clear.call(this, x, y, w, h);
  };
  P.fillText = function (text, x, y, ...rest) {
    const px = parseFloat((this.font.match(/([\\d.]+)px/) || [])[1] || '0');
    (this.canvas.__ffTexts ||= []).push({ text: String(text), x, y, width: this.measureText(String(text)).width, align: this.textAlign, px });
    return fill.call(this, text, x, y, ...rest);
  };
})()`;

describe('the ops board on a 1920x1080 wall with 30 deals', () => {
  let engine: RunningEngine;
  let browser: Browser;
  let world: BrowserWorld | undefined;
  let dealIds: string[];
  let shoppers: ShopperSocket[] = [];
  const waiters: ShopperSocket[] = [];
  let wall: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    world = await startBrowserWorld('ops.html', { OPS_TOKEN: OPS, RATE_LIMIT_BURST: '40', ROOM_POW_BASE: '300', ROOM_POW_PER_WAITER: '0' });
    ({ engine, browser } = world);
    const specs: DealSpec[] = Array.from({ length: DEALS }, (_, i) => ({
      title: i === 0 ? 'Sold Out Sneakers' : `${TITLES[i % TITLES.length]}${i >= TITLES.length ? ` #${i}` : ''}`,
      stock: i === 0 ? SOLD_OUT_STOCK : 200 + i * 37, limit: SOLD_OUT_LIMIT, startsIn: -2_000,
      priceMinor: 99_900 + i * 123_457, currency: CURRENCIES[i % CURRENCIES.length],
    }));
    let festivalId: string;
    ({ festivalId, dealIds } = await seedDeals(engine.env.pool, specs, '11.11 Wall Test'));
    await warmNow(engine.env, dealIds);
    shoppers = await openSockets(engine.wsUrl, engine.config.sessionSecret, 60);
    const holders = shoppers.slice(0, SOLD_OUT_STOCK / SOLD_OUT_LIMIT);
    const held = await Promise.all(holders.map((s, i) => {
      s.send({ t: 'grab', deal: dealIds[0], qty: SOLD_OUT_LIMIT, rid: `all-of-it-${i}` });
      return s.answerTo(`all-of-it-${i}`);
    }));
    expect(held.every((m) => m.t === 'held')).toBe(true);
    // grabs on every other deal (half of the holds paid), so latency, GMV, rates and refusals show
    let rid = 0;
    const answers = await Promise.all(shoppers.flatMap((s, i) => [1, 2, 3].map(async (k) => {
      const deal = dealIds[1 + ((i + k * 7) % (DEALS - 1))]!;
      const r = `g${rid++}`;
      s.send({ t: 'grab', deal, qty: 1, rid: r });
      return { s, m: await s.answerTo(r, 20_000) };
    })));
    answers.forEach(({ s, m }, i) => {
      if (m.t === 'held' && i % 2 === 0) s.send({ t: 'pay', hold: m.hold, rid: `p-${m.hold}` });
    });

    // waiting rooms on four deals, one more than the wall shows, with shoppers in line: the wall
    // checks below hold with the rooms' strip (tiles, figures, controls) above the deal table
    const rooms = new RoomStore(engine.env.redis, engine.config.keyPrefix, engine.config.room);
    for (const id of dealIds.slice(DEALS - 4)) {
      await rooms.warm(id, await putRoomSettings(engine.env.pool, id, { mode: 'on', outflow: 50, windowSeconds: 60, graceSeconds: 30, autoMultiple: 3 }));
      await controlRoom(engine.url, OPS, id, { paused: true });
    }
    for (const id of dealIds.slice(DEALS - 4, DEALS - 2)) {
      for (let i = 0; i < 2; i++) waiters.push((await joinLine(engine.url, engine.wsUrl, festivalId, id)).s);
    }

    wall = await browser.newPage({ viewport: WALL });
    wall.on('pageerror', (e) => errors.push(String(e)));
    await wall.addInitScript(CANVAS_TEXT_SPY);
    await wall.addInitScript(`localStorage.setItem('ff.opsToken', ${JSON.stringify(OPS)})`);
    await wall.goto(`${engine.url}/ops?rotate=${ROTATE_S}`);
    await until('the board is live', async () => (await wall.locator('[data-testid="ops-status"]').getAttribute('data-status')) === 'live');
    // the gateways' latency figures arrive with their heartbeats
    await until('a grab latency figure', async () => /\d/.test(await wall.locator('[data-testid="latency"], [data-testid="latency-p99"]').first().innerText()));
    await until('the rooms\' strip', async () => (await wall.locator('[data-testid^="ops-room-"][data-paused]').count()) === 3);
    await until('both charts drew their time axis', async () => (await axisLabels(wall)).every((c) => c.labels.length >= 2));
  }, 120_000);

  afterAll(async () => {
    for (const s of [...shoppers, ...waiters]) s.close();
    await world?.close();
  });

  it('fits the wall: no overlap, nothing cut off, no scrollbar, every deal shown by the page rotation', async () => {
    const seen = new Set<string>();
    const problems: string[] = [];
    const deadline = Date.now() + (DEALS / 5 + 2) * ROTATE_S * 1000; // enough for pages of 5 rows or more
    let shot = 0;
    while (seen.size < DEALS && Date.now() < deadline) {
      problems.push(...await wallProblems(wall));
      const rows = await wall.locator('[data-testid^="ops-deal-"]').evaluateAll((els) =>
        els.filter((e) => e.getBoundingClientRect().height > 0).map((e) => e.getAttribute('data-testid')!.slice('ops-deal-'.length)));
      const before = seen.size;
      rows.forEach((id) => seen.add(id));
      if (seen.size > before) await wall.screenshot({ path: `${ARTIFACTS}/ops-wall-1920x1080-${++shot}.png` });
      await wall.waitForTimeout(500);
    }
    expect([...new Set(problems)]).toEqual([]);
    expect(seen.size).toBe(DEALS);
  }, 60_000);

  it('reads from across a room: no text under 18 px, headline figures at least 40 px', async () => {
    const { smallest, headline } = await typeSizes(wall);
    expect(smallest.px, `smallest text: ${JSON.stringify(smallest)}`).toBeGreaterThanOrEqual(18);
    expect(headline.px, `smallest headline figure: ${JSON.stringify(headline)}`).toBeGreaterThanOrEqual(40);
  });

  it('says "sold out, N on hold" for a deal with nothing left and units held', async () => {
    const row = wall.locator(`[data-testid="ops-deal-${dealIds[0]}"]`);
    await row.waitFor({ timeout: (DEALS / 5 + 2) * ROTATE_S * 1000 });
    const state = await row.locator('.state').innerText();
    expect(state).toMatch(new RegExp(`^sold out, ${SOLD_OUT_STOCK} on hold$`, 'i'));
    expect(state).not.toMatch(/live/i);
  }, 30_000);

  it('labels the chart time axes in 24-hour time, without overlapping labels', async () => {
    const charts = await axisLabels(wall);
    expect(charts.map((c) => c.chart).sort()).toEqual(['grabs', 'orders']);
    for (const c of charts) {
      expect(c.labels.length, c.chart).toBeGreaterThanOrEqual(2);
      for (const l of c.labels) {
        expect(l.text, `${c.chart}: ${l.text}`).toMatch(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/);
        expect(l.left >= 0 && l.right <= c.width, `${c.chart}: "${l.text}" inside the chart`).toBe(true);
        expect(l.px, `${c.chart}: axis type size`).toBeGreaterThanOrEqual(16);
      }
      const rows = new Map<number, typeof c.labels>();
      for (const l of c.labels) rows.set(l.y, [...(rows.get(l.y) ?? []), l]);
      for (const row of rows.values()) {
        row.sort((a, b) => a.left - b.left);
        for (let i = 1; i < row.length; i++) {
          expect(row[i]!.left - row[i - 1]!.right, `${c.chart}: gap between "${row[i - 1]!.text}" and "${row[i]!.text}"`).toBeGreaterThanOrEqual(8);
        }
      }
    }
  });

  it('gives every button and every text WCAG AA contrast (>= 4.5), the token form included', async () => {
    const board = await contrastFailures(wall);
    expect(board.filter((c) => c.button).length, 'the board has controls').toBeGreaterThan(0);
    const form = await browser.newPage({ viewport: WALL });
    try {
      await form.goto(`${engine.url}/ops`);
      await form.locator('[data-testid="token-form"] button').waitFor();
      const onForm = await contrastFailures(form);
      expect(onForm.filter((c) => c.button).length).toBeGreaterThan(0);
      expect([...board, ...onForm].filter((c) => c.ratio < 4.5)).toEqual([]);
    } finally {
      await form.close();
    }
  });

  it('also fits a 1366x768 laptop and a 1280x720 screen', async () => {
    for (const viewport of [{ width: 1366, height: 768 }, { width: 1280, height: 720 }]) {
      await wall.setViewportSize(viewport);
      await wall.waitForTimeout(300); // the table measures its box again
      const problems = await wallProblems(wall);
      await wall.screenshot({ path: `${ARTIFACTS}/ops-wall-${viewport.width}x${viewport.height}.png` });
      expect(problems, `${viewport.width}x${viewport.height}`).toEqual([]);
    }
    await wall.setViewportSize(WALL);
  });

  it('raised no page errors', () => {
    expect(errors).toEqual([]);
  });
});
