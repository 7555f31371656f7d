// The shopper socket's room messages (`join`, `leave`), called from gateway/ws-handlers.ts.
import type { WebSocket } from 'uWebSockets.js';
import { ServerMsg } from '../shared/protocol.ts';
import type { RoomServerMessage } from '../shared/room-protocol.ts';
import { Errors } from '../errors.ts';
import { checkJoin, checkLeave } from '../gateway/schemas.ts';
import type { GatewayContext } from '../gateway/context.ts';
import type { SocketData } from '../gateway/ws-handlers.ts';
import type { WaiterSocket } from './room-gate.ts';

type Socket = WebSocket<SocketData>;

/** A socket seen by the room gate: sends after an await are corked, and skipped once closed. */
export class RoomSocketSlot implements WaiterSocket {
  constructor(private readonly ws: Socket) {}
  get shopper(): string { return this.ws.getUserData().shopper; }
  get festival(): string | null { return this.ws.getUserData().festival; }
  send(msg: RoomServerMessage | { t: 'error'; code: string; message: string }): void {
    if (this.ws.getUserData().closed) return;
    this.ws.cork(() => this.ws.send(JSON.stringify(msg), false));
  }
  subscribe(topic: string): void { if (!this.ws.getUserData().closed) this.ws.subscribe(topic); }
  unsubscribe(topic: string): void { if (!this.ws.getUserData().closed) this.ws.unsubscribe(topic); }
}

function slot(ws: Socket): RoomSocketSlot {
  const data = ws.getUserData();
  return (data.room ??= new RoomSocketSlot(ws));
}

export function onJoin(ctx: GatewayContext, ws: Socket, msg: unknown): void {
  const s = slot(ws);
  if (!checkJoin.Check(msg)) return s.send({ t: ServerMsg.Error, code: Errors.invalid.code, message: 'join needs a deal id and, for a new place, a pow solution.' });
  const { deal: dealId, pow } = msg;
  ctx.pending++;
  (async () => {
    const deal = ctx.feed.deals.get(dealId) ?? (await ctx.feed.ensureDeal(dealId) ? ctx.feed.deals.get(dealId) : undefined);
    if (!deal) return s.send({ t: ServerMsg.Error, code: Errors.unknownDeal.code, message: Errors.unknownDeal.message });
    await ctx.rooms.join(s, deal, pow);
  })().catch((err: unknown) => {
    ctx.logger.warn({ err, deal: msg.deal }, 'room join failed');
    s.send({ t: ServerMsg.Error, code: Errors.unavailable.code, message: 'The waiting room could not be reached; join again.' });
  }).finally(() => { ctx.pending--; });
}

export function onLeave(ctx: GatewayContext, ws: Socket, msg: unknown): void {
  const s = slot(ws);
  if (!checkLeave.Check(msg)) return s.send({ t: ServerMsg.Error, code: Errors.invalid.code, message: 'leave needs a deal id.' });
  ctx.pending++;
  ctx.rooms.leave(s, msg.deal).catch((err: unknown) => {
    ctx.logger.warn({ err, deal: msg.deal }, 'room leave failed');
    s.send({ t: ServerMsg.Error, code: Errors.unavailable.code, message: 'Could not leave the line; try again.' });
  }).finally(() => { ctx.pending--; });
}
