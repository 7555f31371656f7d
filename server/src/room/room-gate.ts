// The waiting room on one gateway: ticks every room it knows (the Lua moves each line once per
// interval whoever calls), publishes one `serving` per room per tick on the deal's topic, tells
// its own waiters their number after the draw and their pass when the line reaches them, keeps
// their presence fresh, and checks grab passes locally (no Redis trip).
import { randomBytes } from 'node:crypto';
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import { Topic } from '../shared/protocol.ts';
import type { RoomServerMessage, RoomPhase } from '../shared/room-protocol.ts';
import { RoomStore, type JoinResult, type TickState } from './room-store.ts';
import { AdmissionSigner } from './admission-token.ts';
import { DoorPow } from './door-pow.ts';
import { RoomMetrics } from './room-metrics.ts';
import type { RedisClient } from '../redis.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Registry } from 'prom-client';

/** What the gate needs of a socket: who it is and how to reach it. */
export interface WaiterSocket {
  readonly shopper: string;
  readonly festival: string | null;
  send(msg: RoomServerMessage): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
}

interface Waiter {
  sockets: Set<WaiterSocket>;
  ticket: number | null;
  number: number | null;
  /** the pass was sent; its window ends here */
  admittedUntil: number;
}

interface LocalRoom {
  dealId: string;
  festivalId: string;
  startsAt: number;
  stock: number;
  last: TickState | null;
  lastPublished: string;
  publishedAt: number;
  waiters: Map<string, Waiter>;
  drawing: boolean;
  ticking: boolean;
}

/** A deal as the gateway's feed knows it. */
export interface GateDeal { id: string; festivalId: string; startsAt: number; stock: number; state: string }

const DISCOVER_MS = 1_000;
/** a `serving` that says nothing new still goes out this often (a page that just subscribed) */
const REPUBLISH_MS = 2_000;
const ACTIVE_DEAL_STATES = new Set(['scheduled', 'warming', 'live', 'sold_out']);

export type GrabGate = { ok: true } | { ok: false };

export class RoomGate {
  readonly store: RoomStore;
  readonly passes: AdmissionSigner;
  readonly pow: DoorPow;
  readonly metrics: RoomMetrics;
  private readonly rooms = new Map<string, LocalRoom>();
  private readonly gatewayId = randomBytes(6).toString('hex');
  private timers: NodeJS.Timeout[] = [];

  constructor(
    redis: RedisClient,
    private readonly config: Readonly<Config>,
    private readonly app: Pick<TemplatedApp, 'publish'>,
    private readonly deals: () => Iterable<GateDeal>,
    private readonly watchers: (festivalId: string) => number,
    private readonly now: () => number,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.store = new RoomStore(redis, config.keyPrefix, config.room);
    this.passes = new AdmissionSigner(config.sessionSecret);
    this.pow = new DoorPow(config.sessionSecret, config.room);
    this.metrics = new RoomMetrics(registry, () => this.rooms.values());
  }

