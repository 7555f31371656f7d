// "Remind me": the page subscribes its service worker to Web Push and sends the subscription
// with the deal; the scheduler pushes the reminder REMIND_BEFORE_MS before the deal opens.
import type { TemplatedApp } from 'uWebSockets.js';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import type { PushConfig } from '../config.ts';
import { Errors } from '../errors.ts';
import { addReminder } from '../db/reminders-repo.ts';
import { bearerToken, guard, readBody, sendError, sendJson } from '../http/uws-http.ts';
import type { GatewayContext } from '../gateway/context.ts';

const Base64Url = (max: number) => Type.String({ pattern: '^[A-Za-z0-9_-]+=*$', minLength: 1, maxLength: max });
const ReminderRequest = Type.Object({
  deal: Type.String({ pattern: '^[0-9]{1,18}$' }),
  // PushSubscription.toJSON() as the browser gives it
  subscription: Type.Object({
    endpoint: Type.String({ minLength: 1, maxLength: 2048 }),
    expirationTime: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    keys: Type.Object({ p256dh: Base64Url(200), auth: Base64Url(100) }),
  }),
}, { additionalProperties: false });
const checkReminder = Compile(ReminderRequest);

/** Whether pushes may go to `endpoint`: an entry with a scheme is an exact origin, else an
 *  https host, `*.` allowing its subdomains. Nothing else is ever contacted on a shopper's word. */
export function endpointAllowed(endpoint: string, allow: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    return false;
  }
  if (u.username || u.password) return false;
  return allow.some((a) => {
    if (a.includes('://')) return u.origin === a.toLowerCase();
    if (u.protocol !== 'https:') return false;
    const host = a.toLowerCase();
    return host.startsWith('*.') ? u.hostname.endsWith(host.slice(1)) : u.hostname === host;
  });
}

export function registerReminderRoutes(app: TemplatedApp, ctx: GatewayContext): void {
  const push: Readonly<PushConfig> | null = ctx.config.push;

  app.get('/api/reminders/key', (res) => {
    if (!push) return sendError(res, Errors.remindersOff);
    sendJson(res, 200, { publicKey: push.vapidPublicKey, remindBeforeMs: push.remindBeforeMs });
  });

  app.post('/api/reminders', (res, req) => {
    const token = bearerToken(req.getHeader('authorization'));
    const state = guard(res);
    void (async () => {
      const body = await readBody(res, 4096);
      if (!push) return sendError(res, Errors.remindersOff, state);
      const check = await ctx.auth.check(token);
      if (!check.ok) return sendError(res, check.error, state);
      let input: unknown;
      try {
        input = JSON.parse(body.toString('utf8'));
      } catch {
        return sendError(res, Errors.badJson, state);
      }
      if (!checkReminder.Check(input)) return sendError(res, Errors.invalid, state, 'Expected {deal, subscription: {endpoint, keys: {p256dh, auth}}}.');
      const { deal: dealId, subscription } = input;
      if (!endpointAllowed(subscription.endpoint, push.endpointAllow)) return sendError(res, Errors.pushEndpointRefused, state);
      const deal = await ctx.feed.ensureDeal(dealId);
      if (!deal || deal.state === 'cancelled') return sendError(res, Errors.unknownDeal, state);
      if (ctx.clock.now() >= deal.startsAt) return sendError(res, Errors.dealAlreadyOpen, state);
      await addReminder(ctx.pool, check.session.shopperId, { endpoint: subscription.endpoint, ...subscription.keys }, dealId);
      sendJson(res, 201, { deal: dealId, remindAt: Math.max(ctx.clock.now(), deal.startsAt - push.remindBeforeMs) }, state);
    })().catch((err: { def?: typeof Errors.payloadTooLarge }) => {
      if (err.def) return sendError(res, err.def, state);
      ctx.logger.error({ err }, 'reminder request failed');
      sendError(res, Errors.internal, state);
    });
  });
}
