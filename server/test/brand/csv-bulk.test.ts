// Bulk create from CSV: all or nothing, with a per-row report.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEngine } from '../helpers/engine.ts';
import { BrandClient, brandEngine, newBrand, newFestival } from './helpers.ts';

const HEADER = 'title,description,imageUrl,listPriceMinor,dealPriceMinor,currency,stock,limit,startsAt,endsAt,holdMinutes';

function row(i: number, over: Partial<Record<string, string>> = {}): string {
  const s = new Date(Date.now() + 3_600_000 + i * 60_000);
  const e = new Date(s.getTime() + 1_800_000);
  const v = {
    title: `"Lawn suit, design ${i}"`, description: 'Three piece', imageUrl: 'https://example.com/x.jpg',
    listPriceMinor: '499900', dealPriceMinor: '249900', currency: 'PKR', stock: '50', limit: '2',
    startsAt: s.toISOString(), endsAt: e.toISOString(), holdMinutes: '', ...over,
  };
  return [v.title, v.description, v.imageUrl, v.listPriceMinor, v.dealPriceMinor, v.currency, v.stock, v.limit, v.startsAt, v.endsAt, v.holdMinutes].join(',');
}

describe('bulk create from CSV', () => {
  let engine: RunningEngine;
  let fest: string;
  let api: BrandClient;
  const count = async () => (await engine.env.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM deals')).rows[0]!.n;

  beforeAll(async () => {
    engine = await brandEngine({ FF_ROLE: 'gateway' });
    fest = await newFestival(engine.env.pool, 'CSV Fest', -60_000, 24 * 3_600_000);
    api = new BrandClient(engine.url, (await newBrand(engine.env.pool, 'Lahore Loom')).key);
  });

  afterAll(async () => {
    await engine?.stop();
    await engine?.env.cleanup();
  });

  it('mixed good and bad rows change nothing, and the report names each bad row', async () => {
    const lines = [HEADER];
    for (let i = 1; i <= 50; i++) lines.push(row(i));
    lines[8] = row(8, { dealPriceMinor: '600000' });        // data row 8: price above list
    lines[20] = row(20, { currency: 'RUPEES' });            // row 20
    lines[33] = row(33, { stock: '3', limit: '5', imageUrl: 'http://x.com/a.jpg' }); // row 33: two problems
    lines[50] = row(50, { startsAt: '2020-01-01T00:00:00Z', endsAt: '2020-01-01T01:00:00Z' }); // row 50
    const r = await api.csv(`/api/brand/deals/bulk?festivalId=${fest}`, lines.join('\n') + '\n');
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('csv_invalid');
    const got = r.body.rows.map((e: { row: number; line: number; field: string; code: string }) => `${e.row}@${e.line}:${e.field}:${e.code}`).sort();
    expect(got).toEqual([
      '20@21:currency:unknown_currency', '33@34:imageUrl:not_https', '33@34:limit:limit_above_stock',
      '50@51:startsAt:start_in_past', '8@9:dealPriceMinor:price_not_below_list',
    ].sort());
    for (const e of r.body.rows) expect(e.message).toContain(e.field);
    // prices: the file's minor units, and what they are in the currency
    const price = r.body.rows.find((e: { row: number }) => e.row === 8);
    expect(price.message).toBe('dealPriceMinor 600000 (6,000.00 PKR) must be below listPriceMinor 499900 (4,999.00 PKR).');
    expect(price.details).toEqual({ value: 600_000, limit: 499_900, limitField: 'listPriceMinor', currency: 'PKR' });
    expect(r.body.message).toContain('row 8: dealPriceMinor 600000 (6,000.00 PKR) must be below');
    expect(r.body.rows.find((e: { row: number }) => e.row === 50).message).toContain('startsAt 2020-01-01T00:00:00Z must be in the future');
    expect(await count()).toBe(0);
  });

  it('row errors name the columns as the file wrote them and say times in the offset of the row', async () => {
    const s = Date.now() + 7_200_000;
    const header = 'festival_id,title,list_price_minor,deal_price_minor,currency,stock,limit,starts_at,ends_at';
    const csv = `${header}\n${fest},Kurta,100000,120000,PKR,5,1,2020-01-01T05:00:00+05:00,${s}\n${fest},Chai set,1000,1200,JPY,5,1,${s},${s + 600_000}\n`;
    const r = await api.csv('/api/brand/deals/bulk', csv);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('csv_invalid');
    const msg = (row: number, field: string) => r.body.rows.find((e: { row: number; field: string }) => e.row === row && e.field === field)?.message;
    expect(msg(1, 'dealPriceMinor')).toBe('deal_price_minor 120000 (1,200.00 PKR) must be below list_price_minor 100000 (1,000.00 PKR).');
    expect(msg(1, 'startsAt')).toMatch(/^starts_at 2020-01-01T05:00:00\+05:00 must be in the future \(it is now 20\d\d-.*\+05:00\)\.$/);
    expect(msg(2, 'dealPriceMinor')).toBe('deal_price_minor 1200 (1,200 JPY) must be below list_price_minor 1000 (1,000 JPY).');
    expect(await count()).toBe(0);
  });

  it('a dry run validates only; then all 50 rows are created in one go', async () => {
    const lines = [HEADER];
    for (let i = 1; i <= 50; i++) lines.push(row(i, { holdMinutes: i % 2 ? '5' : '' }));
    const dry = await api.csv(`/api/brand/deals/bulk?festivalId=${fest}&dryRun=1`, lines.join('\r\n'));
    expect(dry.status).toBe(200);
    expect(dry.body).toEqual({ created: 0, dryRun: true, deals: [] });
    expect(await count()).toBe(0);
    const r = await api.csv(`/api/brand/deals/bulk?festivalId=${fest}`, lines.join('\r\n'));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.created).toBe(50);
    expect(r.body.deals[0].title).toBe('Lawn suit, design 1');
    expect(r.body.deals[0].holdSeconds).toBe(300);
    expect(await count()).toBe(50);
    const audit = await engine.env.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM brand_audit WHERE action = 'deal.create.csv'`);
    expect(audit.rows[0]!.n).toBe(50);
  });

  it('a festivalId column, snake_case headers; unknown columns and broken CSV are reported', async () => {
    const s = Date.now() + 7_200_000;
    const ok = await api.csv('/api/brand/deals/bulk', `festival_id,title,list_price_minor,deal_price_minor,currency,stock,limit,starts_at,ends_at,stock_buckets\n${fest},Kurta,1000,900,PKR,5,1,${s},${s + 600_000},3\n`);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.deals[0].stockBuckets).toBe(3);
    const unknown = await api.csv(`/api/brand/deals/bulk?festivalId=${fest}`, 'title,colour\nx,red\n');
    expect(unknown.status).toBe(400);
    expect(unknown.body.rows[0]).toMatchObject({ row: 0, line: 1, field: 'colour', code: 'unknown_field' });
    const broken = await api.csv(`/api/brand/deals/bulk?festivalId=${fest}`, `${HEADER}\n"unclosed,1,2\n`);
    expect(broken.status).toBe(400);
    expect(broken.body.rows[0].code).toBe('bad_csv');
    const empty = await api.csv(`/api/brand/deals/bulk?festivalId=${fest}`, `${HEADER}\n`);
    expect(empty.body.rows[0].code).toBe('no_rows');
    expect(await count()).toBe(51);
  });

  it('a payment_methods column lists methods between bars; an empty cell is the default', async () => {
    const s = Date.now() + 7_200_000;
    const header = 'festival_id,title,list_price_minor,deal_price_minor,currency,stock,limit,starts_at,ends_at,payment_methods';
    const line = (title: string, methods: string) => `${fest},${title},100000,90000,PKR,5,1,${s},${s + 600_000},${methods}`;
    const before = await count();
    const bad = await api.csv('/api/brand/deals/bulk', `${header}\n${line('Shawl', 'wallet|cheque')}\n${line('Kurta', 'cod|cod')}\n${line('Cap', '|')}\n`);
    expect(bad.status).toBe(400);
    const err = (row: number) => bad.body.rows.find((e: { row: number; field: string }) => e.row === row && e.field === 'paymentMethods');
    expect(err(1)).toMatchObject({ code: 'unknown_payment_method', message: 'payment_methods "cheque" is not a payment method (known: wallet, card, cod).' });
    expect(err(2).code).toBe('duplicate_payment_method');
    expect(err(3).code).toBe('no_payment_method');
    expect(await count()).toBe(before);

    const ok = await api.csv('/api/brand/deals/bulk', `${header}\n${line('Shawl', 'cod | wallet')}\n${line('Kurta', '')}\n`);
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.deals.map((d: { paymentMethods: string[] }) => d.paymentMethods)).toEqual([['wallet', 'cod'], ['wallet', 'card']]);
  });
});
