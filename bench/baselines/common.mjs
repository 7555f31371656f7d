// Shared by the baseline servers: the same session tokens as flashfest (HMAC-SHA256, checked at
// connect), the same Redis keys, and the single-grab Lua script loaded once (EVALSHA per grab).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

const SECRET = process.env.SESSION_SECRET ?? '';
export const PREFIX = process.env.KEY_PREFIX ?? 'ff';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** shopper id of a valid token, else null */
export function verifyToken(token) {
  if (!token) return null;
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = createHmac('sha256', SECRET).update(payload).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const { sid, exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof sid === 'string' && exp > Date.now() ? sid : null;
  } catch {
    return null;
  }
}

export function defineSingleGrab(redis) {
  redis.defineCommand('singleGrab', { numberOfKeys: 5, lua: readFileSync(new URL('./single-grab.lua', import.meta.url), 'utf8') });
}

export function dealKeys(deal) {
  const tag = `${PREFIX}:{d:${deal}}`;
  return [`${tag}:deal`, `${tag}:rids`, `${tag}:per`, `${tag}:holds`, `${tag}:exp`];
}

const CODES = { '-1': 'unknown_deal', '-2': 'not_open', '-3': 'ended', '-4': 'sold_out', '-5': 'limit_reached', '-6': 'invalid' };

export function validGrab(m) {
  return m !== null && typeof m === 'object' && m.t === 'grab' && typeof m.deal === 'string' && /^\d{1,18}$/.test(m.deal)
    && Number.isInteger(m.qty) && m.qty >= 1 && m.qty <= 100 && typeof m.rid === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(m.rid);
}

/** One EVALSHA for one grab; the answer in flashfest's wire shape. */
export async function grabOnce(redis, shopper, m) {
  const [code, hold, qty, exp] = await redis.singleGrab(...dealKeys(m.deal), m.deal, shopper, m.qty, m.rid);
  if (code === 1 || code === 2) return { t: 'held', rid: m.rid, deal: m.deal, hold, qty, expiresAt: exp };
  return { t: 'refused', rid: m.rid, deal: m.deal, code: CODES[code] ?? 'unavailable', message: 'refused' };
}
