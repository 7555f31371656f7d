// Shoppers as the marketplace's accounts: ID tokens verified against a real JWKS over HTTP
// (scripts/idp-demo.ts), every bad token refused before the upgrade with its code, keys rotated
// without a restart, and the per-shopper limit binding the account across sockets and devices.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startEngine, startEngineIn, seedDeals, warmNow, newSession, type RunningEngine } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { DemoIdp } from '../../../scripts/idp-demo.ts';
import { accountShopperId } from '../../src/gateway/shopper-auth.ts';
import { StockStore } from '../../src/stock/stock-store.ts';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

describe('shopper accounts (SHOPPER_AUTH with a marketplace JWKS)', () => {
  const idp = new DemoIdp('flashfest');
  let engine: RunningEngine;
  let dealId: string;
  const sockets: ShopperSocket[] = [];
  const extra: RunningEngine[] = [];

  beforeAll(async () => {
    await idp.listen();
    engine = await startEngine({
      SHOPPER_AUTH: 'both', SHOPPER_JWKS_URL: idp.jwksUrl, SHOPPER_JWT_ISSUER: idp.issuer, SHOPPER_JWT_AUDIENCE: 'flashfest',
      SHOPPER_JWKS_COOLDOWN_SECONDS: '1', SHOPPER_JWKS_CACHE_SECONDS: '2', SHOPPER_JWT_CLOCK_SKEW_SECONDS: '5',
    });
    dealId = (await seedDeals(engine.env.pool, [{ stock: 10, limit: 1, startsIn: -1_000 }])).dealIds[0]!;
    await warmNow(engine.env, [dealId]);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    for (const e of extra) await e.stop();
    await engine?.stop();
    await engine?.env.cleanup();
    await idp.close();
  });

  async function open(token: string, on = engine): Promise<ShopperSocket> {
    const s = await ShopperSocket.open(on.wsUrl, token);
    sockets.push(s);
    return s;
  }

  function refused(token: string, on = engine): Promise<{ status: number; code: string }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${on.wsUrl}?token=${encodeURIComponent(token)}`);
      ws.once('open', () => { ws.close(); reject(new Error('upgrade was accepted')); });
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, code: (JSON.parse(body) as { code: string }).code }));
      });
      ws.once('error', () => {});
    });
  }

  async function orders(token: string, on = engine): Promise<{ status: number; body: { code?: string; orders?: unknown[] } }> {
    const res = await fetch(`${on.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: await res.json() as { code?: string; orders?: unknown[] } };
  }

  it('a valid ID token opens the socket as the account and reads its orders over HTTP', async () => {
    const token = await idp.sign('amina', { extra: { city: 'lahore' } });
    const s = await open(token);
    const hello = await s.waitFor((m) => m.t === 'hello');
    const expected = accountShopperId(engine.config.shopperIdSecret, idp.issuer, 'amina');
    expect(hello).toMatchObject({ t: 'hello', shopper: expected });
    expect(expected).not.toContain('amina');
    expect(await orders(token)).toEqual({ status: 200, body: { orders: [] } });
  });

  it('refuses every bad token before the upgrade, with its code', async () => {
    const kid = await idp.addKey('RS256');
    await new Promise((r) => setTimeout(r, 1_100)); // past the cooldown: the new kid is fetched
    const published = idp.publicJwk(kid);
    const stray = await idp.strayKey('ES256', 'not-published');
    const impostor = await idp.strayKey('RS256', kid); // a key not in the JWKS, under a published kid
    const payload = { sub: 'x', iss: idp.issuer, aud: 'flashfest', exp: Math.floor(Date.now() / 1000) + 600 };
    const hsWithPublicKey = `${b64({ alg: 'HS256', kid })}.${b64(payload)}`;
    const hs = `${hsWithPublicKey}.${createHmac('sha256', JSON.stringify(published)).update(hsWithPublicKey).digest('base64url')}`;
    const cases: [string, string, number, string][] = [
      ['expired', await idp.sign('x', { expiresIn: -60 }), 401, 'session_expired'],
      ['not yet valid', await idp.sign('x', { notBefore: 120 }), 401, 'token_not_yet_valid'],
      ['wrong iss', await idp.sign('x', { issuer: 'https://evil.example' }), 401, 'wrong_issuer'],
      ['wrong aud', await idp.sign('x', { audience: 'another-app' }), 401, 'wrong_audience'],
      ['unknown kid', await idp.sign('x', {}, stray), 401, 'unknown_key'],
      ['key not in the JWKS', await idp.sign('x', {}, impostor), 401, 'bad_signature'],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`, 401, 'algorithm_not_allowed'],
      ['HS256 with the public key as secret', hs, 401, 'algorithm_not_allowed'],
      ['garbage', 'a.b.c', 401, 'unauthorized'],
    ];
    for (const [what, token, status, code] of cases) {
      expect({ what, ...(await refused(token)) }).toEqual({ what, status, code });
      expect({ what, status: (await orders(token)).status, code: (await orders(token)).body.code }).toEqual({ what, status, code });
    }
  });

  it('an unknown kid fetches the key set at most once per cooldown', async () => {
    await new Promise((r) => setTimeout(r, 1_100));
    const before = idp.jwksFetches;
    for (let i = 0; i < 8; i++) {
      expect((await refused(await idp.sign('x', {}, await idp.strayKey('ES256')))).code).toBe('unknown_key');
    }
    expect(idp.jwksFetches - before).toBeLessThanOrEqual(1);
  });

  it('rotates keys without a restart: a new key is taken, a retired one refused', async () => {
    const oldKid = await idp.addKey('ES256');
    await new Promise((r) => setTimeout(r, 1_100)); // past the cooldown: the new kid is fetched
    const oldToken = await idp.sign('rotating', { kid: oldKid });
    (await open(oldToken)).close();
    const newKid = await idp.addKey('ES256');
    await new Promise((r) => setTimeout(r, 1_100));
    (await open(await idp.sign('rotating', { kid: newKid }))).close();
    idp.removeKey(oldKid);
    await new Promise((r) => setTimeout(r, 2_100)); // past the cache age: the set is fetched again
    expect(await refused(oldToken)).toEqual({ status: 401, code: 'unknown_key' });
    (await open(await idp.sign('rotating', { kid: newKid }))).close();
  });

  it('the per-shopper limit binds the account across two devices with two sockets each', async () => {
    const phone = await idp.sign('ravi', { extra: { jti: 'phone' } });
    const laptop = await idp.sign('ravi', { extra: { jti: 'laptop' } });
    const second = await startEngineIn(engine.env, {
      FF_ROLE: 'gateway', SHOPPER_AUTH: 'both', SHOPPER_JWKS_URL: idp.jwksUrl, SHOPPER_JWT_ISSUER: idp.issuer, SHOPPER_JWT_AUDIENCE: 'flashfest',
    });
    extra.push(second);
    const all = [await open(phone), await open(phone, second), await open(laptop), await open(laptop, second)];
    all.forEach((s, i) => { for (let j = 0; j < 3; j++) s.send({ t: 'grab', deal: dealId, qty: 1, rid: `dev${i}-${j}` }); });
    const answers = await Promise.all(all.flatMap((s, i) => [0, 1, 2].map((j) => s.answerTo(`dev${i}-${j}`)))).catch((e) => { console.log('DEBUG', JSON.stringify(all.map((s) => [s.messages, s.closeCode]))); throw e; });
    expect(answers.filter((a) => a.t === 'held')).toHaveLength(1);
    expect(answers.filter((a) => a.t === 'refused' && a.code === 'limit_reached')).toHaveLength(11);
    const stock = new StockStore(engine.env.redis, engine.config.keyPrefix);
    const shopper = accountShopperId(engine.config.shopperIdSecret, idp.issuer, 'ravi');
    expect(await engine.env.redis.hget(stock.keys(dealId).perShopper, shopper)).toBe('1');
  });

  it('SHOPPER_AUTH=jwt: no guest sessions are minted or accepted; ID tokens still are', async () => {
    const guest = (await newSession(engine.url)).token;
    const jwtOnly = await startEngineIn(engine.env, {
      FF_ROLE: 'gateway', SHOPPER_AUTH: 'jwt', SHOPPER_JWKS_URL: idp.jwksUrl, SHOPPER_JWT_ISSUER: idp.issuer, SHOPPER_JWT_AUDIENCE: 'flashfest',
    });
    extra.push(jwtOnly);
    const res = await fetch(`${jwtOnly.url}/api/session`, { method: 'POST' });
    expect({ status: res.status, code: ((await res.json()) as { code: string }).code }).toEqual({ status: 403, code: 'guests_off' });
    expect(await refused(guest, jwtOnly)).toEqual({ status: 403, code: 'guests_off' });
    expect((await orders(guest, jwtOnly)).status).toBe(403);
    (await open(await idp.sign('sara'), jwtOnly)).close();
  });

  it('SHOPPER_AUTH=guest: ID tokens are refused as jwt_login_off', async () => {
    const guestOnly = await startEngineIn(engine.env, { FF_ROLE: 'gateway', SHOPPER_AUTH: 'guest' });
    extra.push(guestOnly);
    expect(await refused(await idp.sign('li'), guestOnly)).toEqual({ status: 401, code: 'jwt_login_off' });
    (await open((await newSession(guestOnly.url)).token, guestOnly)).close();
  });
});
