// Sockets watching each festival on this gateway, for the auto room's rule. Counted at most
// once a second: every room ticks several times a second and a gateway holds many sockets.
import type { WebSocket } from 'uWebSockets.js';

const RECOUNT_MS = 1_000;

export function festivalWatchers(sockets: () => Iterable<WebSocket<{ festival: string | null }>>): (festivalId: string) => number {
  let counts = new Map<string, number>();
  let at = 0;
  return (festivalId) => {
    const now = Date.now();
    if (now - at >= RECOUNT_MS) {
      counts = new Map();
      for (const ws of sockets()) {
        const f = ws.getUserData().festival;
        if (f) counts.set(f, (counts.get(f) ?? 0) + 1);
      }
      at = now;
    }
    return counts.get(festivalId) ?? 0;
  };
}
