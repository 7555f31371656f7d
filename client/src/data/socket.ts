// The shopper's one WebSocket: connects with the session token, reconnects with capped
// exponential backoff and jitter, re-subscribes, and re-sends grabs and payments that were in
// flight when the line dropped (same rid, which the gateway answers idempotently). Lines it
// stands in (waiting rooms) are joined again on every hello: the gateway gives the same shopper
// its place back without a new proof of work while the place is held for it.
import {
  ClientMsg,
  CloseCode,
  ServerMsg,
  type ClientMessage,
  type GrabMsg,
  type PayMsg,
  type PaymentMethodValue,
  type ServerMessage,
} from '../../../server/src/shared/protocol.ts';
import { clock as defaultClock, type Clock } from './clock.ts';
import { dropSession, getSession, type Session } from './session.ts';

export type ConnStatus = 'connecting' | 'live' | 'reconnecting';

export interface SocketDeps {
  clock: Clock;
  getSession: () => Promise<Session>;
  dropSession: (token: string) => void;
  /** true/false when the server says the token is good/bad, null when it cannot tell. */
  checkToken: (token: string) => Promise<boolean | null>;
  url: (token: string) => string;
}

const backoffBaseMs = 250;
const backoffMaxMs = 10_000;
const syncSamples = 5;
const syncSpacingMs = 200;
const pingEveryMs = 30_000;
/** No frame at all this long after a ping: the line is dead even if the browser has not noticed. */
const silenceLimitMs = 10_000;
const stableAfterMs = 5_000;

