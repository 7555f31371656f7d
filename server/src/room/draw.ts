// The draw that orders the pre-queue at the opening second. Verifiable by anyone: the room
// publishes sha256(seed) (the commitment) when it is created, and the seed once the draw is
// done; the order depends on nothing but the seed and the number of pre-queue tickets.
//
//   order = shuffle([1..entries]) with Fisher-Yates from the top, each index drawn as
//   HMAC-SHA256(key = seed bytes, message = decimal counter), first 6 bytes big-endian,
//   rejected and drawn again (next counter) when above the largest multiple of the range,
//   so every index is exactly uniform. Number k goes to ticket order[k - 1].
//
// Tickets are handed out in arrival order (1, 2, ...); a shopper who knows its ticket, the seed
// and the entry count can find its own number: see scripts/verify-draw.ts.
import { createHash, createHmac, randomBytes } from 'node:crypto';

const RANGE = 2 ** 48;

export function newSeed(): { seed: string; commit: string } {
  const seed = randomBytes(32).toString('hex');
  return { seed, commit: commitOf(seed) };
}

/** sha256(seed bytes), hex: what the room publishes before the draw. */
export function commitOf(seedHex: string): string {
  return createHash('sha256').update(Buffer.from(seedHex, 'hex')).digest('hex');
}

/** The drawn order of tickets 1..entries: element k-1 is the ticket that gets number k. */
export function drawOrder(seedHex: string, entries: number): Uint32Array {
  const key = Buffer.from(seedHex, 'hex');
  const order = new Uint32Array(entries);
  for (let i = 0; i < entries; i++) order[i] = i + 1;
  let counter = 0;
  for (let i = entries - 1; i > 0; i--) {
    const span = i + 1;
    const limit = RANGE - (RANGE % span);
    let r: number;
    do {
      r = createHmac('sha256', key).update(String(counter++)).digest().readUIntBE(0, 6);
    } while (r >= limit);
    const j = r % span;
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}

/** The number a ticket got in the draw (1-based), or null when the ticket was not drawn. */
export function numberOfTicket(seedHex: string, entries: number, ticket: number): number | null {
  const at = drawOrder(seedHex, entries).indexOf(ticket);
  return at < 0 ? null : at + 1;
}
