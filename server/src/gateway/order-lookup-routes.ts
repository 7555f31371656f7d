// Finding an order by the number its shopper quotes ("FF-B000-0018"), for ops behind OPS_TOKEN.
// The number decodes to the hold id (shared/order-number.ts), so the lookup is one primary-key
// read: no column, index or sequence on the order write path.
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { Errors } from '../errors.ts';
import { findOrder } from '../db/orders-repo.ts';
import { holdIdOfOrderNumber } from '../shared/order-number.ts';
import { bearerToken, guard, sendError, sendJson } from '../http/uws-http.ts';
import type { GatewayContext } from './context.ts';
import { opsTokenOk } from './ops-routes.ts';

export function registerOrderLookup(app: TemplatedApp, ctx: GatewayContext): void {
  app.get('/api/ops/orders/:orderNo', (res: HttpResponse, req: HttpRequest) => {
    const state = guard(res);
    const given = bearerToken(req.getHeader('authorization'));
    const orderNo = decodeURIComponent(req.getParameter(0) ?? '');
    if (!opsTokenOk(ctx.config.opsToken, given)) return sendError(res, Errors.unauthorized, state, 'The ops token is missing or wrong.');
    const hold = holdIdOfOrderNumber(orderNo);
    if (!hold) {
      return sendError(res, Errors.invalid, state,
        `"${orderNo.slice(0, 40)}" is not an order number (FF- and groups of letters and digits; a typo fails its check symbol).`);
    }
    findOrder(ctx.pool, hold).then(
      (order) => (order ? sendJson(res, 200, { order }, state) : sendError(res, Errors.notFound, state, `No order ${orderNo}.`)),
      (err: unknown) => {
        ctx.logger.error({ err, hold }, 'order lookup failed');
        sendError(res, Errors.internal, state);
      },
    );
  });
}
