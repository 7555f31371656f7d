// The answers to a grab that passed the schema, written as JSON text directly: every field is
// either from the schema's safe alphabets (rid, deal and hold ids: no quote, no backslash) or a
// number, and the refusal texts are escaped once per code. JSON.stringify of a fresh object
// per answer was avoidable work on the hottest path; the text is byte for byte what
// JSON.stringify gives (test: grab-answers.test.ts). Unchecked input (a refusal for an invalid
// frame) still goes through JSON.stringify.
import { grabRefusalMessage } from '../errors.ts';
import type { GrabRefusalCode } from '../shared/protocol.ts';

export function heldAnswer(rid: string, deal: string, hold: string, qty: number, expiresAt: number): string {
  return `{"t":"held","rid":"${rid}","deal":"${deal}","hold":"${hold}","qty":${qty},"expiresAt":${expiresAt}}`;
}

const refusalTails = new Map<GrabRefusalCode, string>();

export function refusedAnswer(rid: string, deal: string, code: GrabRefusalCode): string {
  let tail = refusalTails.get(code);
  if (tail === undefined) {
    tail = `,"code":${JSON.stringify(code)},"message":${JSON.stringify(grabRefusalMessage(code))}}`;
    refusalTails.set(code, tail);
  }
  return `{"t":"refused","rid":"${rid}","deal":"${deal}"${tail}`;
}
