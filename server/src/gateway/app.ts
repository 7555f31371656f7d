// The gateway factory: builds the uWS app with its routes and shopper socket, apart from
// `listen`, so tests build it and listen on port 0. Stop is graceful: stop accepting, answer
// every grab already taken, then close sockets with ServerStopping so clients reconnect elsewhere.
import { randomBytes } from 'node:crypto';
import uWS from 'uWebSockets.js';
import type { RedisClient } from '../redis.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Pool } from '../db/pool.ts';
import { StockStore } from '../stock/stock-store.ts';
import { channels, Subscription } from '../channels.ts';
import { ShopperRoutes } from '../live/shopper-routes.ts';
import { HoldsResync } from './holds-resync.ts';
import { HoldsReader } from './shopper-holds.ts';
import { CloseCode, PayRefusal, Topic } from '../shared/protocol.ts';
import { isUnreachable, RedisHealth } from '../redis.ts';
import { SessionSigner } from './session.ts';
import { ShopperAuth } from './shopper-auth.ts';
import { RedisClock } from '../redis-clock.ts';
import { LiveHub } from '../live/live-hub.ts';
import { ProcessMetrics, type QueueSet } from '../metrics/process-metrics.ts';
import { registerOpsRoutes } from './ops-routes.ts';
import { registerOrderLookup } from './order-lookup-routes.ts';
import { GrabBatcher } from './grab-batcher.ts';
import { deliverAnswers, shopperSocketBehavior, type SocketData } from './ws-handlers.ts';
import { registerHttpRoutes } from './http-routes.ts';
import { registerBrandRoutes } from '../brand/routes.ts';
import { StaticFiles } from './static-files.ts';
import { registerReminderRoutes } from '../reminders/routes.ts';
import type { GatewayContext, PayResult } from './context.ts';
import type { Admission } from '../admission/queues.ts';
import { AdmissionWindow } from '../admission/admission-window.ts';
import { eachShopperFrame, pendingOrderHold, publishDealChanged } from '../live/shopper-news.ts';
import { ToldHolds } from './told-holds.ts';
import { RoomGate } from '../room/room-gate.ts';
import { festivalWatchers } from '../room/watchers.ts';
import { registerRoomRoutes, roomView } from '../room/room-routes.ts';

if (typeof (uWS as { getParts?: unknown }).getParts !== 'function') {
  // The alias falls back to a slow JS copy on the wrong Node ABI: refuse rather than crawl.
  throw new Error('uWebSockets.js native binary not loaded: flashfest needs Node ^20.19 (ABI 115) on glibc >= 2.36');
}

export interface GatewayDeps {
  config: Readonly<Config>;
  logger: Logger;
  pool: Pool;
  /** command connection: Lua, counters (main.ts gives a fail-fast one: redis.ts connectFailFast) */
  redis: RedisClient;
  /** a connection this gateway may put in subscriber mode (channels.ts createSubscriber) */
  subscriber: RedisClient;
  /** names this gateway's news channel and route entries; random when absent */
  gatewayId?: string;
  /** where this gateway's new holds go (admission/admission-window.ts batches them) */
  admission: Pick<Admission, 'admit'>;
  /** `method`: a name from the wire; payHold checks it against the provider and the deal */
  pay(hold: string, shopper: string, method: string): Promise<PayResult>;
  /** this process's metrics (main.ts shares one registry per process); a fresh one if absent */
  metrics?: ProcessMetrics;
  /** admission queues, for the ops board's queue depths */
  queues?: QueueSet;
}

/** Holds remembered with the socket answered `held` for them until their order news arrives
 *  (gateway/told-holds.ts): enough for the news of every hold decided while the worker is a few
 *  seconds behind, at a few MB. */
const TOLD_HOLDS_REMEMBERED = 131_072;

