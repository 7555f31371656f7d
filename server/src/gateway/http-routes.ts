// REST routes of the gateway. Every refusal is `{code, message}` with the catalogue's status.
import type { TemplatedApp, HttpResponse, HttpRequest } from 'uWebSockets.js';
import { Errors } from '../errors.ts';
import { currentFestivalId } from '../db/catalog-repo.ts';
import { listShopperOrders } from '../db/orders-repo.ts';
import { bearerToken, guard, readBody, sendError, sendJson } from '../http/uws-http.ts';
import { knownCity, randomCity } from '../live/ticker.ts';
import type { GatewayContext } from './context.ts';
import type { StaticFiles } from './static-files.ts';
import { TokenBucket } from '../http/rate-limit.ts';
import { withTimeout } from '../redis.ts';
import { shopperPageServer } from '../shell/shell-route.ts';
import { shellLanguage } from '../shared/languages.ts';

type Handler = (res: HttpResponse, req: HttpRequest) => void;

/** Wraps an async handler: onAborted first, errors become a 500 with a code, never a crash. */
function asyncRoute(ctx: GatewayContext, fn: (res: HttpResponse, req: HttpRequest, state: { aborted: boolean }) => Promise<void>): Handler {
  return (res, req) => {
    const state = guard(res);
    fn(res, req, state).catch((err: unknown) => {
      ctx.logger.error({ err }, 'http handler failed');
      sendError(res, Errors.internal, state);
    });
  };
}

export function registerHttpRoutes(app: TemplatedApp, ctx: GatewayContext, files: StaticFiles): void {
  // Guest sessions are cheap to mint, so one client address may not mint thousands.
  const sessionBuckets = new Map<string, TokenBucket>();
  const sweep = setInterval(() => sessionBuckets.clear(), 60_000);
  sweep.unref();

  app.post('/api/session', (res) => {
    if (!ctx.auth.guestsOn) return sendError(res, Errors.guestsOff);
    const ip = Buffer.from(res.getRemoteAddressAsText()).toString();
    let bucket = sessionBuckets.get(ip);
    if (!bucket) sessionBuckets.set(ip, (bucket = new TokenBucket(5, 60)));
    if (!bucket.take()) return sendError(res, Errors.rateLimited);
    // optional body {city}: one of protocol Cities, else a random one (only the ticker shows it)
    const state = guard(res);
    readBody(res, 2048).then(async (body) => {
      let city: string | null = null;
      let pow: unknown;
      if (body.length > 0) {
        try {
          const parsed = JSON.parse(body.toString('utf8')) as { city?: unknown; pow?: unknown } | null;
          city = knownCity(parsed?.city);
          pow = parsed?.pow;
        } catch {
          return sendError(res, Errors.badJson, state);
        }
      }
      // while a waiting room is on, a guest session costs a proof of work (GET /api/session/challenge)
      const door = await ctx.rooms.checkSessionPow(pow);
      if (door !== 'ok') return sendError(res, door === 'required' ? Errors.powRequired : Errors.powInvalid, state);
      const issued = ctx.sessions.issue(undefined, undefined, city ?? randomCity());
      sendJson(res, 200, { token: issued.token, shopperId: issued.shopperId, expiresAt: issued.expiresAt, city: issued.city }, state);
    }, (err: { def?: typeof Errors.payloadTooLarge }) => sendError(res, err.def ?? Errors.invalid, state))
      .catch(() => sendError(res, Errors.unavailable, state));
  });

  app.get('/api/festivals/current', asyncRoute(ctx, async (res, _req, state) => {
    const id = await currentFestivalId(ctx.pool);
    const view = id ? await ctx.feed.festivalView(id, ctx.clock.now()) : null;
    if (!view) return sendError(res, Errors.noFestival, state);
    sendJson(res, 200, view, state);
  }));

  app.get('/api/festivals/:id', asyncRoute(ctx, async (res, req, state) => {
    const id = req.getParameter(0) ?? '';
    if (!/^\d{1,18}$/.test(id)) return sendError(res, Errors.notFound, state);
    const view = await ctx.feed.festivalView(id, ctx.clock.now());
    if (!view) return sendError(res, Errors.notFound, state, 'No such festival.');
    sendJson(res, 200, view, state);
  }));

  app.get('/api/orders', asyncRoute(ctx, async (res, req, state) => {
    const check = await ctx.auth.check(bearerToken(req.getHeader('authorization')));
    if (!check.ok) return sendError(res, check.error, state);
    const orders = await listShopperOrders(ctx.pool, check.session.shopperId);
    sendJson(res, 200, { orders }, state);
  }));

  app.get('/api/time', (res) => sendJson(res, 200, { serverTime: ctx.clock.now() }));

  // Answers within REDIS_TIMEOUT_MS whatever the stores do: a probe that times out is an
  // answer (503) the load balancer can act on, a hung one is not.
  app.get('/healthz', asyncRoute(ctx, async (res, _req, state) => {
    const bound = ctx.config.redisTimeoutMs;
    const checks = await Promise.allSettled([
      ctx.redisHealth.check('healthz redis'),
      withTimeout(ctx.pool.query('SELECT 1'), bound, 'healthz postgres'),
    ]);
    const redis = checks[0].status === 'fulfilled';
    const postgres = checks[1].status === 'fulfilled';
    const ok = redis && postgres && !ctx.stopping;
    sendJson(res, ok ? 200 : 503, { ok, redis, postgres, stopping: ctx.stopping, sockets: ctx.sockets.size }, state);
  }));

  app.any('/api/*', (res) => sendError(res, Errors.notFound));
  const shopperPage = shopperPageServer(ctx, files);
  app.any('/*', (res, req) => {
    const method = req.getMethod();
    const url = req.getUrl();
    const acceptEncoding = req.getHeader('accept-encoding');
    if (method !== 'get' && method !== 'head') return sendError(res, Errors.methodNotAllowed);
    const head = method === 'head';
    if (url === '/' || url === '/index.html') {
      const language = shellLanguage(req.getHeader('cookie'), req.getHeader('accept-language'));
      if (shopperPage(res, acceptEncoding, head, language)) return;
    }
    if (!files.serve(res, url, acceptEncoding, head)) {
      sendError(res, Errors.notFound, undefined, files.empty ? 'The client is not built: run npm run build.' : 'No such page.');
    }
  });
}
