// Room settings through the brand API (Postgres, then Redis once warm) and ops controls
// behind the ops token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type RunningEngine } from '../helpers/engine.ts';
import { BrandClient, dealInput, newBrand, newFestival } from '../brand/helpers.ts';
import { waitFor } from '../helpers/test-env.ts';

let engine: RunningEngine;
let brand: BrandClient;
let other: BrandClient;
let dealId: string;

beforeAll(async () => {
  // deals open 3 s out; PREWARM_SECONDS=3600 makes the scheduler warm them (and their rooms) at once
  engine = await startEngine({ PREWARM_SECONDS: '3600', ROOM_TICK_MS: '50' });
  const b = await newBrand(engine.env.pool, 'Room Brand');
  const o = await newBrand(engine.env.pool, 'Other Brand');
  brand = new BrandClient(engine.url, b.key);
  other = new BrandClient(engine.url, o.key);
  const festivalId = await newFestival(engine.env.pool, 'Room Fest', -60_000, 3_600_000);
  const created = await brand.post('/api/brand/deals', dealInput(festivalId, 120_000));
  expect(created.status).toBe(201);
  dealId = created.body.deal.id;
});
afterAll(async () => {
  await engine?.stop();
  await engine?.env.cleanup();
});

describe('room settings and controls', () => {
  it('a brand reads defaults, sets its room, gets field errors for bad input; another brand cannot', async () => {
    const before = await brand.get(`/api/brand/deals/${dealId}/room`);
    expect(before.status).toBe(200);
    expect(before.body.settings.mode).toBe('off');
    const bad = await brand.req('PUT', `/api/brand/deals/${dealId}/room`, { mode: 'sometimes', outflow: 0, colour: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['colour', 'mode', 'outflow']);
    expect((await other.req('PUT', `/api/brand/deals/${dealId}/room`, { mode: 'on' })).status).toBe(404);
    const put = await brand.req('PUT', `/api/brand/deals/${dealId}/room`, { mode: 'on', outflow: 25, windowSeconds: 30, graceSeconds: 10 });
    expect(put.status).toBe(200);
    expect(put.body.settings).toMatchObject({ mode: 'on', outflow: 25, windowSeconds: 30, graceSeconds: 10 });
    // warmed with the deal: the public room view appears with its commitment, no seed yet
    const room = await waitFor(async () => {
      const r = await fetch(`${engine.url}/api/rooms/${dealId}`);
      return r.status === 200 ? ((await r.json()) as { state: string; commit: string; seed: string | null; outflow: number }) : null;
    }, 'room warmed');
    expect(room).toMatchObject({ state: 'pre', outflow: 25, seed: null });
    expect(room.commit).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ops pause and set the outflow with the ops token only', async () => {
    const ops = new BrandClient(engine.url, engine.config.opsToken);
    const anon = new BrandClient(engine.url, null);
    expect((await anon.post(`/api/ops/rooms/${dealId}`, { paused: true })).status).toBe(401);
    expect((await ops.post(`/api/ops/rooms/${dealId}`, { paused: 'yes' })).status).toBe(400);
    const r = await ops.post(`/api/ops/rooms/${dealId}`, { paused: true, outflow: 7 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ paused: true, outflow: 7 });
    const list = await waitFor(async () => {
      const l = await ops.get('/api/ops/rooms');
      return l.body.rooms?.find((x: { deal: string }) => x.deal === dealId);
    }, 'room on the ops list');
    expect(list).toMatchObject({ paused: true, outflow: 7 });
    expect((await ops.post('/api/ops/rooms/999999', { paused: true })).status).toBe(409);
  });
});
