// Abuse gets its documented refusal and changes nothing: bad tokens and origins are refused
// before the upgrade; garbage frames get error codes; a flood is refused then closed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startEngine, seedDeals, warmNow, newSession, type RunningEngine } from '../helpers/engine.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import { SessionSigner } from '../../src/gateway/session.ts';
import { StockStore } from '../../src/stock/stock-store.ts';
import { CloseCode } from '../../src/shared/protocol.ts';

describe('protocol abuse', () => {
  let engine: RunningEngine;
  let dealId: string;
  let stock: StockStore;

  beforeAll(async () => {
    engine = await startEngine({ RATE_LIMIT_PER_SECOND: '20', RATE_LIMIT_BURST: '20', FLOOD_CLOSE_AFTER: '100' });
    dealId = (await seedDeals(engine.env.pool, [{ stock: 10, limit: 2, startsIn: -1_000 }])).dealIds[0]!;
    await warmNow(engine.env, [dealId]);
    stock = new StockStore(engine.env.redis, engine.config.keyPrefix);
  });
  afterAll(async () => {
    await engine?.stop();
    await engine?.env.cleanup();
  });

  async function untouched(): Promise<void> {
    expect(await stock.readDeal(dealId)).toMatchObject({ available: 10, held: 0, sold: 0 });
    expect(await engine.env.redis.hlen(stock.keys(dealId).rids)).toBe(0);
  }

  async function refusedUpgrade(query: string, headers: Record<string, string> = {}): Promise<{ status: number; body: { code: string; message: string } }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${engine.wsUrl}${query}`, { headers });
      ws.once('open', () => { ws.close(); reject(new Error('upgrade was accepted')); });
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
      });
      ws.once('error', () => {});
    });
  }

  it('a text frame of invalid UTF-8 fails only its own connection, at once (RFC 6455 8.1)', async () => {
    const token = (await newSession(engine.url)).token;
    const bad = await ShopperSocket.open(engine.wsUrl, token);
    const good = await ShopperSocket.open(engine.wsUrl, token);
    bad.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    // uWebSockets.js drops the TCP connection without a close frame: the client reports 1006
    expect(await bad.closed(2_000)).toBe(1006);
    good.send({ t: 'ping', c: 1 });
    expect(await good.waitFor((m) => m.t === 'pong')).toMatchObject({ t: 'pong', c: 1 });
    good.close();
    await untouched();
  });

  it('refuses a missing, forged or expired token and a foreign Origin before the upgrade', async () => {
    expect(await refusedUpgrade('')).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
    const good = (await newSession(engine.url)).token;
    const forged = good.slice(0, good.indexOf('.')) + '.' + 'A'.repeat(43);
    expect(await refusedUpgrade(`?token=${forged}`)).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
    const otherSecret = new SessionSigner('x'.repeat(40), 60).issue().token;
    expect(await refusedUpgrade(`?token=${otherSecret}`)).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
    const expired = new SessionSigner(engine.config.sessionSecret, 60).issue(Date.now() - 120_000).token;
    expect(await refusedUpgrade(`?token=${expired}`)).toMatchObject({ status: 401, body: { code: 'session_expired' } });
    expect(await refusedUpgrade(`?token=${good}`, { Origin: 'https://evil.example' }))
      .toMatchObject({ status: 403, body: { code: 'forbidden_origin' } });
    // an allowed origin passes
    const ok = await ShopperSocket.open(engine.wsUrl, good, { Origin: engine.config.allowedOrigins[0]! });
    ok.close();
    await untouched();
  });

  it('answers malformed JSON, unknown types and invalid grabs with codes, changing nothing', async () => {
    const s = await ShopperSocket.open(engine.wsUrl, (await newSession(engine.url)).token);
    s.send('{"t":"grab",');
    expect(await s.waitFor((m) => m.t === 'error')).toMatchObject({ code: 'bad_json' });
    s.send({ t: 'teleport', deal: dealId });
    expect(await s.waitFor((m) => m.t === 'error' && m.code === 'unknown_type')).toBeTruthy();
    s.send('[1,2,3]');
    expect(await s.waitFor((m) => m.t === 'error' && m.code === 'unknown_type')).toBeTruthy();
    s.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await s.waitFor((m) => m.t === 'error' && m.code === 'bad_message')).toBeTruthy();
    const invalid = [
      { t: 'grab', deal: dealId, qty: 0, rid: 'q0' },
      { t: 'grab', deal: dealId, qty: 1.5, rid: 'q15' },
      { t: 'grab', deal: dealId, qty: 101, rid: 'q101' },
      { t: 'grab', deal: dealId, qty: 1, rid: 'extra', hack: true },
      { t: 'grab', deal: 'abc', qty: 1, rid: 'baddeal' },
      { t: 'grab', deal: dealId, qty: 1, rid: 'bad rid with spaces' },
    ];
    for (const m of invalid) s.send(m);
    for (const rid of ['q0', 'q15', 'q101', 'extra', 'baddeal']) {
      expect(await s.answerTo(rid)).toMatchObject({ t: 'refused', code: 'invalid' });
    }
    s.send({ t: 'grab', deal: '999999', qty: 1, rid: 'nodeal' });
    expect(await s.answerTo('nodeal')).toMatchObject({ t: 'refused', code: 'unknown_deal' });
    s.send({ t: 'pay', hold: 'nope' });
    expect(await s.waitFor((m) => m.t === 'refused' && 'hold' in m && m.hold === 'nope')).toMatchObject({ code: 'invalid' });
    s.send({ t: 'pay', hold: `${dealId}-77` });
    expect(await s.waitFor((m) => m.t === 'refused' && 'hold' in m && m.hold === `${dealId}-77`)).toMatchObject({ code: 'unknown_hold' });
    expect(s.closeCode).toBeNull();
    s.close();
    await untouched();
  });

  it('closes a socket that sends an oversized frame', async () => {
    const s = await ShopperSocket.open(engine.wsUrl, (await newSession(engine.url)).token);
    s.send({ t: 'grab', deal: dealId, qty: 1, rid: 'big', pad: 'x'.repeat(8_000) });
    const code = await s.closed();
    expect([1009, 1006]).toContain(code);
    await untouched();
  });

  it('refuses a flood with rate_limited and then closes it with 4008', async () => {
    const s = await ShopperSocket.open(engine.wsUrl, (await newSession(engine.url)).token);
    for (let i = 0; i < 400; i++) s.send({ t: 'ping', c: i });
    const code = await s.closed();
    expect(code).toBe(CloseCode.Flooding);
    const pongs = s.messages.filter((m) => m.t === 'pong').length;
    const limited = s.messages.filter((m) => m.t === 'error' && m.code === 'rate_limited').length;
    expect(pongs).toBeGreaterThanOrEqual(20);
    expect(pongs).toBeLessThan(60);
    expect(limited).toBeGreaterThanOrEqual(90);

    // rate-limited grabs are refused with their rid and never reach Redis
    const g = await ShopperSocket.open(engine.wsUrl, (await newSession(engine.url)).token);
    for (let i = 0; i < 25; i++) g.send({ t: 'ping', c: i });
    g.send({ t: 'grab', deal: dealId, qty: 1, rid: 'after-burst' });
    expect(await g.answerTo('after-burst')).toMatchObject({ t: 'refused', code: 'rate_limited' });
    g.close();
    await untouched();
  });

  it('refuses bad HTTP requests with a status and a code', async () => {
    const orders = await fetch(`${engine.url}/api/orders`);
    expect(orders.status).toBe(401);
    expect(await orders.json()).toMatchObject({ code: 'unauthorized' });
    const missing = await fetch(`${engine.url}/api/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'not_found' });
    const health = await fetch(`${engine.url}/healthz`);
    expect(await health.json()).toMatchObject({ ok: true, redis: true, postgres: true });
  });
});
