// The cost at the door: a proof of work (ALTCHA, altcha-lib's v1 challenge: find n with
// sha256(salt + n) = challenge, n <= maxnumber) to join a line or, while any room is on, to
// mint a guest session. The challenge is signed by the server and carries its parameters in
// the salt: a room challenge names the shopper and the deal, so a solution is worth one place
// of one shopper; a session challenge names nobody and is spent once (RoomStore.spendPow).
import { createChallenge, extractParams, verifySolution } from 'altcha-lib/v1';
import type { Challenge } from 'altcha-lib/v1/types';
import type { RoomConfig } from './room-config.ts';

export type { Challenge };

export class DoorPow {
  private readonly key: string;

  constructor(secret: string, private readonly cfg: Pick<RoomConfig, 'powBase' | 'powPerWaiter' | 'powMax' | 'powTtlMs'>) {
    this.key = `door-pow:${secret}`;
  }

  /** maxnumber for a line `waiting` long: the expected work grows with the line. */
  difficulty(waiting: number): number {
    return Math.min(this.cfg.powMax, Math.round(this.cfg.powBase + this.cfg.powPerWaiter * waiting));
  }

  challenge(params: Record<string, string>, waiting: number, now = Date.now()): Promise<Challenge> {
    return createChallenge({
      hmacKey: this.key, maxnumber: this.difficulty(waiting), params,
      expires: new Date(now + this.cfg.powTtlMs),
    });
  }

  /** The solution's parameters when it verifies (signature, hash, not expired), else null. */
  async verify(solution: unknown): Promise<Record<string, string> | null> {
    if (typeof solution !== 'string' || solution.length > 1024) return null;
    try {
      if (!(await verifySolution(solution, this.key, true))) return null;
      return extractParams(solution);
    } catch {
      return null;
    }
  }
}
