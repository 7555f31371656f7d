// A shopper's WebSocket for tests: collects every message and waits for answers by rid.
import WebSocket from 'ws';
import type { ServerMessage } from '../../src/shared/protocol.ts';

export class ShopperSocket {
  readonly messages: ServerMessage[] = [];
  closeCode: number | null = null;
  private waiters: { match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as ServerMessage;
      this.messages.push(msg);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(msg)) return true;
        w.resolve(msg);
        return false;
      });
    });
    ws.on('close', (code) => { this.closeCode = code; });
  }

  static open(wsUrl: string, token: string, headers: Record<string, string> = {}): Promise<ShopperSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${wsUrl}?token=${encodeURIComponent(token)}`, { headers, perMessageDeflate: false });
      const s = new ShopperSocket(ws);
      ws.once('open', () => resolve(s));
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  waitFor(match: (m: ServerMessage) => boolean, timeoutMs = 10_000): Promise<ServerMessage> {
    const found = this.messages.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for a message')), timeoutMs);
      this.waiters.push({ match, resolve: (m) => { clearTimeout(t); resolve(m); } });
    });
  }

  answerTo(rid: string, timeoutMs?: number): Promise<ServerMessage> {
    return this.waitFor((m) => (m.t === 'held' || m.t === 'refused') && 'rid' in m && m.rid === rid, timeoutMs);
  }

  closed(timeoutMs = 10_000): Promise<number> {
    if (this.closeCode !== null) return Promise.resolve(this.closeCode);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
      this.ws.once('close', (code) => { clearTimeout(t); resolve(code); });
    });
  }

  close(): void {
    this.ws.terminate();
  }
}
