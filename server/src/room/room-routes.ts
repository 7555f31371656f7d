// The waiting room over HTTP: its public picture (the draw can be checked by anyone), the
// guest-session challenge, the brand's settings and ops' controls (README "Waiting room").
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { Errors } from '../errors.ts';
import { bearerToken, guard, readBody, sendError, sendJson } from '../http/uws-http.ts';
import { opsTokenOk } from '../gateway/ops-routes.ts';
import type { GatewayContext } from '../gateway/context.ts';
import type { TickState } from './room-store.ts';

const DEAL_ID = /^\d{1,18}$/;

/** What ops and brands see of a room. */
export function roomView(dealId: string, t: TickState) {
  return {
    deal: dealId, state: t.state, reason: t.reason || null, nowServing: t.serving, waiting: t.waiting,
    admittedPerSecond: t.rate, admitted: t.admitted, abandoned: t.abandoned, pending: t.pending,
    outflow: t.outflow, windowMs: t.windowMs, paused: t.paused, commit: t.commit, seed: t.seed || null,
    entries: t.entries, openedAt: t.openedAt || null, closedAt: t.closedAt || null,
    timeToSoldOutMs: t.soldOutAt > 0 && t.openedAt > 0 ? t.soldOutAt - t.openedAt : null,
  };
}

export function registerRoomRoutes(app: TemplatedApp, ctx: GatewayContext): void {
  const rooms = ctx.rooms;

  // public: the line and the draw (the seed only once revealed)
  app.get('/api/rooms/:deal', (res: HttpResponse, req: HttpRequest) => {
    const state = guard(res);
    const dealId = req.getParameter(0) ?? '';
    if (!DEAL_ID.test(dealId)) return sendError(res, Errors.notFound, state, 'No such deal.');
    const t = rooms.lastState(dealId);
    if (t) return sendJson(res, 200, roomView(dealId, t), state);
    rooms.store.tick(dealId, 'http', 0).then(
      (tick) => (tick.state === 'off' ? sendError(res, Errors.roomOff, state) : sendJson(res, 200, roomView(dealId, tick), state)),
      () => sendError(res, Errors.unavailable, state),
    );
  });

  // a guest session costs a proof of work while any room is on: the challenge to solve
  app.get('/api/session/challenge', (res: HttpResponse) => {
    const state = guard(res);
    const waiting = Math.max(0, ...rooms.views().map((v) => v.state.waiting));
    rooms.pow.challenge({ k: 'session' }, waiting).then(
      (challenge) => sendJson(res, 200, { required: rooms.anyRoomOn(), challenge }, state),
      () => sendError(res, Errors.internal, state),
    );
  });

  // ops: every room this gateway knows; pause / resume / outflow of one
  app.get('/api/ops/rooms', (res: HttpResponse, req: HttpRequest) => {
    const state = guard(res);
    if (!opsTokenOk(ctx.config.opsToken, bearerToken(req.getHeader('authorization')))) return sendError(res, Errors.unauthorized, state, 'The ops token is missing or wrong.');
    sendJson(res, 200, { rooms: rooms.views().map((v) => roomView(v.dealId, v.state)) }, state);
  });
  app.post('/api/ops/rooms/:deal', (res: HttpResponse, req: HttpRequest) => {
    const state = guard(res);
    const ok = opsTokenOk(ctx.config.opsToken, bearerToken(req.getHeader('authorization')));
    const dealId = req.getParameter(0) ?? '';
    readBody(res, 1024).then(async (body) => {
      if (!ok) return sendError(res, Errors.unauthorized, state, 'The ops token is missing or wrong.');
      if (!DEAL_ID.test(dealId)) return sendError(res, Errors.notFound, state, 'No such deal.');
      let input: { paused?: unknown; outflow?: unknown };
      try {
        input = JSON.parse(body.toString('utf8') || '{}') as typeof input;
      } catch {
        return sendError(res, Errors.badJson, state);
      }
      if (typeof input !== 'object' || input === null
        || (input.paused !== undefined && typeof input.paused !== 'boolean')
        || (input.outflow !== undefined && !(Number.isInteger(input.outflow) && (input.outflow as number) >= 1 && (input.outflow as number) <= 1_000_000))) {
        return sendError(res, Errors.invalid, state, 'Send {"paused": true|false} and/or {"outflow": 1..1000000}.');
      }
      const done = await rooms.store.control(dealId, {
        ...(input.paused !== undefined ? { paused: input.paused as boolean } : {}),
        ...(input.outflow !== undefined ? { outflow: input.outflow as number } : {}),
      });
      if (!done) return sendError(res, Errors.roomOff, state, 'This deal has no waiting room in Redis (not warmed, or no room).');
      const t = await rooms.store.tick(dealId, 'ops', 0);
      sendJson(res, 200, roomView(dealId, t), state);
    }).catch((err: unknown) => {
      ctx.logger.warn({ err }, 'ops room control failed');
      sendError(res, Errors.unavailable, state);
    });
  });
}
