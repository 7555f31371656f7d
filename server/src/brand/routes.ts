// The brand REST API under /api/brand, plus its OpenAPI document. Every request: Bearer key ->
// brand, rate limit, body (JSON or CSV, size-capped), the service call, `{code, message}` on
// refusal. uWS rule: everything is copied out of `req` before the first await.
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import { AppError, Errors } from '../errors.ts';
import { bearerToken, guard, readBody, sendError, sendJson } from '../http/uws-http.ts';
import type { Logger } from '../logger.ts';
import type { StockStore } from '../stock/stock-store.ts';
import { BrandAuth } from './auth.ts';
import { BrandApiError, BrandDealService, type BrandCaller } from './deal-service.ts';
import { openApiDocument } from './openapi.ts';
import type { RoomGate } from '../room/room-gate.ts';
import { roomSettingsOf, saveRoomSettings, validateRoomSettings } from '../room/room-settings.ts';
import { roomView } from '../room/room-routes.ts';
import { CSV_BODY_LIMIT, JSON_BODY_LIMIT } from './limits.ts';


interface Call {
  caller: BrandCaller;
  param: string;
  query: URLSearchParams;
  body: Buffer | null;
  contentType: string;
}

type BodyKind = 'none' | 'json' | 'csv';
type Reply = { status: number; body: unknown };

/** What the brand API needs from the process that serves it; the gateway passes its context. */
export interface BrandRoutesDeps {
  config: Readonly<Config>;
  logger: Logger;
  pool: Pool;
  stock: StockStore;
  /** the engine's clock (Redis TIME), epoch ms */
  clock: { now(): number };
  /** tells the scheduler and every gateway that a deal changed */
  announceDealChanged(dealId: string, festivalId: string): Promise<void>;
  /** the deals' waiting rooms (settings, live line) */
  rooms: RoomGate;
}

export function registerBrandRoutes(app: TemplatedApp, ctx: BrandRoutesDeps): { close(): void } {
  const auth = new BrandAuth(ctx.pool, ctx.logger);
  const svc = new BrandDealService({
    pool: ctx.pool, stock: ctx.stock, announceDealChanged: ctx.announceDealChanged,
    prewarmSeconds: ctx.config.prewarmSeconds, defaultHoldSeconds: ctx.config.defaultHoldSeconds, now: () => ctx.clock.now(),
  });

  const route = (kind: BodyKind, fn: (c: Call) => Promise<Reply>) => (res: HttpResponse, req: HttpRequest) => {
    const state = guard(res);
    const bearer = bearerToken(req.getHeader('authorization'));
    const contentType = req.getHeader('content-type').toLowerCase();
    const length = Number(req.getHeader('content-length') || '0');
    const param = req.getParameter(0) ?? '';
    const query = new URLSearchParams(req.getQuery() ?? '');
    const address = Buffer.from(res.getRemoteAddressAsText()).toString();
    const limit = kind === 'csv' ? CSV_BODY_LIMIT : JSON_BODY_LIMIT;
    // an honest Content-Length over the cap is refused before a byte is read
    const body = kind === 'none' ? Promise.resolve(null) : length > limit ? Promise.reject(new AppError(Errors.payloadTooLarge)) : readBody(res, limit);
    body.catch(() => {}); // handled below, after auth
    (async () => {
      const who = await auth.check(bearer, address);
      if (!who.ok) return sendError(res, who.reason === 'rate_limited' ? Errors.rateLimited : Errors.badApiKey, state, who.message);
      let buf: Buffer | null;
      try {
        buf = await body;
      } catch {
        return sendError(res, Errors.payloadTooLarge, state, `The body is over ${limit / 1024} KiB.`);
      }
      const reply = await fn({ caller: who.caller, param, query, body: buf, contentType });
      sendJson(res, reply.status, reply.body, state);
    })().catch((err: unknown) => {
      if (err instanceof AppError) {
        return sendJson(res, err.status, { code: err.code, message: err.message, ...(err instanceof BrandApiError ? err.extra : {}) }, state);
      }
      ctx.logger.error({ err }, 'brand api handler failed');
      sendError(res, Errors.internal, state);
    });
  };

  const json = (c: Call): unknown => {
    if (c.contentType && !c.contentType.startsWith('application/json')) {
      throw new AppError(Errors.badJson, 'Send the body as application/json.');
    }
    try {
      return JSON.parse((c.body ?? Buffer.alloc(0)).toString('utf8'));
    } catch {
      throw new AppError(Errors.badJson, 'The body is not valid JSON.');
    }
  };
  const ok = (body: unknown, status = 200): Reply => ({ status, body });

  app.get('/api/openapi.json', (res) => sendJson(res, 200, openApiDocument));

  app.get('/api/brand/me', route('none', async (c) => ok({ brand: { id: c.caller.brandId, name: c.caller.brandName }, keyId: c.caller.keyId })));
  app.get('/api/brand/festivals', route('none', async () => ok({ festivals: await svc.festivals() })));
  app.get('/api/brand/deals', route('none', async (c) => {
    const f = c.query.get('festivalId');
    if (f !== null && !/^\d{1,18}$/.test(f)) throw new AppError(Errors.invalid, '`festivalId` must be a numeric id.');
    return ok({ deals: await svc.list(c.caller, f ?? undefined) });
  }));
  app.post('/api/brand/deals', route('json', async (c) => ok({ deal: await svc.create(c.caller, json(c)) }, 201)));
  app.post('/api/brand/deals/bulk', route('csv', async (c) => {
    const festivalId = c.query.get('festivalId') ?? undefined;
    const dryRun = ['1', 'true'].includes(c.query.get('dryRun') ?? '');
    const r = await svc.bulk(c.caller, (c.body ?? Buffer.alloc(0)).toString('utf8'), { festivalId, dryRun });
    return ok(r, r.dryRun ? 200 : 201);
  }));
  app.get('/api/brand/deals/:id', route('none', async (c) => ok({ deal: await svc.get(c.caller, c.param) })));
  app.patch('/api/brand/deals/:id', route('json', async (c) => ok({ deal: await svc.update(c.caller, c.param, json(c)) })));
  app.post('/api/brand/deals/:id/cancel', route('none', async (c) => ok({ deal: await svc.cancel(c.caller, c.param) })));
  // the deal's waiting room: its settings (Postgres) and, once warm, its line (Redis)
  const roomReply = async (dealId: string) => {
    const live = ctx.rooms.lastState(dealId);
    return ok({ settings: await roomSettingsOf(ctx.pool, ctx.config, dealId), line: live ? roomView(dealId, live) : null });
  };
  app.get('/api/brand/deals/:id/room', route('none', async (c) => {
    await svc.get(c.caller, c.param);
    return roomReply(c.param);
  }));
  app.put('/api/brand/deals/:id/room', route('json', async (c) => {
    await svc.get(c.caller, c.param);
    const v = validateRoomSettings(json(c), await roomSettingsOf(ctx.pool, ctx.config, c.param));
    if (!v.ok) throw new BrandApiError(Errors.validationFailed, v.errors.map((e) => `${e.field}: ${e.message}`).join(' '), { errors: v.errors });
    await saveRoomSettings(ctx.pool, ctx.rooms.store, ctx.stock, c.param, v.settings);
    return roomReply(c.param);
  }));
  app.post('/api/brand/deals/:id/stop', route('none', async (c) => ok({ deal: await svc.stop(c.caller, c.param) })));

  return { close: () => auth.close() };
}
