// Admission tokens: `base64url(payload).base64url(hmac-sha256(payload))`, payload
// `{"s": shopper, "d": deal, "n": nonce, "exp": end of the grab window (ms)}`. Checked by any
// gateway with its secret alone (no Redis trip), like session tokens (gateway/session.ts).
// A token lets its own shopper grab that deal until `exp`, as often as the deal's limit
// allows; bound to the shopper, it is worth nothing on another shopper's socket.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface AdmissionClaims { shopper: string; deal: string; nonce: string; expiresAt: number }

export type AdmissionCheck =
  | { ok: true; claims: AdmissionClaims }
  | { ok: false; reason: 'missing' | 'malformed' | 'bad_signature' | 'expired' | 'other_shopper' | 'other_deal' };

export class AdmissionSigner {
  private readonly key: Buffer;

  /** `secret` is the session secret: the admission key is derived from it, so the two never
   *  sign each other's tokens. */
  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('flashfest admission token v1').digest();
  }

  issue(shopper: string, deal: string, expiresAt: number): string {
    const payload = Buffer.from(JSON.stringify({ s: shopper, d: deal, n: randomBytes(6).toString('base64url'), exp: expiresAt })).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  verify(token: string | undefined, shopper: string, deal: string, now = Date.now()): AdmissionCheck {
    if (!token) return { ok: false, reason: 'missing' };
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 400) return { ok: false, reason: 'malformed' };
    const payload = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.sign(payload), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
    let parsed: { s?: unknown; d?: unknown; n?: unknown; exp?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof parsed;
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    const { s, d, n, exp } = parsed ?? {};
    if (typeof s !== 'string' || typeof d !== 'string' || typeof n !== 'string' || typeof exp !== 'number') return { ok: false, reason: 'malformed' };
    if (s !== shopper) return { ok: false, reason: 'other_shopper' };
    if (d !== deal) return { ok: false, reason: 'other_deal' };
    if (exp <= now) return { ok: false, reason: 'expired' };
    return { ok: true, claims: { shopper: s, deal: d, nonce: n, expiresAt: exp } };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}