function sameOriginUrl(token: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws?token=${encodeURIComponent(token)}`;
}

/** A browser cannot read the HTTP status of a refused upgrade, so ask an authenticated endpoint. */
async function checkTokenOverHttp(token: string): Promise<boolean | null> {
  try {
    const res = await fetch('/api/orders', { headers: { authorization: `Bearer ${token}` } });
    if (res.status === 401) return false;
    return res.ok ? true : null;
  } catch {
    return null;
  }
}

export class ShopperSocket {
  private readonly deps: SocketDeps;
  private ws: WebSocket | null = null;
  private token: string | null = null;
  private status_: ConnStatus = 'connecting';
  private attempt = 0;
  private running = false;
  private helloSeen = false;
  private festival: string | null = null;
  /** deals whose waiting line this page stands in: re-joined after every reconnect */
  private readonly lines = new Set<string>();
  /** rid -> message, kept until the answer carrying that rid arrives. */
  private readonly inflight = new Map<string, GrabMsg | PayMsg>();
  private readonly listeners = new Set<(msg: ServerMessage) => void>();
  private readonly statusListeners = new Set<(s: ConnStatus) => void>();
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setTimeout> | undefined;
  private silenceTimer: ReturnType<typeof setTimeout> | undefined;
  private lastFrameAt = 0;
  private liveSince = 0;

  constructor(deps: Partial<SocketDeps> = {}) {
    this.deps = {
      clock: defaultClock,
      getSession,
      dropSession,
      checkToken: checkTokenOverHttp,
      url: sameOriginUrl,
      ...deps,
    };
  }

  get status(): ConnStatus {
    return this.status_;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    addEventListener('online', this.wakeUp);
    document.addEventListener('visibilitychange', this.wakeUp);
    void this.connect();
  }

  stop(): void {
    this.running = false;
    removeEventListener('online', this.wakeUp);
    document.removeEventListener('visibilitychange', this.wakeUp);
    clearTimeout(this.reconnectTimer);
    this.teardown(CloseCode.Normal);
  }

  /** Every server message, in order. */
  subscribe(onMessage: (msg: ServerMessage) => void): () => void {
    this.listeners.add(onMessage);
    return () => this.listeners.delete(onMessage);
  }

  onStatus(onChange: (s: ConnStatus) => void): () => void {
    this.statusListeners.add(onChange);
    return () => this.statusListeners.delete(onChange);
  }

  /** The festival followed (sent as `sub` on every hello), or null before any. */
  get followedFestival(): string | null {
    return this.festival;
  }

  /** Follow one festival; remembered and re-sent after every reconnect. Following the one
   *  already followed sends nothing (the gateway would only answer the same festival again). */
  subscribeFestival(id: string): void {
    if (id === this.festival) return;
    this.festival = id;
    if (this.helloSeen) this.send({ t: ClientMsg.Subscribe, festival: id });
  }

  /** Join a deal's waiting line (`pow`: the solved challenge, for a new place). The deal is
   *  remembered and joined again (without `pow`) after every reconnect. */
  join(deal: string, pow?: string): void {
    this.lines.add(deal);
    if (this.helloSeen) this.send(pow === undefined ? { t: ClientMsg.Join, deal } : { t: ClientMsg.Join, deal, pow });
  }

  /** Leave the line for good (`sendLeave: false` when the server already let the place go). */
  leave(deal: string, sendLeave = true): void {
    this.lines.delete(deal);
    if (sendLeave && this.helloSeen) this.send({ t: ClientMsg.Leave, deal });
  }

  /** Sends a grab now or as soon as the line is up; returns its rid. `pass`: the waiting room's
   *  admission pass, when the deal's room is on. */
  grab(deal: string, qty: number, pass?: string): string {
    const msg: GrabMsg = { t: ClientMsg.Grab, deal, qty, rid: crypto.randomUUID(), ...(pass ? { pass } : {}) };
    this.inflight.set(msg.rid, msg);
    if (this.helloSeen && this.send(msg)) this.inflight.set(msg.rid, { ...msg, retry: true });
    return msg.rid;
  }

  pay(hold: string, method: PaymentMethodValue): string {
    const rid = crypto.randomUUID();
    const msg: PayMsg = { t: ClientMsg.Pay, hold, rid, method };
    this.inflight.set(rid, msg);
    if (this.helloSeen) this.send(msg);
    return rid;
  }

  /** Stop re-sending `rid` (the caller gave up waiting for its answer). */
  forget(rid: string): void {
    this.inflight.delete(rid);
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    let session: Session;
    try {
      session = await this.deps.getSession();
    } catch {
      this.scheduleReconnect();
      return;
    }
    if (!this.running) return;
    this.token = session.token;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.deps.url(session.token));
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
    };
    ws.onmessage = (ev) => this.onFrame(ev.data);
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      void this.onClosed(ev.code, opened, session.token);
    };
  }

  private onFrame(data: unknown): void {
    this.lastFrameAt = Date.now();
    if (typeof data !== 'string') return;
    let msg: ServerMessage;
    try {
      msg = JSON.parse(data) as ServerMessage;
    } catch {
      return;
    }
    if (!msg || typeof msg !== 'object' || typeof msg.t !== 'string') return;
    switch (msg.t) {
      case ServerMsg.Hello:
        this.onHello(msg.serverTime);
        break;
      case ServerMsg.Pong:
        this.deps.clock.addPong(msg.c, msg.s);
        break;
      case ServerMsg.Held:
      case ServerMsg.Refused:
      case ServerMsg.Paid:
        if (msg.rid) this.inflight.delete(msg.rid);
        break;
    }
    for (const l of this.listeners) l(msg);
  }

  private onHello(serverTime: number): void {
    this.helloSeen = true;
    this.liveSince = Date.now();
    this.deps.clock.addRough(serverTime);
    this.setStatus('live');
    if (this.festival) this.send({ t: ClientMsg.Subscribe, festival: this.festival });
    for (const deal of this.lines) this.send({ t: ClientMsg.Join, deal });
    for (const [rid, msg] of this.inflight) {
      if (!this.send(msg) || msg.t !== ClientMsg.Grab) continue;
      // Sent once: any later send is a resend, which the gateway must decide in Redis (the
      // first send may have made a hold there before the line dropped).
      this.inflight.set(rid, { ...msg, retry: true });
    }
    this.startPings();
  }

  private startPings(): void {
    let sent = 0;
    const tick = () => {
      const c = Date.now();
      if (!this.send({ t: ClientMsg.Ping, c })) return;
      sent++;
      if (sent > syncSamples) this.watchSilence(c);
      this.pingTimer = setTimeout(tick, sent < syncSamples ? syncSpacingMs : pingEveryMs);
    };
    tick();
  }

  private watchSilence(sentAt: number): void {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => {
      if (this.lastFrameAt < sentAt && this.ws) {
        const token = this.token;
        this.teardown(4000);
        void this.onClosed(CloseCode.Abnormal, true, token);
      }
    }, silenceLimitMs);
  }

  private async onClosed(code: number, opened: boolean, token: string | null): Promise<void> {
    this.teardown();
    if (!this.running) return;
    // Only a connection that stayed up resets the backoff; one the server keeps accepting and then
    // closing (flooding, stopping) must not turn into a 250 ms reconnect loop.
    if (this.liveSince && Date.now() - this.liveSince > stableAfterMs) this.attempt = 0;
    this.liveSince = 0;
    this.setStatus(this.status_ === 'connecting' && !opened ? 'connecting' : 'reconnecting');
    if (code === CloseCode.SessionExpired && token) {
      this.deps.dropSession(token);
      this.scheduleReconnect(0);
      return;
    }
    if (!opened && token) {
      // Refused before the upgrade: a dead network, a stopping server, or a token it rejects (401).
      const ok = await this.deps.checkToken(token);
      if (ok === false) this.deps.dropSession(token);
    }
    this.scheduleReconnect();
  }

  private teardown(code?: number): void {
    clearTimeout(this.pingTimer);
    clearTimeout(this.silenceTimer);
    this.helloSeen = false;
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    if (code !== undefined && ws.readyState < WebSocket.CLOSING) ws.close(code);
  }

  private scheduleReconnect(delayMs?: number): void {
    if (!this.running) return;
    clearTimeout(this.reconnectTimer);
    // "Equal jitter": half the capped exponential step is fixed, half random, so a crowd that lost
    // one gateway does not come back in lockstep.
    const cap = Math.min(backoffMaxMs, backoffBaseMs * 2 ** this.attempt);
    const delay = delayMs ?? cap / 2 + Math.random() * (cap / 2);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
  }

  /** Back online or back in front of the user: skip the rest of the backoff wait. */
  private readonly wakeUp = (): void => {
    if (document.visibilityState === 'hidden') return;
    if (this.running && !this.ws && this.reconnectTimer !== undefined) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      void this.connect();
    }
  };

  private send(msg: ClientMessage): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }

  private setStatus(s: ConnStatus): void {
    if (s === this.status_) return;
    this.status_ = s;
    for (const l of this.statusListeners) l(s);
  }
}
