// The waiting room's wire messages (README "Waiting room"), shared with the client like
// protocol.ts (type-only imports there; no Node imports here). A waiter knows its own number;
// one `serving` per room per tick tells everyone how far the line has moved: place = number - n.

export type RoomPhase = 'pre' | 'drawing' | 'open';
export type RoomClosedReason = 'sold_out' | 'ended' | 'stopped';

// ---- client -> server ----
/** Join the deal's line, or take one's place back. `pow`: the solved challenge (base64 ALTCHA
 *  payload) of the last `pow` message; not needed to take back a place one already has. */
export interface JoinMsg { t: 'join'; deal: string; pow?: string }
/** Leave the line for good. */
export interface LeaveMsg { t: 'leave'; deal: string }

// ---- server -> client ----
/** A new place costs a proof of work: solve `challenge` (altcha-lib v1: find n <= maxnumber with
 *  sha256(salt + n) == challenge) and send `join` again with the payload. */
export interface PowMsg {
  t: 'pow'; deal: string;
  challenge: { algorithm: string; challenge: string; maxnumber?: number; salt: string; signature: string };
}
/** Your place. Before the opening you hold a pre-queue `ticket`; the draw gives the number
 *  (a second `joined` with it follows the draw). `commit` is sha256 of the draw's seed. */
export interface JoinedMsg {
  t: 'joined'; deal: string; phase: RoomPhase; number: number | null; ticket: number | null;
  serving: number; commit: string; startsAt: number;
}
/** One per room per tick, to every waiter at once: `n` is the last number admitted (or skipped),
 *  `waiting` how many are in line, `rate` the measured admitted/s (0: admission is stopped:
 *  paused, or nothing left to sell for now), `outflow` the configured pace. */
export interface ServingMsg { t: 'serving'; deal: string; n: number; waiting: number; rate: number; outflow: number; paused: boolean; at: number }
/** The draw is done: the seed behind `commit`; `entries` pre-queue tickets were shuffled. */
export interface DrawnMsg { t: 'drawn'; deal: string; commit: string; seed: string; entries: number }
/** Your turn: grab with `pass` until `until` (epoch ms). */
export interface AdmittedMsg { t: 'admitted'; deal: string; number: number; pass: string; until: number }
/** The room is closed for everyone (sold out, ended, stopped): one broadcast. */
export interface RoomClosedMsg { t: 'room_closed'; deal: string; reason: RoomClosedReason }
/** You are out of the line: `left` (you asked), `abandoned` (away longer than the grace),
 *  `expired` (your grab window ended), `off` (this deal has no room: grab directly). */
export interface LeftMsg { t: 'left'; deal: string; reason: 'left' | 'abandoned' | 'expired' | 'off' }

export type RoomClientMessage = JoinMsg | LeaveMsg;
export type RoomServerMessage = PowMsg | JoinedMsg | ServingMsg | DrawnMsg | AdmittedMsg | RoomClosedMsg | LeftMsg;

/** Codes of room refusals (`{t:'error', code}`), beside GrabRefusal.NotAdmitted for grabs. */
export const RoomError = {
  PowInvalid: 'pow_invalid',
  UnknownDeal: 'unknown_deal',
  Unavailable: 'unavailable',
} as const;

/**
 * The wait for a place, as a range of seconds from the measured rate: the pace wobbles (holds
 * come back, abandoned places are skipped), so the page shows [place / (1.25 r), place / (0.75 r)].
 * Null when the line is not moving (paused, or nothing to sell for now).
 */
export function etaRange(place: number, rate: number): [number, number] | null {
  if (place <= 0) return [0, 0];
  if (!(rate > 0)) return null;
  return [Math.floor(place / (rate * 1.25)), Math.ceil(place / (rate * 0.75))];
}
