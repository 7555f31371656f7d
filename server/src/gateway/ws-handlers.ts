// The shopper socket: upgrade (session token + Origin, refused before the upgrade), then the
// message loop: size cap (uWS maxPayloadLength), per-socket rate limit, JSON parse, compiled
// schema check, local answers from the deal cache, and micro-batched grabs.
import type { HttpRequest, HttpResponse, WebSocket, WebSocketBehavior, us_socket_context_t } from 'uWebSockets.js';
import {
  ClientMsg, CloseCode, DefaultPaymentMethod, GrabRefusal, PayRefusal, ServerMsg, Topic, Limits,
  type DealView, type GrabRefusalCode, type PayRefusalCode, type ServerMessage,
} from '../shared/protocol.ts';
import { Errors, grabRefusalMessage, payRefusalMessage } from '../errors.ts';
import { heldAnswer, refusedAnswer } from './grab-answers.ts';
import { checkGrab, checkPay, checkPing, checkSubscribe } from './schemas.ts';
import { orderNumber } from '../shared/order-number.ts';
import { onJoin, onLeave, type RoomSocketSlot } from '../room/ws-room.ts';
import { TokenBucket } from '../http/rate-limit.ts';
import { sendError } from '../http/uws-http.ts';
import type { GatewayContext } from './context.ts';
import { sendHolds } from './holds-resync.ts';
import type { ShopperCheck } from './shopper-auth.ts';
import type { PendingGrab } from './grab-batcher.ts';
import type { GrabDecision } from '../stock/decisions.ts';
import { isUnreachable } from '../redis.ts';

export interface SocketData {
  shopper: string;
  expiresAt: number;
  bucket: TokenBucket;
  festival: string | null;
  closed: boolean;
  /** protocol errors (bad JSON, unknown type): a socket that keeps sending garbage is closed */
  strikes: number;
  /** the last few rids this socket sent to Redis: repeats skip the local answers */
  recentRids: string[];
  /** coarse city from the session, for the sales ticker */
  city?: string;
  /** upgraded after an await (an ID token checked against the marketplace's keys) */
  lateUpgrade?: true;
  /** this socket as a waiting-room waiter, once it joined a line (room/ws-room.ts) */
  room?: RoomSocketSlot;
}

type Socket = WebSocket<SocketData>;

const MAX_STRIKES = 20;
const RECENT_RIDS = 16;
// Frames to text without a Buffer per frame (about half the time of Buffer.from().toString());
// invalid UTF-8 becomes U+FFFD either way, and JSON.parse judges what is left.
const utf8 = new TextDecoder();

function send(ws: Socket, msg: ServerMessage | string): void {
  if (ws.getUserData().closed) return;
  ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg), false);
}

/** Late sends (after an await) must be corked and must skip sockets that closed meanwhile. */
function sendLate(ws: Socket, msg: ServerMessage): void {
  if (ws.getUserData().closed) return;
  ws.cork(() => send(ws, msg));
}

function refuseGrab(ws: Socket, deal: string, rid: string, code: GrabRefusalCode, late = false): void {
  const msg: ServerMessage = { t: ServerMsg.Refused, rid, deal, code, message: grabRefusalMessage(code) };
  if (late) sendLate(ws, msg);
  else send(ws, msg);
}

function refusePay(ws: Socket, hold: string, rid: string | undefined, code: PayRefusalCode, late = false): void {
  const msg: ServerMessage = { t: ServerMsg.Refused, hold, ...(rid ? { rid } : {}), code, message: payRefusalMessage(code) };
  if (late) sendLate(ws, msg);
  else send(ws, msg);
}

function protocolError(ws: Socket, code: string, message: string): void {
  const data = ws.getUserData();
  send(ws, { t: ServerMsg.Error, code, message });
  if (++data.strikes > MAX_STRIKES) ws.end(CloseCode.BadMessage, 'too many malformed messages');
}

