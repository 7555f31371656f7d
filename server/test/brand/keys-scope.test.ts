// API key life cycle (created, used, revoked), brand scoping without existence leaks, the
// per-key rate limit, the audit trail, and the OpenAPI document matching the routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEngine } from '../helpers/engine.ts';
import { waitFor } from '../helpers/test-env.ts';
import { createKey, getKey, revokeKey } from '../../src/db/brand-keys-repo.ts';
import { brandCommand } from '../../src/brand/admin-cli.ts';
import { BRAND_RATE } from '../../src/brand/auth.ts';
import { BrandClient, brandEngine, dealInput, newBrand, newFestival } from './helpers.ts';

describe('brand keys and scoping', () => {
  let engine: RunningEngine;
  let fest: string;
  let a: { brandId: string; key: string; keyId: string };
  let b: { brandId: string; key: string; keyId: string };

  beforeAll(async () => {
    engine = await brandEngine({ FF_ROLE: 'gateway' });
    fest = await newFestival(engine.env.pool, 'Scope Fest', -60_000, 6 * 3_600_000);
    a = await newBrand(engine.env.pool, 'Brand A');
    b = await newBrand(engine.env.pool, 'Brand B');
  });

  afterAll(async () => {
    await engine?.stop();
    await engine?.env.cleanup();
  });

  it('a key is created by the ops command, used (last_used set), then revoked -> 401', async () => {
    const out = await brandCommand(engine.env.pool, ['create', 'Cli Brand']);
    const key = /key #\d+: (ffb_\S+)/.exec(out)![1]!;
    const keyId = /^ffb_(\d+)_/.exec(key)![1]!;
    const row = await getKey(engine.env.pool, keyId);
    expect(row!.lastUsedAt).toBeNull();
    // only the hash is stored
    expect(row!.secretSha256.length).toBe(32);
    const { rows } = await engine.env.pool.query('SELECT * FROM api_keys WHERE id = $1', [keyId]);
    // the secret is everything after `ffb_<id>_`: base64url, so it may hold '_' itself (split
    // on '_' took an empty piece once, when the secret began with one)
    const secret = key.slice(`ffb_${keyId}_`.length);
    expect(secret.length).toBeGreaterThanOrEqual(20);
    expect(JSON.stringify(rows[0])).not.toContain(secret);

    const api = new BrandClient(engine.url, key);
    const me = await api.get('/api/brand/me');
    expect(me.status).toBe(200);
    expect(me.body.brand.name).toBe('Cli Brand');
    await waitFor(async () => (await getKey(engine.env.pool, keyId))!.lastUsedAt !== null, 'last_used_at set');

    expect(await brandCommand(engine.env.pool, ['revoke-key', keyId])).toContain('revoked');
    const after = await api.get('/api/brand/deals');
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('unauthorized');
    expect(after.body.message).toMatch(/revoked/);

    // a second key of the same brand still works
    const added = await brandCommand(engine.env.pool, ['add-key', 'Cli Brand', '--label', 'ci']);
    const key2 = /: (ffb_\S+)/.exec(added)![1]!;
    expect((await new BrandClient(engine.url, key2).get('/api/brand/deals')).status).toBe(200);
    const audit = await engine.env.pool.query<{ action: string }>(
      `SELECT action FROM brand_audit a JOIN brands b ON b.id = a.brand_id WHERE b.name = 'Cli Brand' ORDER BY a.id`);
    expect(audit.rows.map((r) => r.action)).toEqual(['key.create', 'key.revoke', 'key.create']);
  });

  it('no key, a malformed key, a wrong secret: 401', async () => {
    for (const key of [null, 'nonsense', `ffb_${a.keyId}_${'A'.repeat(43)}`, a.key.slice(0, -1) + (a.key.endsWith('A') ? 'B' : 'A')]) {
      const r = await new BrandClient(engine.url, key).get('/api/brand/deals');
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('unauthorized');
    }
  });

  it("brand A can never read or change brand B's deals: 404 like a missing deal", async () => {
    const apiA = new BrandClient(engine.url, a.key);
    const apiB = new BrandClient(engine.url, b.key);
    const created = await apiB.post('/api/brand/deals', dealInput(fest));
    expect(created.status).toBe(201);
    const id = created.body.deal.id as string;
    const missing = '987654321';
    const tries: [string, (x: string) => Promise<{ status: number; body: unknown }>][] = [
      ['get', (x) => apiA.get(`/api/brand/deals/${x}`)],
      ['patch', (x) => apiA.patch(`/api/brand/deals/${x}`, { title: 'hijacked' })],
      ['cancel', (x) => apiA.post(`/api/brand/deals/${x}/cancel`)],
      ['stop', (x) => apiA.post(`/api/brand/deals/${x}/stop`)],
    ];
    for (const [what, call] of tries) {
      const foreign = await call(id);
      const none = await call(missing);
      expect(foreign.status, what).toBe(404);
      expect(foreign.body, what).toEqual(none.body);
    }
    expect((await apiA.get('/api/brand/deals')).body.deals).toEqual([]);
    const mine = await apiB.get(`/api/brand/deals/${id}`);
    expect(mine.body.deal.title).toBe('Redmi Note 13');
    expect(mine.body.deal.state).toBe('scheduled');
  });

  it('rate limit per key: 429 rate_limited past the burst, other keys unaffected', async () => {
    const k = await createKey(engine.env.pool, a.brandId, 'burst');
    const api = new BrandClient(engine.url, k.key);
    const res = await Promise.all(Array.from({ length: BRAND_RATE.burst + 15 }, () => api.get('/api/brand/me')));
    const limited = res.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.body.code).toBe('rate_limited');
    expect((await new BrandClient(engine.url, b.key).get('/api/brand/me')).status).toBe(200);
    await revokeKey(engine.env.pool, k.keyId);
  });

  it('every change leaves an audit row: key, brand, action, before and after', async () => {
    const api = new BrandClient(engine.url, b.key);
    const c = await api.post('/api/brand/deals', dealInput(fest, 2 * 3_600_000, { title: 'Audit me' }));
    const id = c.body.deal.id;
    expect((await api.patch(`/api/brand/deals/${id}`, { dealPriceMinor: 4_500_000 })).status).toBe(200);
    expect((await api.post(`/api/brand/deals/${id}/cancel`)).status).toBe(200);
    const { rows } = await engine.env.pool.query<{ key_id: number; brand_id: number; action: string; before: any; after: any; at: Date }>(
      'SELECT * FROM brand_audit WHERE deal_id = $1 ORDER BY id', [id]);
    expect(rows.map((r) => r.action)).toEqual(['deal.create', 'deal.update', 'deal.cancel']);
    for (const r of rows) {
      expect(String(r.key_id)).toBe(b.keyId);
      expect(String(r.brand_id)).toBe(b.brandId);
      expect(r.at).toBeInstanceOf(Date);
    }
    expect(rows[1]!.before.dealPriceMinor).toBe(4_999_900);
    expect(rows[1]!.after.dealPriceMinor).toBe(4_500_000);
    expect(rows[2]!.before.state).toBe('scheduled');
    expect(rows[2]!.after.state).toBe('cancelled');
  });

  it('GET /api/openapi.json is OpenAPI 3.1 and lists every brand route', async () => {
    const r = await fetch(`${engine.url}/api/openapi.json`);
    const doc = (await r.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths).flatMap(([p, m]) => Object.keys(m).map((x) => `${x.toUpperCase()} ${p}`)).sort();
    expect(ops).toEqual([
      'GET /api/brand/deals', 'GET /api/brand/deals/{id}', 'GET /api/brand/festivals', 'GET /api/brand/me', 'GET /api/openapi.json',
      'PATCH /api/brand/deals/{id}', 'POST /api/brand/deals', 'POST /api/brand/deals/bulk', 'POST /api/brand/deals/{id}/cancel',
      'POST /api/brand/deals/{id}/stop',
    ]);
    // and each of them answers (not the /api catch-all 404 not_found with "No such resource.")
    const api = new BrandClient(engine.url, b.key);
    for (const op of ops) {
      const [method, path] = op.split(' ') as [string, string];
      const res = await api.req(method, path.replace('{id}', '1'), method === 'GET' ? undefined : {});
      expect(res.body.message, op).not.toBe('No such resource.');
    }
  });
});
