// Brand API tests: a running engine, a festival, brands with keys, and a small HTTP client.
import { startEngine, type RunningEngine } from '../helpers/engine.ts';
import { createBrand, createKey } from '../../src/db/brand-keys-repo.ts';
import { createFestival } from '../../src/db/brand-deals-repo.ts';
import type { Pool } from '../../src/db/pool.ts';

export interface Reply<T = any> { status: number; body: T }

export class BrandClient {
  constructor(readonly url: string, readonly key: string | null) {}

  async req<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.key) h.authorization = `Bearer ${this.key}`;
    let payload: string | undefined;
    if (typeof body === 'string') payload = body;
    else if (body !== undefined) { payload = JSON.stringify(body); h['content-type'] ??= 'application/json'; }
    const res = await fetch(this.url + path, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed: any = text;
    try { parsed = JSON.parse(text); } catch { /* keep the text */ }
    return { status: res.status, body: parsed as T };
  }

  get<T = any>(path: string) { return this.req<T>('GET', path); }
  post<T = any>(path: string, body?: unknown) { return this.req<T>('POST', path, body); }
  patch<T = any>(path: string, body: unknown) { return this.req<T>('PATCH', path, body); }
  csv<T = any>(path: string, text: string) { return this.req<T>('POST', path, text, { 'content-type': 'text/csv' }); }
}

export async function newBrand(pool: Pool, name: string): Promise<{ brandId: string; key: string; keyId: string }> {
  const b = await createBrand(pool, name);
  const k = await createKey(pool, b.id, 'test');
  return { brandId: b.id, key: k.key, keyId: k.keyId };
}

export async function newFestival(pool: Pool, name: string, startsIn: number, lengthMs: number): Promise<string> {
  const now = Date.now();
  return createFestival(pool, { name, startsAt: now + startsIn, endsAt: now + startsIn + lengthMs });
}

/** A valid create body for `festivalId`, starting `startsIn` ms from now. */
export function dealInput(festivalId: string, startsIn = 3_600_000, over: Record<string, unknown> = {}): Record<string, unknown> {
  const start = Date.now() + startsIn;
  return {
    festivalId, title: 'Redmi Note 13', description: '8 GB / 256 GB', imageUrl: 'https://example.com/redmi.jpg',
    listPriceMinor: 6_499_900, dealPriceMinor: 4_999_900, currency: 'PKR', stock: 20, limit: 2,
    startsAt: start, endsAt: start + 30 * 60_000, ...over,
  };
}

export async function brandEngine(overrides: Record<string, string> = {}): Promise<RunningEngine> {
  return startEngine(overrides);
}
