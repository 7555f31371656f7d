// A brand's edits, cancels and stops against the whole engine (gateway + scheduler + workers):
// edits before warming reach shoppers, edits after are refused, a cancelled deal leaves shopper
// pages and never opens, a stopped deal refuses grabs while existing holds stay payable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSession, type RunningEngine } from '../helpers/engine.ts';
import { waitFor } from '../helpers/test-env.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import type { FestivalMsg, ServerMessage } from '../../src/shared/protocol.ts';
import { BrandClient, brandEngine, dealInput, newBrand, newFestival } from './helpers.ts';

describe('brand deal life cycle', () => {
  let engine: RunningEngine;
  let fest: string;
  let api: BrandClient;
  let shopper: ShopperSocket;
  const sockets: ShopperSocket[] = [];

  const state = async (id: string) => (await api.get(`/api/brand/deals/${id}`)).body.deal;
  const festivalMsgs = (s: ShopperSocket) => s.messages.filter((m): m is FestivalMsg => m.t === 'festival');
  const openShopper = async () => {
    const s = await ShopperSocket.open(engine.wsUrl, (await newSession(engine.url)).token);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    engine = await brandEngine({ PREWARM_SECONDS: '5' });
    fest = await newFestival(engine.env.pool, 'Life Fest', -60_000, 6 * 3_600_000);
    api = new BrandClient(engine.url, (await newBrand(engine.env.pool, 'Life Brand')).key);
    shopper = await openShopper();
    shopper.send({ t: 'sub', festival: fest });
    await shopper.waitFor((m) => m.t === 'festival');
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await engine?.stop();
    await engine?.env.cleanup();
  });

  it('an edit before warming is accepted and reaches open shopper sockets within a second', async () => {
    const c = await api.post('/api/brand/deals', dealInput(fest, 120_000));
    expect(c.status).toBe(201);
    const id = c.body.deal.id as string;
    await shopper.waitFor((m) => m.t === 'festival' && m.festival.deals.some((d) => d.id === id));
    const newStart = Date.now() + 90_000;
    const t0 = Date.now();
    const e = await api.patch(`/api/brand/deals/${id}`, { startsAt: newStart, endsAt: newStart + 600_000, dealPriceMinor: 3_999_900 });
    expect(e.status, JSON.stringify(e.body)).toBe(200);
    expect(e.body.deal).toMatchObject({ startsAt: newStart, dealPriceMinor: 3_999_900, state: 'scheduled', editable: true });
    await shopper.waitFor((m) => m.t === 'festival' && m.festival.deals.some((d) => d.id === id && d.startsAt === newStart), 1_000);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('an edit once the deal is warming (or about to) is refused with 409 deal_locked', async () => {
    const c = await api.post('/api/brand/deals', dealInput(fest, 8_000));
    const id = c.body.deal.id as string;
    await waitFor(async () => (await state(id)).state === 'warming', 'deal warming', 10_000, 100);
    const e = await api.patch(`/api/brand/deals/${id}`, { title: 'Too late' });
    expect(e.status).toBe(409);
    expect(e.body.code).toBe('deal_locked');
    expect(e.body.message).toContain('warming');
    expect((await state(id)).title).toBe('Redmi Note 13');
    // scheduled but starting inside the pre-warm window: locked as well
    const soon = await api.post('/api/brand/deals', dealInput(fest, 5_500));
    const e2 = await api.patch(`/api/brand/deals/${soon.body.deal.id}`, { title: 'Too late' });
    expect(e2.status).toBe(409);
    expect(e2.body.code).toBe('deal_locked');
  });

  it('cancel: a scheduled deal leaves shopper pages; a warmed one refuses grabs and never opens', async () => {
    const a = (await api.post('/api/brand/deals', dealInput(fest, 600_000))).body.deal.id as string;
    await shopper.waitFor((m) => m.t === 'festival' && m.festival.deals.some((d) => d.id === a));
    const r = await api.post(`/api/brand/deals/${a}/cancel`);
    expect(r.status).toBe(200);
    expect(r.body.deal.state).toBe('cancelled');
    const n = festivalMsgs(shopper).length;
    await waitFor(() => festivalMsgs(shopper).length > n && !festivalMsgs(shopper).at(-1)!.festival.deals.some((d) => d.id === a), 'cancelled deal gone from the shopper page', 2_000);
    const again = await api.post(`/api/brand/deals/${a}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('deal_state');

    const w = (await api.post('/api/brand/deals', dealInput(fest, 7_000))).body.deal.id as string;
    await waitFor(async () => (await state(w)).state === 'warming', 'deal warming', 10_000, 100);
    const c = await api.post(`/api/brand/deals/${w}/cancel`);
    expect(c.status).toBe(200);
    const stock = new StockStore(engine.env.redis, engine.config.keyPrefix);
    expect((await stock.readDeal(w))!.status).toBe('cancelled');
    // past its start: the scheduler did not open it, and grabs are refused
    const startsAt = (await state(w)).startsAt as number;
    await new Promise((res) => setTimeout(res, Math.max(0, startsAt - Date.now()) + 500));
    expect((await state(w)).state).toBe('cancelled');
    const s = await openShopper();
    s.send({ t: 'grab', deal: w, qty: 1, rid: 'g-cancelled' });
    const ans = await s.answerTo('g-cancelled');
    expect(ans.t).toBe('refused');
    expect(ans.t === 'refused' && ans.code).toMatch(/ended|unknown_deal/);
  });

  it('stop: new grabs refused `ended`, an existing hold is still payable; cancel of a live deal is refused', async () => {
    const id = (await api.post('/api/brand/deals', dealInput(fest, 1_500, { stock: 10, limit: 2 }))).body.deal.id as string;
    await waitFor(async () => (await state(id)).state === 'live', 'deal live', 10_000, 100);
    const holder = await openShopper();
    holder.send({ t: 'grab', deal: id, qty: 1, rid: 'g1' });
    const held = await holder.answerTo('g1');
    expect(held.t).toBe('held');
    const hold = (held as Extract<ServerMessage, { t: 'held' }>).hold;

    const cancel = await api.post(`/api/brand/deals/${id}/cancel`);
    expect(cancel.status).toBe(409);
    expect(cancel.body.code).toBe('deal_state');
    expect(cancel.body.message).toContain('stop it instead');

    const stop = await api.post(`/api/brand/deals/${id}/stop`);
    expect(stop.status).toBe(200);
    expect(stop.body.deal).toMatchObject({ state: 'stopped', held: 1, sold: 0, available: 9, stoppable: false });

    const late = await openShopper();
    late.send({ t: 'grab', deal: id, qty: 1, rid: 'g2' });
    const refused = await late.answerTo('g2');
    expect(refused).toMatchObject({ t: 'refused', code: 'ended' });

    holder.send({ t: 'pay', hold, rid: 'p1' });
    await holder.waitFor((m) => m.t === 'paid' && m.hold === hold);
    await waitFor(async () => (await state(id)).sold === 1, 'sold counter', 5_000, 100);
    const d = await state(id);
    expect(d).toMatchObject({ state: 'stopped', sold: 1, held: 0, available: 9, gmvMinor: 4_999_900 });
    // the scheduler leaves it stopped
    await new Promise((res) => setTimeout(res, 1_200));
    expect((await state(id)).state).toBe('stopped');
    const again = await api.post(`/api/brand/deals/${id}/stop`);
    expect(again.status).toBe(409);
  });

  it('lists own deals with live counters', async () => {
    const r = await api.get(`/api/brand/deals?festivalId=${fest}`);
    expect(r.status).toBe(200);
    const states = r.body.deals.map((d: { state: string }) => d.state);
    expect(states).toEqual(expect.arrayContaining(['scheduled', 'cancelled', 'stopped']));
    for (const d of r.body.deals) expect(d.held + d.sold + d.available).toBe(d.stock);
  });
});