  start(): void {
    void this.discover();
    this.timers.push(
      setInterval(() => void this.discover(), DISCOVER_MS),
      setInterval(() => { for (const r of this.rooms.values()) void this.tick(r); }, this.config.room.tickMs),
      setInterval(() => void this.refreshPresence(), this.config.room.presenceMs),
    );
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Whether any room this gateway knows is on (guest sessions then cost a proof of work). */
  anyRoomOn(): boolean {
    for (const r of this.rooms.values()) if (isOn(r.last)) return true;
    return false;
  }

  /** A guest session while any room is on costs a proof of work, spent once. */
  async checkSessionPow(pow: unknown): Promise<'ok' | 'required' | 'invalid'> {
    if (!this.anyRoomOn()) return 'ok';
    if (pow === undefined || pow === null) return 'required';
    const params = await this.pow.verify(pow);
    if (!params || params.k !== 'session') return this.powRefusedAs('invalid');
    const { signature } = JSON.parse(Buffer.from(pow as string, 'base64').toString('utf8')) as { signature: string };
    return (await this.store.spendPow(signature, this.config.room.powTtlMs)) ? 'ok' : this.powRefusedAs('invalid');
  }

  private powRefusedAs<T>(v: T): T {
    this.metrics.powRefused++;
    return v;
  }

  /** Room views for the ops board and the brand API. */
  views(): Array<{ dealId: string; state: TickState }> {
    return [...this.rooms.values()].flatMap((r) => (r.last ? [{ dealId: r.dealId, state: r.last }] : []));
  }

  lastState(dealId: string): TickState | null {
    return this.rooms.get(dealId)?.last ?? null;
  }

  /** A grab on a deal whose room is on needs a valid pass of this shopper for this deal. */
  checkGrab(dealId: string, shopper: string, pass: string | undefined): GrabGate {
    const room = this.rooms.get(dealId);
    if (!room || !isOn(room.last)) return { ok: true };
    const check = this.passes.verify(pass, shopper, dealId, this.now());
    if (check.ok) return { ok: true };
    this.metrics.refusedPass(check.reason);
    return { ok: false };
  }

  /** `join`: a new place (with a proof of work) or one's own place back. */
  async join(ws: WaiterSocket, deal: GateDeal, pow: string | undefined): Promise<void> {
    const room = this.track(deal);
    let paid = false;
    if (pow !== undefined) {
      const params = await this.pow.verify(pow);
      if (!params || params.s !== ws.shopper || params.d !== deal.id) {
        this.metrics.powRefused++;
        return ws.send({ t: 'pow', deal: deal.id, challenge: await this.challenge(ws.shopper, room) });
      }
      paid = true;
    }
    const r = await this.store.join(deal.id, ws.shopper, paid);
    this.onJoin(ws, room, r);
  }

  async leave(ws: WaiterSocket, dealId: string): Promise<void> {
    await this.store.leave(dealId, ws.shopper);
    const room = this.rooms.get(dealId);
    if (room) this.forget(room, ws.shopper);
    ws.unsubscribe(Topic.deal(dealId));
    ws.send({ t: 'left', deal: dealId, reason: 'left' });
  }

  /** The socket closed: its shopper keeps the place for the grace (presence stops here). */
  dropSocket(ws: WaiterSocket): void {
    for (const room of this.rooms.values()) {
      const w = room.waiters.get(ws.shopper);
      if (!w) continue;
      w.sockets.delete(ws);
      if (w.sockets.size === 0) room.waiters.delete(ws.shopper);
    }
  }

  private challenge(shopper: string, room: LocalRoom) {
    return this.pow.challenge({ s: shopper, d: room.dealId }, room.last?.waiting ?? 0, this.now());
  }

  private onJoin(ws: WaiterSocket, room: LocalRoom, r: JoinResult): void | Promise<void> {
    const deal = room.dealId;
    switch (r.status) {
      case 'off':
        return ws.send({ t: 'left', deal, reason: 'off' });
      case 'closed':
        return ws.send({ t: 'room_closed', deal, reason: r.reason });
      case 'pow':
        return this.challenge(ws.shopper, room).then((challenge) => ws.send({ t: 'pow', deal, challenge }));
      default: {
        let w = room.waiters.get(ws.shopper);
        if (!w) room.waiters.set(ws.shopper, (w = { sockets: new Set(), ticket: null, number: null, admittedUntil: 0 }));
        w.sockets.add(ws);
        ws.subscribe(Topic.deal(deal));
        const phase: RoomPhase = r.status === 'pre' ? 'pre' : (room.last?.state === 'drawing' ? 'drawing' : 'open');
        if (r.status === 'pre') w.ticket = r.ticket;
        else w.number = r.number;
        ws.send({
          t: 'joined', deal, phase, number: w.number, ticket: w.ticket, serving: r.serving,
          commit: room.last?.commit ?? '', startsAt: room.startsAt,
        });
        if (room.last?.seed) ws.send({ t: 'drawn', deal, commit: room.last.commit, seed: room.last.seed, entries: room.last.entries });
        if (r.status === 'admitted') this.admit(room, ws.shopper, w, r.windowEnd);
      }
    }
  }

  private admit(room: LocalRoom, shopper: string, w: Waiter, until: number): void {
    if (w.number === null) return;
    w.admittedUntil = until;
    const pass = this.passes.issue(shopper, room.dealId, until);
    for (const ws of w.sockets) ws.send({ t: 'admitted', deal: room.dealId, number: w.number, pass, until });
  }

  private forget(room: LocalRoom, shopper: string): void {
    room.waiters.delete(shopper);
  }

  private track(deal: GateDeal): LocalRoom {
    let room = this.rooms.get(deal.id);
    if (!room) {
      room = {
        dealId: deal.id, festivalId: deal.festivalId, startsAt: deal.startsAt, stock: deal.stock, last: null,
        lastPublished: '', publishedAt: 0, waiters: new Map(), drawing: false, ticking: false,
      };
      this.rooms.set(deal.id, room);
    }
    return room;
  }

  /** Finds the deals with a room: one HGET per deal the feed knows, every second. */
  private async discover(): Promise<void> {
    try {
      const candidates = [...this.deals()].filter((d) => ACTIVE_DEAL_STATES.has(d.state));
      const modes = await this.store.modes(candidates.map((d) => d.id));
      for (const d of candidates) {
        const mode = modes.get(d.id);
        if (mode === 'on' || mode === 'auto') this.track(d);
        else if (this.rooms.get(d.id)?.waiters.size === 0) this.rooms.delete(d.id);
      }
    } catch (err) {
      this.logger.debug({ err }, 'room discovery failed');
    }
  }

  private async tick(room: LocalRoom): Promise<void> {
    if (room.ticking) return;
    room.ticking = true;
    try {
      const prev = room.last;
      const t = await this.store.tick(room.dealId, this.gatewayId, this.watchers(room.festivalId));
      room.last = t;
      if (t.draw && !room.drawing) {
        room.drawing = true;
        this.store.draw(room.dealId).catch((err: unknown) => this.logger.warn({ err, deal: room.dealId }, 'room draw failed'))
          .finally(() => { room.drawing = false; });
      }
      if (t.state === 'closed') {
        if (prev?.state !== 'closed' && t.reason) {
          this.publish(room, { t: 'room_closed', deal: room.dealId, reason: t.reason });
          room.waiters.clear();
        }
        return;
      }
      if (t.state === 'open' && prev !== null && prev.state !== 'open' && t.seed) {
        this.publish(room, { t: 'drawn', deal: room.dealId, commit: t.commit, seed: t.seed, entries: t.entries });
        await this.sendDrawnNumbers(room);
      }
      if (t.state === 'off') return;
      const key = `${t.state}|${t.serving}|${t.waiting}|${t.paused}|${t.rate}`;
      if (key !== room.lastPublished || t.now - room.publishedAt >= REPUBLISH_MS) {
        room.lastPublished = key;
        room.publishedAt = t.now;
        this.publish(room, {
          t: 'serving', deal: room.dealId, n: t.serving, waiting: t.waiting, rate: t.rate,
          outflow: t.outflow, paused: t.paused, at: t.now,
        });
      }
      await this.sendPasses(room, t);
    } catch (err) {
      this.logger.debug({ err, deal: room.dealId }, 'room tick failed');
    } finally {
      room.ticking = false;
    }
  }

  /** After the draw, each pre-queue waiter on this gateway learns its number (once). */
  private async sendDrawnNumbers(room: LocalRoom): Promise<void> {
    const pending = [...room.waiters].filter(([, w]) => w.number === null);
    const numbers = await this.store.numbersOf(room.dealId, pending.map(([s]) => s));
    pending.forEach(([shopper, w], i) => {
      const n = numbers[i];
      if (n === null || n === undefined) return;
      w.number = n;
      for (const ws of w.sockets) {
        ws.send({
          t: 'joined', deal: room.dealId, phase: 'open', number: n, ticket: w.ticket,
          serving: room.last?.serving ?? 0, commit: room.last?.commit ?? '', startsAt: room.startsAt,
        });
      }
      void shopper;
    });
  }

  /** Waiters the line has reached get their pass; skipped ones are told they lost the place. */
  private async sendPasses(room: LocalRoom, t: TickState): Promise<void> {
    const reached: [string, Waiter][] = [];
    for (const [shopper, w] of room.waiters) {
      if (w.number !== null && w.number <= t.serving && w.admittedUntil === 0) reached.push([shopper, w]);
      else if (w.admittedUntil > 0 && w.admittedUntil <= t.now) {
        for (const ws of w.sockets) ws.send({ t: 'left', deal: room.dealId, reason: 'expired' });
        room.waiters.delete(shopper);
      }
    }
    if (reached.length === 0) return;
    const windows = await this.store.windowsOf(room.dealId, reached.map(([s]) => s));
    reached.forEach(([shopper, w], i) => {
      const until = windows[i] ?? 0;
      if (until > t.now) return this.admit(room, shopper, w, until);
      for (const ws of w.sockets) ws.send({ t: 'left', deal: room.dealId, reason: 'abandoned' });
      room.waiters.delete(shopper);
    });
  }

  private async refreshPresence(): Promise<void> {
    for (const room of this.rooms.values()) {
      if (room.waiters.size === 0) continue;
      await this.store.markPresent(room.dealId, [...room.waiters.keys()], this.now())
        .catch((err: unknown) => this.logger.debug({ err }, 'room presence refresh failed'));
    }
  }

  private publish(room: LocalRoom, msg: RoomServerMessage): void {
    this.metrics.published++;
    this.app.publish(Topic.deal(room.dealId), JSON.stringify(msg), false);
  }
}

function isOn(t: TickState | null): boolean {
  return t !== null && (t.state === 'pre' || t.state === 'drawing' || t.state === 'open');
}
