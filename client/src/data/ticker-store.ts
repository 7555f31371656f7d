// The sales ticker's items ("someone in Lahore just grabbed ..."), newest first, from the
// shopper socket's `ticker` messages. The gateway already samples them to a few a second.
import { ServerMsg, type ServerMessage, type TickerItem } from '../../../server/src/shared/protocol.ts';

const keep = 6;

export interface TickerSource {
  subscribe(onMessage: (msg: ServerMessage) => void): () => void;
}

export class TickerStore {
  items: (TickerItem & { key: number })[] = [];
  private readonly listeners = new Set<() => void>();
  private off: (() => void) | null = null;
  private next = 0;

  constructor(private readonly source: TickerSource) {}

  start(): void {
    this.off ??= this.source.subscribe((m) => this.handle(m));
  }

  stop(): void {
    this.off?.();
    this.off = null;
  }

  subscribe(onChange: () => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }

  handle(msg: ServerMessage): void {
    if (msg.t !== ServerMsg.Ticker || msg.items.length === 0) return;
    const fresh = msg.items.map((i) => ({ ...i, key: this.next++ })).reverse();
    this.items = [...fresh, ...this.items].slice(0, keep);
    for (const l of this.listeners) l();
  }
}
