// Every validation rule of a brand's deal, each with a failing and a passing case, over HTTP
// against a real gateway and Postgres. Nothing invalid may reach the database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEngine } from '../helpers/engine.ts';
import { BrandClient, brandEngine, dealInput, newBrand, newFestival } from './helpers.ts';

const H = 3_600_000;
const DAY = 24 * H;

describe('brand API validation', () => {
  let engine: RunningEngine;
  let fest: string; // running now, 2 days long
  let later: string; // starts in 1 h, 2 h long
  let long: string; // 30 days
  let ended: string;
  let brandKey: () => Promise<BrandClient>;
  let created = 0;

  beforeAll(async () => {
    engine = await brandEngine({ FF_ROLE: 'gateway' });
    const pool = engine.env.pool;
    fest = await newFestival(pool, 'Now', -60_000, 2 * DAY);
    later = await newFestival(pool, 'Later', H, 2 * H);
    long = await newFestival(pool, 'Long', -60_000, 30 * DAY);
    ended = await newFestival(pool, 'Over', -2 * H, H);
    const brand = await newBrand(pool, 'Validation Brand');
    let n = 0;
    // a fresh key every few requests keeps this file under the per-key rate limit
    brandKey = async () => {
      const { createKey } = await import('../../src/db/brand-keys-repo.ts');
      n++;
      return new BrandClient(engine.url, (await createKey(pool, brand.brandId, `k${n}`)).key);
    };
  });

  afterAll(async () => {
    await engine?.stop();
    await engine?.env.cleanup();
  });

  async function expectRefused(over: Record<string, unknown>, field: string, code: string, festivalId = fest, startsIn = H) {
    const api = await brandKey();
    const r = await api.post('/api/brand/deals', dealInput(festivalId, startsIn, over));
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.code).toBe('validation_failed');
    const e = r.body.errors.find((x: { field: string }) => x.field === field);
    expect(e, JSON.stringify(r.body.errors)).toBeDefined();
    expect(e.code).toBe(code);
    expect(e.message).toContain(field);
  }

  async function expectAccepted(over: Record<string, unknown>, festivalId = fest, startsIn = H) {
    const api = await brandKey();
    const r = await api.post('/api/brand/deals', dealInput(festivalId, startsIn, over));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.deal.state).toBe('scheduled');
    created++;
    return r.body.deal;
  }

  const start = () => Date.now() + H;

  it('deal price: > 0, below the list price, integer minor units', async () => {
    await expectRefused({ dealPriceMinor: 6_499_900 }, 'dealPriceMinor', 'price_not_below_list');
    await expectRefused({ dealPriceMinor: 7_000_000 }, 'dealPriceMinor', 'price_not_below_list');
    await expectRefused({ dealPriceMinor: 0 }, 'dealPriceMinor', 'out_of_range');
    await expectRefused({ dealPriceMinor: -5 }, 'dealPriceMinor', 'out_of_range');
    await expectRefused({ dealPriceMinor: 4999.5 }, 'dealPriceMinor', 'not_integer');
    await expectRefused({ listPriceMinor: '6499900' }, 'listPriceMinor', 'wrong_type');
    await expectRefused({ listPriceMinor: 1.25 }, 'listPriceMinor', 'not_integer');
    await expectAccepted({ dealPriceMinor: 6_499_899 });
    await expectAccepted({ listPriceMinor: 2, dealPriceMinor: 1 });
  });

  it('price messages say minor units and major units with the currency\'s own decimals; details carry the numbers', async () => {
    const cases = [
      { currency: 'PKR', list: 100_000, deal: 120_000, dealText: '120000 (1,200.00 PKR)', listText: '100000 (1,000.00 PKR)' },
      { currency: 'JPY', list: 1_000, deal: 1_200, dealText: '1200 (1,200 JPY)', listText: '1000 (1,000 JPY)' },
      { currency: 'KWD', list: 1_000_000, deal: 1_200_500, dealText: '1200500 (1,200.500 KWD)', listText: '1000000 (1,000.000 KWD)' },
    ];
    for (const c of cases) {
      const api = await brandKey();
      const r = await api.post('/api/brand/deals', dealInput(fest, H, { currency: c.currency, listPriceMinor: c.list, dealPriceMinor: c.deal }));
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('validation_failed');
      const e = r.body.errors.find((x: { field: string }) => x.field === 'dealPriceMinor');
      expect(e.message).toBe(`\`dealPriceMinor\` ${c.dealText} must be below \`listPriceMinor\` ${c.listText}.`);
      expect(e.details).toEqual({ value: c.deal, limit: c.list, limitField: 'listPriceMinor', currency: c.currency });
      expect(r.body.message).toBe(e.message);
    }
    const api = await brandKey();
    const zero = await api.post('/api/brand/deals', dealInput(fest, H, { dealPriceMinor: 0 }));
    const z = zero.body.errors.find((x: { field: string }) => x.field === 'dealPriceMinor');
    expect(z.code).toBe('out_of_range');
    expect(z.message).toBe('`dealPriceMinor` 0 (0.00 PKR) must be between 1 (0.01 PKR) and 10000000000000 (100,000,000,000.00 PKR).');
    expect(z.details).toEqual({ value: 0, limit: 1, currency: 'PKR' });
    const frac = await api.post('/api/brand/deals', dealInput(fest, H, { currency: 'JPY', dealPriceMinor: 4999.5 }));
    const n = frac.body.errors.find((x: { field: string }) => x.field === 'dealPriceMinor');
    expect(n.code).toBe('not_integer');
    expect(n.details).toEqual({ value: 4999.5, currency: 'JPY' });
    // no currency to read them in: minor units only
    const unknown = await api.post('/api/brand/deals', dealInput(fest, H, { currency: 'XYZ', listPriceMinor: 100_000, dealPriceMinor: 120_000 }));
    const u = unknown.body.errors.find((x: { field: string }) => x.field === 'dealPriceMinor');
    expect(u.message).toBe('`dealPriceMinor` 120000 must be below `listPriceMinor` 100000.');
    expect(u.details).toEqual({ value: 120_000, limit: 100_000, limitField: 'listPriceMinor' });
  });

  it('time messages are ISO 8601 in the offset the brand wrote; details carry epoch ms and the festival window', async () => {
    const api = await brandKey();
    const festival = (await api.get('/api/brand/festivals')).body.festivals.find((f: { id: string }) => f.id === later);
    const inZone = (ms: number, hours: number, offset: string) => new Date(ms + hours * H).toISOString().replace(/(\.000)?Z$/, offset);
    const karachi = (ms: number) => inZone(ms, 5, '+05:00');
    const s = Math.floor((Date.now() + 600_000) / 1000) * 1000; // "Later" opens in an hour: 10 minutes from now is before it
    const r = await api.post('/api/brand/deals', dealInput(later, H, { startsAt: karachi(s), endsAt: karachi(s + 600_000) }));
    expect(r.status).toBe(400);
    const e = r.body.errors.find((x: { field: string }) => x.field === 'startsAt');
    expect(e.code).toBe('outside_festival');
    expect(e.message).toBe(`\`startsAt\` ${karachi(s)} must fall inside "Later" (${karachi(festival.startsAt)} to ${karachi(festival.endsAt)}).`);
    expect(e.details).toEqual({ value: s, limit: festival.startsAt, festival });

    // epoch ms: UTC; an end past the window in the end's own offset
    const s2 = festival.startsAt + 60_000;
    const e2 = Math.floor((festival.endsAt + H) / 1000) * 1000;
    const late = await api.post('/api/brand/deals', dealInput(later, H, { startsAt: s2, endsAt: inZone(e2, -4, '-04:00') }));
    const end = late.body.errors.find((x: { field: string }) => x.field === 'endsAt');
    expect(end.code).toBe('outside_festival');
    expect(end.message).toBe(`\`endsAt\` ${inZone(e2, -4, '-04:00')} must be no later than the end of "Later" (${inZone(festival.endsAt, -4, '-04:00')}).`);
    expect(end.details).toEqual({ value: e2, limit: festival.endsAt, festival });

    const past = Date.now() - 60_000;
    const old = await api.post('/api/brand/deals', dealInput(fest, H, { startsAt: past }));
    const p = old.body.errors.find((x: { field: string }) => x.field === 'startsAt');
    expect(p.code).toBe('start_in_past');
    expect(p.message).toContain(`\`startsAt\` ${inZone(past, 0, 'Z')} must be in the future (it is now 20`);
    expect(p.details.value).toBe(past);
    expect(Math.abs(p.details.limit - Date.now())).toBeLessThan(60_000);

    const short = await api.post('/api/brand/deals', dealInput(fest, H, { startsAt: karachi(s), endsAt: karachi(s + 30_000) }));
    const d = short.body.errors.find((x: { field: string }) => x.field === 'endsAt');
    expect(d.code).toBe('duration_too_short');
    expect(d.message).toBe(`\`endsAt\` ${karachi(s + 30_000)} must be at least 1 minute after \`startsAt\`: ${karachi(s + 60_000)} or later.`);
    expect(d.details).toEqual({ value: s + 30_000, limit: s + 60_000 });
  });

  it('currency: an ISO 4217 code', async () => {
    await expectRefused({ currency: 'XYZ' }, 'currency', 'unknown_currency');
    await expectRefused({ currency: 'pkr' }, 'currency', 'unknown_currency');
    await expectRefused({ currency: 12 }, 'currency', 'unknown_currency');
    await expectAccepted({ currency: 'JPY' });
    await expectAccepted({ currency: 'INR' });
  });

  it('stock 1..10,000,000 and limit 1..stock', async () => {
    await expectRefused({ stock: 0 }, 'stock', 'out_of_range');
    await expectRefused({ stock: 10_000_001 }, 'stock', 'out_of_range');
    await expectRefused({ stock: 2.5 }, 'stock', 'not_integer');
    await expectAccepted({ stock: 10_000_000, limit: 1 });
    await expectAccepted({ stock: 1, limit: 1 });
    await expectRefused({ limit: 0 }, 'limit', 'out_of_range');
    await expectRefused({ stock: 5, limit: 6 }, 'limit', 'limit_above_stock');
    await expectAccepted({ stock: 5, limit: 5 });
  });

  it('start in the future and inside the festival window', async () => {
    await expectRefused({ startsAt: Date.now() - 1_000 }, 'startsAt', 'start_in_past');
    // "Later" starts in an hour: a deal 10 minutes from now falls before it
    await expectRefused({ startsAt: Date.now() + 600_000, endsAt: Date.now() + 1_200_000 }, 'startsAt', 'outside_festival', later);
    await expectAccepted({ startsAt: Date.now() + H + 60_000, endsAt: Date.now() + H + 600_000 }, later);
    await expectRefused({ startsAt: Date.now() + 5 * H, endsAt: Date.now() + 5 * H + 600_000 }, 'startsAt', 'outside_festival', later);
    await expectAccepted({ startsAt: Date.now() + 5_000, endsAt: Date.now() + 600_000 });
  });

  it('end after the start, inside the window, between 1 minute and 7 days', async () => {
    const s = start();
    await expectRefused({ startsAt: s, endsAt: s }, 'endsAt', 'end_not_after_start');
    await expectRefused({ startsAt: s, endsAt: s - 60_000 }, 'endsAt', 'end_not_after_start');
    await expectRefused({ startsAt: s, endsAt: s + 59_000 }, 'endsAt', 'duration_too_short');
    await expectAccepted({ startsAt: s, endsAt: s + 60_000 });
    await expectRefused({ startsAt: s, endsAt: s + 7 * DAY + 1_000 }, 'endsAt', 'duration_too_long', long);
    await expectAccepted({ startsAt: s, endsAt: s + 7 * DAY }, long);
    await expectRefused({ startsAt: s, endsAt: s + 3 * DAY }, 'endsAt', 'outside_festival', fest);
    await expectAccepted({ startsAt: s, endsAt: s + 3 * DAY }, long);
  });

  it('times: epoch ms or ISO 8601 with a zone', async () => {
    await expectRefused({ startsAt: '2030-01-01 10:00' }, 'startsAt', 'bad_time');
    await expectRefused({ endsAt: 'tomorrow' }, 'endsAt', 'bad_time');
    const s = start();
    await expectAccepted({ startsAt: new Date(s).toISOString(), endsAt: new Date(s + 600_000).toISOString().replace('Z', '+00:00') });
  });

  it('text lengths', async () => {
    await expectRefused({ title: '' }, 'title', 'required');
    await expectRefused({ title: '   ' }, 'title', 'required');
    await expectRefused({ title: 'x'.repeat(201) }, 'title', 'too_long');
    await expectAccepted({ title: 'x'.repeat(200) });
    await expectRefused({ description: 'd'.repeat(2001) }, 'description', 'too_long');
    await expectAccepted({ description: 'd'.repeat(2000) });
    await expectRefused({ title: 42 }, 'title', 'wrong_type');
  });

  it('image URL: https only', async () => {
    await expectRefused({ imageUrl: 'http://example.com/a.jpg' }, 'imageUrl', 'not_https');
    await expectRefused({ imageUrl: 'javascript:alert(1)' }, 'imageUrl', 'not_https');
    await expectRefused({ imageUrl: 'not a url' }, 'imageUrl', 'bad_url');
    await expectAccepted({ imageUrl: 'https://cdn.example.com/p/1.webp' });
    await expectAccepted({ imageUrl: null });
  });

  it('hold minutes 1..60, optional', async () => {
    await expectRefused({ holdMinutes: 0 }, 'holdMinutes', 'out_of_range');
    await expectRefused({ holdMinutes: 61 }, 'holdMinutes', 'out_of_range');
    const d = await expectAccepted({ holdMinutes: 60 });
    expect(d.holdSeconds).toBe(3600);
    const d2 = await expectAccepted({});
    expect(d2.holdSeconds).toBe(engine.config.defaultHoldSeconds);
  });

  it('stock buckets 1..16 and at most the stock, optional', async () => {
    await expectRefused({ stockBuckets: 0 }, 'stockBuckets', 'out_of_range');
    await expectRefused({ stockBuckets: 17 }, 'stockBuckets', 'out_of_range');
    await expectRefused({ stockBuckets: 1.5 }, 'stockBuckets', 'not_integer');
    await expectRefused({ stock: 2, limit: 1, stockBuckets: 3 }, 'stockBuckets', 'out_of_range');
    expect((await expectAccepted({ stockBuckets: 3 })).stockBuckets).toBe(3);
    expect((await expectAccepted({ stockBuckets: null })).stockBuckets).toBe(null);
    expect((await expectAccepted({})).stockBuckets).toBe(null);
  });

  it('payment methods: a non-empty set of wallet, card, cod; absent is wallet and card', async () => {
    await expectRefused({ paymentMethods: [] }, 'paymentMethods', 'no_payment_method');
    await expectRefused({ paymentMethods: ['card', 'cheque'] }, 'paymentMethods', 'unknown_payment_method');
    await expectRefused({ paymentMethods: ['cod', 'card', 'cod'] }, 'paymentMethods', 'duplicate_payment_method');
    await expectRefused({ paymentMethods: 'cod' }, 'paymentMethods', 'wrong_type');
    // stored in checkout order, whatever order the brand named them in
    const d = await expectAccepted({ paymentMethods: ['cod', 'wallet'] });
    expect(d.paymentMethods).toEqual(['wallet', 'cod']);
    const { rows } = await engine.env.pool.query<{ m: string[] }>('SELECT payment_methods AS m FROM deals WHERE id = $1', [d.id]);
    expect(rows[0]!.m).toEqual(['wallet', 'cod']);
    expect((await expectAccepted({ paymentMethods: ['cod'] })).paymentMethods).toEqual(['cod']);
    expect((await expectAccepted({})).paymentMethods).toEqual(['wallet', 'card']);
    expect((await expectAccepted({ paymentMethods: null })).paymentMethods).toEqual(['wallet', 'card']);
  });

  it('payment methods alone may change on a deal whose other terms locked, and are validated the same', async () => {
    const api = await brandKey();
    const d = await expectAccepted({});
    // a deal that has opened: the scheduler's job, done here in SQL
    await engine.env.pool.query("UPDATE deals SET state = 'live' WHERE id = $1", [d.id]);
    const title = await api.patch(`/api/brand/deals/${d.id}`, { title: 'Renamed', paymentMethods: ['cod'] });
    expect(title.status).toBe(409);
    expect(title.body.code).toBe('deal_locked');
    const empty = await api.patch(`/api/brand/deals/${d.id}`, { paymentMethods: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.errors[0]).toMatchObject({ field: 'paymentMethods', code: 'no_payment_method' });
    const ok = await api.patch(`/api/brand/deals/${d.id}`, { paymentMethods: ['card', 'cod'] });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.deal).toMatchObject({ state: 'live', paymentMethods: ['card', 'cod'], paymentEditable: true, editable: false });
    await engine.env.pool.query("UPDATE deals SET state = 'ended' WHERE id = $1", [d.id]);
    const over = await api.patch(`/api/brand/deals/${d.id}`, { paymentMethods: ['wallet'] });
    expect(over.status).toBe(409);
    expect(over.body.code).toBe('deal_locked');
  });

  it('festival: one whose window has not ended', async () => {
    await expectRefused({}, 'festivalId', 'unknown_festival', '999999');
    await expectRefused({}, 'festivalId', 'unknown_festival', ended);
    const api = await brandKey();
    const r = await api.get('/api/brand/festivals');
    expect(r.body.festivals.map((f: { id: string }) => f.id).sort()).toEqual([fest, later, long].sort());
  });

  it('required and unknown fields are named', async () => {
    const api = await brandKey();
    const r = await api.post('/api/brand/deals', { festivalId: fest, colour: 'red' });
    expect(r.status).toBe(400);
    const fields = r.body.errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`);
    for (const f of ['title', 'listPriceMinor', 'dealPriceMinor', 'currency', 'stock', 'limit', 'startsAt', 'endsAt']) {
      expect(fields).toContain(`${f}:required`);
    }
    expect(fields).toContain('colour:unknown_field');
  });

  it('bad JSON is 400 bad_json; an oversized body is 413', async () => {
    const api = await brandKey();
    const bad = await api.req('POST', '/api/brand/deals', '{"title": ', { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('bad_json');
    const arr = await api.post('/api/brand/deals', [1, 2]);
    expect(arr.status).toBe(400);
    expect(arr.body.code).toBe('validation_failed');
    const big = await api.post('/api/brand/deals', dealInput(fest, H, { description: 'x'.repeat(70 * 1024) }));
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('payload_too_large');
  });

  it('nothing invalid reached the database', async () => {
    const { rows } = await engine.env.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM deals');
    expect(rows[0]!.n).toBe(created);
  });
});
