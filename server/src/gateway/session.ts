// Shopper session tokens: `base64url(payload).base64url(hmac-sha256(payload))`, payload
// `{"sid": shopperId, "exp": epochMs}`. Stateless, so any gateway can check any token.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  shopperId: string;
  expiresAt: number;
  /** coarse city for the sales ticker (never the shopper); absent in older tokens */
  city?: string;
}

export type SessionCheck =
  | { ok: true; session: Session }
  | { ok: false; reason: 'missing' | 'malformed' | 'bad_signature' | 'expired' };

export class SessionSigner {
  constructor(private readonly secret: string, private readonly ttlSeconds: number) {}

  issue(now = Date.now(), shopperId = newShopperId(), city?: string): { token: string } & Session {
    const session = { shopperId, expiresAt: now + this.ttlSeconds * 1000, ...(city ? { city } : {}) };
    const payload = Buffer.from(JSON.stringify({ sid: session.shopperId, exp: session.expiresAt, ...(city ? { c: city } : {}) })).toString('base64url');
    return { token: `${payload}.${this.sign(payload)}`, ...session };
  }

  verify(token: string | null | undefined, now = Date.now()): SessionCheck {
    if (!token) return { ok: false, reason: 'missing' };
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 512) return { ok: false, reason: 'malformed' };
    const payload = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.sign(payload), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    const { sid, exp, c } = (parsed ?? {}) as { sid?: unknown; exp?: unknown; c?: unknown };
    if (typeof sid !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(sid) || typeof exp !== 'number') {
      return { ok: false, reason: 'malformed' };
    }
    if (exp <= now) return { ok: false, reason: 'expired' };
    const city = typeof c === 'string' && /^[A-Za-z .-]{1,32}$/.test(c) ? c : undefined;
    return { ok: true, session: { shopperId: sid, expiresAt: exp, ...(city ? { city } : {}) } };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}

/** Guest shopper ids: short, url-safe, no personal data (they reach logs and Redis keys). */
export function newShopperId(): string {
  return 's' + randomBytes(9).toString('base64url');
}