export function shopperSocketBehavior(ctx: GatewayContext): WebSocketBehavior<SocketData> {
  const { config, logger } = ctx;
  return {
    compression: 0,
    maxPayloadLength: Limits.maxFrameBytes,
    // A shopper page that stops reading (phone in a pocket) must not make us buffer forever.
    maxBackpressure: 256 * 1024,
    closeOnBackpressureLimit: 1, // this binary types it as a number used as a flag
    idleTimeout: 120,
    sendPingsAutomatically: true,

    upgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t) {
      // Copy everything out of req now: it is gone after this function returns.
      const origin = req.getHeader('origin');
      const host = req.getHeader('host');
      const token = new URLSearchParams(req.getQuery() ?? '').get('token');
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      // Browsers always send Origin; tools (bench, tests, native apps) may not. A foreign one
      // is refused: another site's page must not grab with our shoppers' tokens. Our own pages
      // (same origin as the Host they connect to) are always allowed.
      if (origin && !config.allowedOrigins.includes(origin) && !isSameOrigin(origin, host)) {
        sendError(res, Errors.forbiddenOrigin);
        return;
      }
      const upgrade = (check: ShopperCheck, late = false): void => {
        if (!check.ok) return sendError(res, check.error);
        if (ctx.stopping) return sendError(res, Errors.unavailable);
        const data: SocketData = {
          shopper: check.session.shopperId, expiresAt: check.session.expiresAt,
          bucket: new TokenBucket(config.rateLimitPerSecond, config.rateLimitBurst),
          festival: null, closed: false, strikes: 0, recentRids: [],
          ...(check.session.city ? { city: check.session.city } : {}),
          ...(late ? { lateUpgrade: true as const } : {}),
        };
        res.upgrade(data, key, protocol, extensions, context);
      };
      const check = ctx.auth.check(token);
      if (!(check instanceof Promise)) return upgrade(check);
      // An ID token may need the marketplace's key set fetched: everything was copied out of
      // req above; the client may go away meanwhile.
      let aborted = false;
      res.onAborted(() => { aborted = true; });
      check.then((c) => { if (!aborted) res.cork(() => upgrade(c, true)); });
    },

    open(ws: Socket) {
      const data = ws.getUserData();
      ctx.sockets.add(ws);
      ws.subscribe(Topic.shopper(data.shopper));
      ctx.routes.opened(data.shopper);
      // After an awaited upgrade, open runs inside the HttpResponse's cork: a send there went
      // out (the hello arrived) but this uWS build then dropped some of those sockets a few ms
      // later without a close frame (a second socket of the same shopper, about 1 in 3). The
      // hello leaves on the next turn, in the socket's own cork.
      if (!data.lateUpgrade) return send(ws, { t: ServerMsg.Hello, shopper: data.shopper, serverTime: ctx.clock.now() });
      setImmediate(() => sendLate(ws, { t: ServerMsg.Hello, shopper: data.shopper, serverTime: ctx.clock.now() }));
    },

    message(ws: Socket, buf: ArrayBuffer, isBinary: boolean) {
      const data = ws.getUserData();
      if (!data.bucket.take()) {
        if (data.bucket.overLimit > config.floodCloseAfter) {
          ws.end(CloseCode.Flooding, 'flooding');
          return;
        }
        // answer grabs with their own rid so the client can match the refusal
        const rid = peekRid(buf);
        send(ws, rid !== null
          ? { t: ServerMsg.Refused, rid, deal: '', code: GrabRefusal.RateLimited, message: grabRefusalMessage(GrabRefusal.RateLimited) }
          : { t: ServerMsg.Error, code: Errors.rateLimited.code, message: Errors.rateLimited.message });
        return;
      }
      if (data.expiresAt <= Date.now()) {
        ws.end(CloseCode.SessionExpired, 'session expired');
        return;
      }
      if (isBinary) return protocolError(ws, Errors.badMessage.code, Errors.badMessage.message);
      let msg: unknown;
      try {
        msg = JSON.parse(utf8.decode(buf));
      } catch {
        return protocolError(ws, Errors.badJson.code, 'The frame is not valid JSON.');
      }
      const type = typeof msg === 'object' && msg !== null ? (msg as { t?: unknown }).t : undefined;
      switch (type) {
        case ClientMsg.Grab:
          return onGrab(ctx, ws, msg);
        case ClientMsg.Ping:
          if (!checkPing.Check(msg)) return protocolError(ws, Errors.invalid.code, 'ping needs a numeric c.');
          return send(ws, { t: ServerMsg.Pong, c: msg.c, s: ctx.clock.now() });
        case ClientMsg.Pay:
          return onPay(ctx, ws, msg);
        case ClientMsg.Subscribe:
          return onSubscribe(ctx, ws, msg);
        case ClientMsg.Join:
          return onJoin(ctx, ws, msg);
        case ClientMsg.Leave:
          return onLeave(ctx, ws, msg);
        default:
          return protocolError(ws, Errors.unknownType.code, Errors.unknownType.message);
      }
    },

    // the live fan-out pings its followers: a pong says this one reads (live/fanout.ts)
    pong(ws: Socket) {
      ctx.live.heard(ws);
    },

    close(ws: Socket, code: number) {
      const data = ws.getUserData();
      data.closed = true;
      ctx.sockets.delete(ws);
      ctx.routes.closed(data.shopper);
      if (data.room) ctx.rooms.dropSocket(data.room);
      if (code === CloseCode.Abnormal || code === CloseCode.MessageTooBig) logger.debug({ shopper: data.shopper, code }, 'socket closed abnormally');
    },
  };
}

