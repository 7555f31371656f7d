// The ops board's state: the latest snapshot and the last 5 minutes of chart points, fed by the
// ops WebSocket (`/ops/ws?token=`). The token is asked for once and kept in localStorage; a
// token the gateway refuses is dropped and asked for again.
import type { OpsMessage, OpsPoint, OpsSnapshot } from '../../../server/src/shared/ops-view.ts';

export type OpsStatus = 'need_token' | 'connecting' | 'live' | 'reconnecting';

const tokenKey = 'ff.opsToken';
const maxPoints = 300;
const backoffMaxMs = 10_000;

function readToken(): string | null {
  try {
    return localStorage.getItem(tokenKey);
  } catch {
    return null;
  }
}

export class OpsStore {
  status: OpsStatus = readToken() ? 'connecting' : 'need_token';
  snapshot: OpsSnapshot | null = null;
  history: OpsPoint[] = [];
  /** set when the gateway refused the token */
  tokenError: string | null = null;
  private ws: WebSocket | null = null;
  private running = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<() => void>();
  private queued = false;

  subscribe(onChange: () => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (readToken()) this.connect();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = ws.onmessage = null;
      ws.close(1000);
    }
  }

  setToken(token: string): void {
    try {
      localStorage.setItem(tokenKey, token.trim());
    } catch {
      /* private mode: the token lives as long as the page */
      this.memoryToken = token.trim();
    }
    this.tokenError = null;
    this.status = 'connecting';
    this.emit();
    if (this.running) this.connect();
  }

  private memoryToken: string | null = null;

  /** POST /api/ops/rooms/:deal with the ops token (pause, resume, outflow); null when done, else
   *  what went wrong in ops' words. The next snapshot shows the new state. */
  async controlRoom(deal: string, body: { paused?: boolean; outflow?: number }): Promise<string | null> {
    try {
      const res = await fetch(`/api/ops/rooms/${encodeURIComponent(deal)}`, {
        method: 'POST', headers: { authorization: `Bearer ${this.token() ?? ''}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      if (res.ok) return null;
      const err = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
      return `Deal ${deal}: ${err.message ?? `HTTP ${res.status}`}`;
    } catch {
      return `Deal ${deal}: the gateway could not be reached.`;
    }
  }

  private token(): string | null {
    return readToken() ?? this.memoryToken;
  }

  private connect(): void {
    const token = this.token();
    if (!token || !this.running) return;
    clearTimeout(this.timer);
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/ops/ws?token=${encodeURIComponent(token)}`);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
    };
    ws.onmessage = (ev) => this.onMessage(String(ev.data));
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (!this.running) return;
      if (!opened) void this.checkToken(token);
      else this.retry();
    };
  }

  /** A refused upgrade hides its status from the page: ask the REST endpoint why. */
  private async checkToken(token: string): Promise<void> {
    try {
      const res = await fetch('/api/ops/snapshot', { headers: { authorization: `Bearer ${token}` } });
      if (res.status === 401) {
        try {
          localStorage.removeItem(tokenKey);
        } catch {
          /* nothing stored */
        }
        this.memoryToken = null;
        this.tokenError = 'The gateway refused that ops token.';
        this.status = 'need_token';
        this.emit();
        return;
      }
    } catch {
      /* network down: retry below */
    }
    this.retry();
  }

  private retry(): void {
    this.status = 'reconnecting';
    this.emit();
    const cap = Math.min(backoffMaxMs, 250 * 2 ** this.attempt++);
    this.timer = setTimeout(() => this.connect(), cap / 2 + Math.random() * (cap / 2));
  }

  private onMessage(data: string): void {
    let msg: OpsMessage;
    try {
      msg = JSON.parse(data) as OpsMessage;
    } catch {
      return;
    }
    if (msg.t !== 'ops') return;
    this.status = 'live';
    this.snapshot = msg.snapshot;
    if (msg.history) this.history = msg.history.slice(-maxPoints);
    if (msg.point && this.history.at(-1)?.t !== msg.point.t) {
      this.history = [...this.history, msg.point].slice(-maxPoints);
    }
    this.emit();
  }

  /** Snapshots can arrive ten a second: repaint at most once per animation frame. */
  private emit(): void {
    if (this.queued) return;
    this.queued = true;
    const run = () => {
      this.queued = false;
      for (const l of this.listeners) l();
    };
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run);
    else queueMicrotask(run);
  }
}
