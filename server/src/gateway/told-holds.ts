// Which socket was answered `held` for a hold, until the hold's `order` (pending) news comes
// back from the worker. That news tells nothing the grabbing socket does not already know (the
// same hold, deal, qty and status), so the gateway passes it on to the shopper's *other*
// sockets only (another tab, another device): uWS's ws.publish reaches every subscriber of the
// topic but the publishing socket. Every order is one frame less on the grabbing phone, and one
// write less for the gateway.
//
// Bounded: a hold whose news never comes (the worker is down, the shopper's route expired) is
// forgotten after two generations of `capacity / 2` remembered holds; its news, should it come
// later, then reaches every socket of the shopper, which is what it did before.
import type { WebSocket } from 'uWebSockets.js';

/** The part of a shopper socket this needs: whether it is still open. */
interface ToldSocket {
  getUserData(): { closed: boolean; shopper: string };
}

export class ToldHolds<S extends ToldSocket = WebSocket<{ closed: boolean; shopper: string }>> {
  private current = new Map<string, S>();
  private previous = new Map<string, S>();

  constructor(private readonly capacity: number) {}

  /** `ws` was answered `held` for `hold`. */
  remember(hold: string, ws: S): void {
    if (this.current.size >= this.capacity / 2) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(hold, ws);
  }

  /** The open socket of `shopper` that was answered `held` for `hold`, if any; forgets it. */
  take(hold: string, shopper: string): S | undefined {
    let ws = this.current.get(hold);
    if (ws) this.current.delete(hold);
    else {
      ws = this.previous.get(hold);
      if (ws) this.previous.delete(hold);
    }
    if (!ws) return undefined;
    const data = ws.getUserData();
    return data.closed || data.shopper !== shopper ? undefined : ws;
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }
}
