// The ops side of a gateway: `/metrics` (Prometheus text of this process), the ops board's
// REST snapshot and its WebSocket, both behind OPS_TOKEN. Register before the catch-all routes.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, us_socket_context_t } from 'uWebSockets.js';
import { Errors } from '../errors.ts';
import { Topic } from '../shared/protocol.ts';
import type { LiveHub } from '../live/live-hub.ts';
import type { ProcessMetrics } from '../metrics/process-metrics.ts';
import { bearerToken, guard, sendError, sendJson, statusLine } from '../http/uws-http.ts';
import type { GatewayContext } from './context.ts';

interface OpsSocketData { closed: boolean }

/** Constant-time token check (hash both sides so lengths never leak). */
export function opsTokenOk(expected: string, given: string | null | undefined): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

export function serveMetrics(res: HttpResponse, metrics: ProcessMetrics): void {
  const state = guard(res);
  metrics.text().then((body) => {
    if (state.aborted) return;
    res.cork(() => {
      res.writeStatus(statusLine(200)).writeHeader('content-type', metrics.contentType).writeHeader('cache-control', 'no-store').end(body);
    });
  }, () => sendError(res, Errors.internal, state));
}

export function registerOpsRoutes(app: TemplatedApp, ctx: GatewayContext, live: LiveHub, metrics: ProcessMetrics): void {
  const token = ctx.config.opsToken;

  app.get('/metrics', (res) => serveMetrics(res, metrics));

  app.get('/api/ops/snapshot', (res: HttpResponse, req: HttpRequest) => {
    const state = guard(res);
    if (!opsTokenOk(token, bearerToken(req.getHeader('authorization')))) return sendError(res, Errors.unauthorized, state, 'The ops token is missing or wrong.');
    live.ops.refresh().then(
      () => sendJson(res, 200, { snapshot: live.ops.snapshot(), history: live.ops.history }, state),
      (err: unknown) => {
        ctx.logger.error({ err }, 'ops snapshot failed');
        sendError(res, Errors.internal, state);
      },
    );
  });

  app.ws<OpsSocketData>('/ops/ws', {
    compression: 0,
    maxPayloadLength: 1024,
    maxBackpressure: 4 * 1024 * 1024,
    closeOnBackpressureLimit: 1,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    upgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t) {
      const given = new URLSearchParams(req.getQuery() ?? '').get('token');
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      if (!opsTokenOk(token, given)) return sendError(res, Errors.unauthorized, undefined, 'The ops token is missing or wrong.');
      if (ctx.stopping) return sendError(res, Errors.unavailable);
      res.upgrade<OpsSocketData>({ closed: false }, key, protocol, extensions, context);
    },
    open(ws: WebSocket<OpsSocketData>) {
      live.opsSockets.add(ws as WebSocket<unknown>);
      ws.subscribe(Topic.ops);
      ws.send(JSON.stringify({ t: 'ops', snapshot: live.ops.snapshot(), history: live.ops.history }), false);
    },
    message(ws: WebSocket<OpsSocketData>, buf: ArrayBuffer) {
      // the board only listens; a ping keeps proxies from idling the line out
      const text = Buffer.from(buf).toString('utf8', 0, 200);
      if (text.includes('"ping"')) ws.send(JSON.stringify({ t: 'pong', s: Date.now() }), false);
    },
    close(ws: WebSocket<OpsSocketData>) {
      ws.getUserData().closed = true;
      live.opsSockets.delete(ws as WebSocket<unknown>);
    },
  });
}
