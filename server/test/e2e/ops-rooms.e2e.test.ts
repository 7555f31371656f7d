// The waiting rooms on the ops wall (1920x1080, real Chromium, real engine): a tile per room with
// the line's length, admitted/s, abandoned places and the time to sold out; Pause/Resume and the
// outflow go to POST /api/ops/rooms/:deal with the board's ops token and the room follows.
// (The wall's layout checks with rooms on run in ops-board-wall.e2e.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ARTIFACTS, startBrowserWorld, type BrowserWorld } from '../helpers/browser-world.ts';
import { seedDeals, warmNow, type RunningEngine } from '../helpers/engine.ts';
import type { ShopperSocket } from '../helpers/shopper-socket.ts';
import { controlRoom, joinLine } from '../helpers/room-waiter.ts';
import { waitFor } from '../helpers/test-env.ts';
import { putRoomSettings } from '../../src/room/settings-repo.ts';
import { RoomStore } from '../../src/room/room-store.ts';
import type { AdmittedMsg } from '../../src/shared/room-protocol.ts';

const OPS = 'ops-token-for-the-room-tiles';
const WALL = { width: 1920, height: 1080 };

describe('waiting rooms on the ops board', () => {
  let engine: RunningEngine;
  let world: BrowserWorld | undefined;
  let wall: Page;
  let line: string;
  let gone: string;
  const sockets: ShopperSocket[] = [];
  const errors: string[] = [];

  const room = async (deal: string) =>
    (await (await fetch(`${engine.url}/api/rooms/${deal}`)).json()) as { paused: boolean; outflow: number; waiting: number; state: string };
  const figure = (id: string, deal: string) => wall.locator(`[data-testid="ops-room-${id}-${deal}"]`).innerText();

  beforeAll(async () => {
    world = await startBrowserWorld('ops.html', { OPS_TOKEN: OPS, ROOM_TICK_MS: '100', ROOM_POW_BASE: '300', ROOM_POW_PER_WAITER: '0' });
    engine = world.engine;
    const { festivalId, dealIds } = await seedDeals(engine.env.pool, [
      { title: 'Redmi Note 13 Pro+ 5G', stock: 50, limit: 1, startsIn: -1_000 },
      { title: 'The last lawn suit', stock: 1, limit: 1, startsIn: -1_000 },
    ], '11.11 Ops Rooms');
    [line, gone] = dealIds as [string, string];
    await warmNow(engine.env, dealIds);
    const rooms = new RoomStore(engine.env.redis, engine.config.keyPrefix, engine.config.room);
    for (const id of dealIds) {
      await rooms.warm(id, await putRoomSettings(engine.env.pool, id, { mode: 'on', outflow: 50, windowSeconds: 60, graceSeconds: 30, autoMultiple: 3 }));
    }
    await controlRoom(engine.url, OPS, line, { paused: true });
    for (const id of dealIds) await waitFor(async () => (await room(id)).state === 'open' || null, `room ${id} open`, 10_000);
    for (let i = 0; i < 3; i++) sockets.push((await joinLine(engine.url, engine.wsUrl, festivalId, line)).s);
    // the other room sells its one unit: admitted, grabbed with the pass, paid -> closed
    const buyer = (await joinLine(engine.url, engine.wsUrl, festivalId, gone)).s;
    sockets.push(buyer);
    const { pass } = (await buyer.waitFor((m) => m.t === 'admitted' && m.deal === gone)) as AdmittedMsg;
    buyer.send({ t: 'grab', deal: gone, qty: 1, rid: 'only-one', pass });
    const held = await buyer.answerTo('only-one');
    buyer.send({ t: 'pay', hold: (held as { hold: string }).hold, rid: 'pay-it', method: 'card' });
    await waitFor(async () => (await room(gone)).state === 'closed' || null, 'the sold-out room closed', 10_000);

    wall = await world.browser.newPage({ viewport: WALL });
    wall.on('pageerror', (e) => errors.push(String(e)));
    await wall.addInitScript(`localStorage.setItem('ff.opsToken', ${JSON.stringify(OPS)})`);
    await wall.goto(`${engine.url}/ops`);
  }, 90_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await world?.close();
  });

  it('shows a tile per room: line length, admitted/s, abandoned, time to sold out', async () => {
    await wall.locator(`[data-testid="ops-room-${line}"]`).waitFor({ timeout: 15_000 });
    await expect.poll(() => figure('waiting', line), { timeout: 5_000 }).toBe('3');
    expect(await figure('rate', line)).toBe('0.0');
    expect(await figure('abandoned', line)).toBe('0');
    expect(await figure('soldout', line)).toBe('–');
    expect(await figure('state', line)).toBe('paused');
    await wall.locator(`[data-testid="ops-room-${gone}"]`).waitFor({ timeout: 5_000 });
    expect(await figure('soldout', gone)).toMatch(/^\d+:\d\d$/);
    expect(await figure('state', gone)).toBe('closed: sold out');
    // the busier line first
    const order = await wall.locator('[data-testid^="ops-room-"][data-paused]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    expect(order).toEqual([`ops-room-${line}`, `ops-room-${gone}`]);
    // on the wall: inside the screen, nothing scrolls
    for (const id of [line, gone]) {
      const b = (await wall.locator(`[data-testid="ops-room-${id}"]`).boundingBox())!;
      expect(b.x >= 0 && b.y >= 0 && b.x + b.width <= WALL.width && b.y + b.height <= WALL.height).toBe(true);
    }
    expect(await wall.evaluate(() => document.scrollingElement!.scrollHeight <= innerHeight)).toBe(true);
    await wall.screenshot({ path: `${ARTIFACTS}/ops-rooms-1920x1080.png` });
  }, 30_000);

  it('Resume, the outflow and Pause reach the room with the ops token', async () => {
    await wall.locator(`[data-testid="ops-room-outflow-${line}"]`).fill('7');
    await wall.locator(`[data-testid="ops-room-outflow-set-${line}"]`).click();
    await expect.poll(async () => (await room(line)).outflow, { timeout: 5_000 }).toBe(7);
    expect((await room(line)).paused).toBe(true);

    const pause = wall.locator(`[data-testid="ops-room-pause-${line}"]`);
    expect(await pause.innerText()).toBe('Resume');
    await pause.click();
    await expect.poll(async () => (await room(line)).paused, { timeout: 5_000 }).toBe(false);
    // the line moves: the tile shows it empty and the board offers Pause
    await expect.poll(() => figure('waiting', line), { timeout: 10_000 }).toBe('0');
    await expect.poll(() => pause.innerText(), { timeout: 5_000 }).toBe('Pause');
    await pause.click();
    await expect.poll(async () => (await room(line)).paused, { timeout: 5_000 }).toBe(true);
    await expect.poll(() => wall.locator(`[data-testid="ops-room-${line}"]`).getAttribute('data-paused'), { timeout: 5_000 }).toBe('true');
    expect(await wall.locator('[data-testid="ops-room-error"]').count()).toBe(0);
    expect(errors).toEqual([]);
  }, 30_000);
});
