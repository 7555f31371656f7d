// The grab answers are written as text without JSON.stringify (grab-answers.ts); the wire must
// not change: the same bytes as JSON.stringify of the message, for every refusal code and for
// ids at the edges of what the grab schema lets through.
import { describe, expect, it } from 'vitest';
import { heldAnswer, refusedAnswer } from '../../src/gateway/grab-answers.ts';
import { checkGrab } from '../../src/gateway/schemas.ts';
import { grabRefusalMessage } from '../../src/errors.ts';
import { GrabRefusal, Limits, ServerMsg } from '../../src/shared/protocol.ts';

const rids = ['0', 'a', 'A-z_0.9:x', 'r'.repeat(Limits.ridMaxLength), '-_.:'];
const deals = ['1', '999999999999999999'];

describe('grab answers written as text', () => {
  it('only for what the grab schema accepts', () => {
    for (const rid of rids) for (const deal of deals) expect(checkGrab.Check({ t: 'grab', deal, qty: 1, rid })).toBe(true);
    // what would need escaping is refused before any answer is written
    for (const rid of ['a"b', 'a\\b', 'é', 'a b']) expect(checkGrab.Check({ t: 'grab', deal: '1', qty: 1, rid })).toBe(false);
  });

  it('held: the bytes of JSON.stringify', () => {
    for (const rid of rids) {
      for (const deal of deals) {
        const msg = { t: ServerMsg.Held, rid, deal, hold: `${deal}-123456789`, qty: 3, expiresAt: 1_795_407_386_123 };
        expect(heldAnswer(rid, deal, msg.hold, msg.qty, msg.expiresAt)).toBe(JSON.stringify(msg));
      }
    }
  });

  it('refused, every code: the bytes of JSON.stringify, twice (the cached tail)', () => {
    for (const code of Object.values(GrabRefusal)) {
      for (let i = 0; i < 2; i++) {
        const msg = { t: ServerMsg.Refused, rid: rids[2], deal: deals[0], code, message: grabRefusalMessage(code) };
        expect(refusedAnswer(msg.rid!, msg.deal!, code)).toBe(JSON.stringify(msg));
      }
    }
  });
});
