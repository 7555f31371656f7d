// Waiting-room helpers for tests and load: solve the door's proof of work like a client would.
import { createHash } from 'node:crypto';
import type { PowMsg } from '../../src/shared/room-protocol.ts';

/** Solves an ALTCHA v1 challenge (sha256(salt + n) == challenge) and returns the base64 payload. */
export function solvePow(challenge: PowMsg['challenge']): string {
  const max = challenge.maxnumber ?? 1_000_000;
  for (let n = 0; n <= max; n++) {
    if (createHash('sha256').update(challenge.salt + n).digest('hex') === challenge.challenge) {
      return Buffer.from(JSON.stringify({ ...challenge, number: n })).toString('base64');
    }
  }
  throw new Error('no solution under maxnumber');
}

/** A guest session while a room is on: fetch the door's challenge, solve it, mint. */
export async function newSessionWithPow(url: string): Promise<{ token: string; shopperId: string }> {
  const { challenge } = (await (await fetch(`${url}/api/session/challenge`)).json()) as { challenge: PowMsg['challenge'] };
  const res = await fetch(`${url}/api/session`, { method: 'POST', body: JSON.stringify({ pow: solvePow(challenge) }) });
  if (!res.ok) throw new Error(`session: ${res.status} ${await res.text()}`);
  return (await res.json()) as { token: string; shopperId: string };
}