/** The grab batcher's `deliver`: every answer one socket gets from a batch leaves in one corked
 *  write. A socket closed meanwhile still runs `answer` (telemetry), whose sends are skipped. */
export function deliverAnswers(owner: object, answer: () => void): void {
  const ws = owner as Socket;
  if (ws.getUserData().closed) answer();
  else ws.cork(answer);
}

function isSameOrigin(origin: string, host: string): boolean {
  return host !== '' && (origin === `http://${host}` || origin === `https://${host}`);
}

/** Finds `"rid":"..."` in a frame without parsing it, for rate-limit refusals. */
function peekRid(buf: ArrayBuffer): string | null {
  const s = Buffer.from(buf).toString('utf8', 0, Math.min(buf.byteLength, 512));
  if (!s.includes('"grab"')) return null;
  const m = /"rid"\s*:\s*"([A-Za-z0-9_.:-]{1,64})"/.exec(s);
  return m ? m[1]! : null;
}

function onGrab(ctx: GatewayContext, ws: Socket, msg: unknown): void {
  if (!checkGrab.Check(msg)) {
    const m = msg as { rid?: unknown; deal?: unknown };
    return refuseGrab(ws, typeof m.deal === 'string' ? m.deal.slice(0, 20) : '', typeof m.rid === 'string' ? m.rid.slice(0, 64) : '', GrabRefusal.Invalid);
  }
  const { deal: dealId, qty, rid, retry, pass } = msg;
  const deal = ctx.feed.deals.get(dealId);
  if (!deal) {
    ctx.feed.ensureDeal(dealId).then(
      (found) => {
        if (found) onGrab(ctx, ws, msg);
        else refuseGrab(ws, dealId, rid, GrabRefusal.UnknownDeal, true);
      },
      () => refuseGrab(ws, dealId, rid, GrabRefusal.Unavailable, true),
    );
    return;
  }
  const data = ws.getUserData();
  // the deal's waiting room is on: only a shopper the line admitted may grab (checked here,
  // without Redis: the pass is signed)
  if (!ctx.rooms.checkGrab(dealId, data.shopper, pass).ok) {
    ctx.telemetry.grab(GrabRefusal.NotAdmitted, 0);
    return send(ws, refusedAnswer(rid, dealId, GrabRefusal.NotAdmitted));
  }
  // A resend goes to Redis, which gives the rid's first answer again: marked by the client
  // (`retry`, after a reconnect, perhaps to another gateway), or a rid this socket already sent.
  const repeat = retry === true || data.recentRids.includes(rid);
  if (!repeat) {
    const local = localAnswer(deal, ctx.clock.now(), ctx.clock.margin());
    if (local) {
      ctx.feed.countLocalRefusal(dealId, local);
      ctx.telemetry.grab(local, 0);
      return send(ws, refusedAnswer(rid, dealId, local));
    }
    data.recentRids.push(rid);
    if (data.recentRids.length > RECENT_RIDS) data.recentRids.shift();
  }
  ctx.metrics.grabsReceived++;
  if (!ctx.redisHealth.up) {
    // Redis is known down: refused here, as the batch would refuse it, but inside this socket's
    // own turn and cork. Through the batcher the refusal waited for the batch to leave (from
    // another socket's frame, or after the poll phase) and was then written to this socket from
    // another socket's handler, uncorked: most of a flooded gateway's CPU during an outage, which
    // lengthened the very poll phases its reconnect waits behind.
    ctx.redisHealth.refuse();
    ctx.telemetry.grab(GrabRefusal.Unavailable, 0);
    ctx.telemetry.storeError('redis');
    return send(ws, refusedAnswer(rid, dealId, GrabRefusal.Unavailable));
  }
  ctx.batcher.add(dealId, new SocketGrab(ctx, ws, dealId, data.shopper, qty, rid, data.city, performance.now()));
}