export interface Gateway {
  ctx: GatewayContext;
  app: uWS.TemplatedApp;
  listen(port?: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  const { config, logger } = deps;
  const app = uWS.App();
  const stock = new StockStore(deps.redis, config.keyPrefix);
  const clock = new RedisClock(deps.redis);
  await clock.start();
  const metrics = deps.metrics ?? new ProcessMetrics('gateway');
  const live = new LiveHub({
    app, config, redis: deps.redis, pool: deps.pool, stock, logger, metrics, queues: deps.queues ?? null,
    shopperSockets: () => ctx.sockets,
    rooms: () => ctx.rooms.views().map((v) => roomView(v.dealId, v.state)),
  });
  const feed = live.feed;
  const health = new RedisHealth(deps.redis, logger, config.redisTimeoutMs);
  deps.subscriber.on('error', () => metrics.storeError('redis'));

  const admission = new AdmissionWindow(config, deps.admission, logger);
  const batcher = new GrabBatcher(stock, config.grabBatchMax, (dealId, grabs, result) => {
    // a bucketed deal is sold out only when every bucket is: the feed's poll sums them
    if (result.buckets === 1) feed.noteAvailable(dealId, result.available);
    live.onDecided(dealId, grabs, result);
    // decided and durable in Redis: admitted behind the answer, which follows at once
    admission.admitDecided(dealId, grabs, result, feed.deals.get(dealId)?.dealPrice);
  }, deliverAnswers, health, config.grabWaitReplicas > 0
    ? { replicas: config.grabWaitReplicas, ms: config.grabWaitMs, onShortfall: (n) => metrics.replicaShortfall(n) }
    : null);

  // A pay that cannot reach Redis is a refusal like a grab's (safe to resend), not an error:
  // once Redis is known down, at once; else when its first Redis step fails.
  const pay = async (hold: string, shopper: string, method: string): Promise<PayResult> => {
    if (!health.up) {
      health.refuse();
      return { ok: false, code: PayRefusal.Unavailable };
    }
    try {
      return await deps.pay(hold, shopper, method);
    } catch (err) {
      if (!health.failed(err, 'pay')) throw err;
      return { ok: false, code: PayRefusal.Unavailable };
    }
  };

  // holds sent again to shoppers whose route entry was missing for a while (bound below, once
  // the context exists)
  let resync: HoldsResync | null = null;
  const routes = new ShopperRoutes(deps.redis, config.keyPrefix, deps.gatewayId ?? randomBytes(6).toString('hex'), logger,
    (shoppers) => resync?.request(new Set(shoppers)));
  const sessions = new SessionSigner(config.sessionSecret, config.sessionTtlSeconds);
  const ctx: GatewayContext = {
    config, logger, pool: deps.pool, stock, clock, feed, batcher,
    sessions, auth: new ShopperAuth(config, sessions, logger),
    pay, redisHealth: health, routes, holds: new HoldsReader(deps.pool, stock),
    announceDealChanged: (dealId, festivalId) => publishDealChanged(deps.redis, config.keyPrefix, dealId, festivalId),
    sockets: new Set<uWS.WebSocket<SocketData>>(), toldHolds: new ToldHolds(TOLD_HOLDS_REMEMBERED),
    pending: 0, stopping: false, metrics: { grabsReceived: 0 }, live, telemetry: metrics,
    rooms: new RoomGate(deps.redis, config, app, () => feed.deals.values(), festivalWatchers(() => ctx.sockets),
      () => clock.now(), logger, metrics.registry),
  };
  resync = new HoldsResync(ctx);
  metrics.watchSockets(() => ({ shoppers: ctx.sockets.size, ops: live.opsSockets.size }));
  metrics.watchClockSkew(() => clock.skew());

  app.ws<SocketData>('/ws', shopperSocketBehavior(ctx));
  registerOpsRoutes(app, ctx, live, metrics);
  registerOrderLookup(app, ctx);
  registerRoomRoutes(app, ctx);
  // brand API first: its routes sit under /api, whose catch-all answers 404
  const brandApi = registerBrandRoutes(app, ctx);
  registerReminderRoutes(app, ctx);
  registerHttpRoutes(app, ctx, new StaticFiles(config.staticDir));

  // One subscription per gateway (not per socket): this gateway's own shoppers' news, deal
  // changes, the ticker. Subscribed before the first socket can open, so no news is published
  // to a route of this gateway before it listens.
  const ch = channels(config.keyPrefix);
  const newsChannel = ch.gateway(routes.gatewayId);
  const subscription = await Subscription.open(deps.subscriber, [newsChannel, ch.dealChanged, live.tickerChannel], (channel, message) => {
    try {
      if (channel === newsChannel) {
        eachShopperFrame(message, (shopper, frame) => {
          // a pending order's news, to every socket of the shopper but the one answered `held`
          const hold = pendingOrderHold(frame);
          const teller = hold === null ? undefined : ctx.toldHolds.take(hold, shopper);
          if (teller) teller.publish(Topic.shopper(shopper), frame, false);
          else app.publish(Topic.shopper(shopper), frame, false);
        });
      } else if (channel === ch.dealChanged) {
        const { festivalId } = JSON.parse(message) as { festivalId: string };
        void feed.reload(festivalId).catch((err: unknown) => logger.warn({ err }, 'festival reload failed'));
      } else if (channel === live.tickerChannel) {
        live.onTickerMessage(message);
      }
    } catch (err) {
      logger.warn({ err, channel }, 'bad pub/sub message');
    }
  });
  // news published while the subscription was down is lost: every socket reads its holds again
  subscription.onRestored(() => resync?.request(null));
  routes.start();
  live.start();
  ctx.rooms.start();

  let listenSocket: uWS.us_listen_socket | null = null;
  return {
    ctx, app,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        app.listen(host, port, (sock) => {
          if (!sock) return reject(new Error(`could not listen on ${host}:${port}`));
          listenSocket = sock;
          resolve(uWS.us_socket_local_port(sock));
        });
      });
    },
    async close() {
      ctx.stopping = true;
      if (listenSocket) uWS.us_listen_socket_close(listenSocket);
      listenSocket = null;
      // Frames the shoppers sent before the stop may still sit unread in the sockets, and more
      // are read while we drain: each is a grab taken. Pass again until one ends with nothing
      // queued, in flight or being paid, or the deadline. Each pass sleeps a few ms first so
      // the event loop polls the sockets (the drains alone can finish in microtasks, without
      // one poll), and the check runs in the same synchronous run as the closes below, so no
      // grab slips in between. One pass without the sleep closed sockets with grabs unread or
      // unanswered (the graceful-stop test failed about 1 run in 7).
      const deadline = Date.now() + 5_000;
      for (;;) {
        await batcher.drained();
        await admission.drain();
        await new Promise((r) => setTimeout(r, ctx.pending > 0 ? 20 : 5));
        const settled = batcher.queued === 0 && admission.idle && ctx.pending === 0;
        if (settled || Date.now() >= deadline) break;
      }
      for (const ws of [...ctx.sockets]) {
        ws.getUserData().closed = true;
        ws.end(CloseCode.ServerStopping, 'server stopping');
      }
      ctx.rooms.stop();
      await live.stop();
      clock.stop();
      health.stop();
      brandApi.close();
      routes.stop();
      await subscription.close();
    },
  };
}
