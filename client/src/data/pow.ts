// The door's proof of work in the browser (README "Waiting room": ALTCHA v1, find n <= maxnumber
// with sha256(salt + n) == challenge). altcha-lib's own solver: one Web Crypto digest per try,
// so the page stays responsive while it works; only `solveChallenge` and its hash helper end up
// in the bundle (about 1 kB).
import { solveChallenge } from 'altcha-lib/v1';
import type { PowMsg } from '../../../server/src/shared/room-protocol.ts';

export type PowChallenge = PowMsg['challenge'];

/** The base64 payload the gateway verifies, or null when no number under maxnumber solves it. */
export async function solvePow(c: PowChallenge): Promise<string | null> {
  const { promise } = solveChallenge(c.challenge, c.salt, c.algorithm, c.maxnumber ?? 1_000_000);
  const solution = await promise;
  if (!solution) return null;
  return btoa(JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number: solution.number, salt: c.salt, signature: c.signature }));
}