/**
 * A grab waiting in the batcher, answered on its socket. One object per grab: the object
 * literal with resolve/reject closures over the handler's scope it replaces was three, on the
 * path every grab takes. resolve/reject run inside deliverAnswers' cork for this socket: plain
 * send, not sendLate. rid and deal passed checkGrab: the answers are written as text.
 */
class SocketGrab implements PendingGrab {
  constructor(
    private readonly ctx: GatewayContext,
    readonly owner: Socket,
    private readonly deal: string,
    readonly shopper: string,
    readonly qty: number,
    readonly rid: string,
    readonly city: string | undefined,
    private readonly receivedAt: number,
  ) {}

  resolve(decision: GrabDecision): void {
    this.ctx.telemetry.grab(decision.ok ? 'held' : decision.code, performance.now() - this.receivedAt);
    if (!decision.ok) return send(this.owner, refusedAnswer(this.rid, this.deal, decision.code));
    send(this.owner, heldAnswer(this.rid, this.deal, decision.hold, decision.qty, decision.expiresAt));
    this.ctx.toldHolds.remember(decision.hold, this.owner);
  }

  reject(err: unknown): void {
    this.ctx.telemetry.grab(GrabRefusal.Unavailable, performance.now() - this.receivedAt);
    this.ctx.telemetry.storeError('redis');
    if (!isUnreachable(err)) this.ctx.logger.error({ err, deal: this.deal, rid: this.rid }, 'grab batch failed');
    send(this.owner, refusedAnswer(this.rid, this.deal, GrabRefusal.Unavailable));
  }
}

/**
 * Answers without Redis when the cache is certain: outside the clock's margin around the window
 * edges (inside it Redis TIME decides), a cancelled/stopped deal, or no stock left.
 */
function localAnswer(deal: DealView, now: number, margin: number): GrabRefusalCode | null {
  if (now < deal.startsAt - margin) return GrabRefusal.NotOpen;
  if (now >= deal.endsAt + margin || deal.state === 'cancelled' || deal.state === 'stopped') return GrabRefusal.Ended;
  if (deal.available <= 0) return GrabRefusal.SoldOut;
  return null;
}

function onPay(ctx: GatewayContext, ws: Socket, msg: unknown): void {
  if (!checkPay.Check(msg)) {
    const m = msg as { hold?: unknown; rid?: unknown };
    return refusePay(ws, typeof m.hold === 'string' ? m.hold.slice(0, 40) : '', typeof m.rid === 'string' ? m.rid.slice(0, 64) : undefined, PayRefusal.Invalid);
  }
  const { hold, rid } = msg;
  const shopper = ws.getUserData().shopper;
  ctx.pending++;
  ctx.pay(hold, shopper, msg.method ?? DefaultPaymentMethod).then(
    (result) => {
      if (result.ok) {
        sendLate(ws, {
          t: ServerMsg.Paid, hold, deal: result.dealId, ...(rid ? { rid } : {}),
          orderNo: orderNumber(hold) ?? hold, ...(result.method ? { method: result.method } : {}),
        });
      }
      else refusePay(ws, hold, rid, result.code, true);
    },
    (err: unknown) => {
      ctx.logger.error({ err, hold }, 'payment failed');
      refusePay(ws, hold, rid, PayRefusal.Unavailable, true);
    },
  ).finally(() => { ctx.pending--; });
}

function onSubscribe(ctx: GatewayContext, ws: Socket, msg: unknown): void {
  if (!checkSubscribe.Check(msg)) return protocolError(ws, Errors.invalid.code, 'sub needs a festival id.');
  const data = ws.getUserData();
  if (data.festival) ws.unsubscribe(Topic.festival(data.festival));
  data.festival = msg.festival;
  ws.subscribe(Topic.festival(msg.festival));
  ctx.live.fanout.followersChanged();
  ctx.feed.festivalView(msg.festival, ctx.clock.now()).then(
    (festival) => {
      if (!festival) return sendLate(ws, { t: ServerMsg.Error, code: Errors.notFound.code, message: 'No such festival.' });
      sendLate(ws, { t: ServerMsg.Festival, festival });
      void sendHolds(ctx, ws);
    },
    (err: unknown) => ctx.logger.error({ err }, 'festival load failed'),
  );
}
