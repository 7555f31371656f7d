// A shopper's holds frame (`{t:'holds'}`), sent after a `sub` and again whenever this gateway
// may have missed some of the shopper's news.
//
// Pushed news (`paid`, `expired`) is delivered at most once: workers publish it on the channel of
// each gateway in the shopper's route (live/shopper-news.ts), and nothing keeps it for a
// gateway that was not listening then, or that the route did not name. Both happen around a
// Redis restart: the subscriber connection is back later than the workers' (much later on a
// gateway busy with a dead gateway's shoppers), and a restart from the append-only file can
// lose the last route entries written. What a socket missed is then told by the holds frame,
// read once the gap is closed: after the subscriptions are confirmed again (channels.ts) or
// after the shopper's route entry is written again (live/shopper-routes.ts). A news published
// before that read is in the holds it reads; one published after it reaches the socket.
import type { WebSocket } from 'uWebSockets.js';
import { ServerMsg, type ServerMessage } from '../shared/protocol.ts';
import type { GatewayContext } from './context.ts';
import type { SocketData } from './ws-handlers.ts';

type Socket = WebSocket<SocketData>;

const HOLDS_RETRIES = 4;
/**
 * Sockets whose holds are read at once for catch-ups: after a Redis restart every socket of the
 * gateway needs one, at the moment the gateway is busiest. Their reads go out together, as one
 * query and one Redis round trip per batch (shopper-holds.ts HoldsReader), not one per socket.
 */
const RESYNC_BATCH = 256;

/** The shopper's holds, sent to `ws`, read after this gateway's route entry for the shopper is
 *  written (news routed before it is in the holds). A page that subscribes during a Redis or
 *  Postgres outage (often: it reconnected because of it) must still learn how its holds ended,
 *  so a failed read is tried again with backoff while the socket stays open. Resolves once sent
 *  or given up. */
export function sendHolds(ctx: GatewayContext, ws: Socket, attempt = 0): Promise<void> {
  const data = ws.getUserData();
  return ctx.routes.registered(data.shopper).then(() => ctx.holds.load(data.shopper)).then(
    (holds) => {
      if (data.closed) return;
      const msg: ServerMessage = { t: ServerMsg.Holds, holds };
      ws.cork(() => ws.send(JSON.stringify(msg), false));
    },
    (err: unknown) => {
      if (data.closed) return undefined;
      if (attempt >= HOLDS_RETRIES) return void ctx.logger.warn({ err }, 'shopper holds load failed');
      return new Promise<void>((resolve) => {
        setTimeout(() => resolve(sendHolds(ctx, ws, attempt + 1)), 1_000 * 2 ** attempt).unref();
      });
    },
  );
}

/** Sends the holds again to sockets whose shopper may have missed news, RESYNC_BATCH at a time;
 *  a socket asked for again while its read runs is read once more after it. */
export class HoldsResync {
  private readonly waiting = new Set<Socket>();
  private readonly running = new Set<Socket>();
  private readonly again = new Set<Socket>();
  /** shoppers asked for since the last pass over the sockets (every shopper: `all`) */
  private asked = new Set<string>();
  private all = false;
  private passScheduled = false;
  /** sockets sent their holds again (tests, the log line) */
  sent = 0;

  constructor(private readonly ctx: GatewayContext) {}

  /** Every open socket of these shoppers (of every shopper: null). Requests of one turn (a
   *  route rewrite settles in batches of a few hundred shoppers) take one pass over the
   *  sockets. */
  request(shoppers: ReadonlySet<string> | null): void {
    if (shoppers === null) this.all = true;
    else if (!this.all) for (const s of shoppers) this.asked.add(s);
    if (this.passScheduled) return;
    this.passScheduled = true;
    setImmediate(this.pass);
  }

  private readonly pass = (): void => {
    const all = this.all;
    const asked = this.asked;
    this.all = false;
    this.asked = new Set();
    this.passScheduled = false;
    let n = 0;
    for (const ws of this.ctx.sockets) {
      if (!all && !asked.has(ws.getUserData().shopper)) continue;
      n++;
      if (this.running.has(ws)) this.again.add(ws);
      else this.waiting.add(ws);
    }
    if (n > 0) this.ctx.logger.info({ sockets: n, all }, 'holds sent again: news may have been missed');
    this.pump();
  };

  private pump(): void {
    // a batch's sockets settle in one turn, and the ones that take their places then are read
    // together again
    while (this.running.size < RESYNC_BATCH && this.waiting.size > 0) {
      const ws = this.waiting.values().next().value!;
      this.waiting.delete(ws);
      if (ws.getUserData().closed) continue;
      this.running.add(ws);
      void sendHolds(this.ctx, ws).finally(() => {
        this.running.delete(ws);
        this.sent++;
        if (this.again.delete(ws)) this.waiting.add(ws);
        this.pump();
      });
    }
  }
}
