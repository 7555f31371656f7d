// Brand API keys: `ffb_<keyId>_<secret>`. The id makes lookup one primary-key read; the secret
// (32 random bytes, base64url) is kept only as its sha256, compared in constant time. Here in db/
// because the key is its api_keys row (id + hash): brand-keys-repo mints keys, brand/auth checks.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY_RE = /^ffb_(\d{1,18})_([A-Za-z0-9_-]{43})$/;

export interface ParsedKey {
  keyId: string;
  secret: string;
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function formatKey(keyId: string, secret: string): string {
  return `ffb_${keyId}_${secret}`;
}

export function parseKey(key: string | null): ParsedKey | null {
  const m = key ? KEY_RE.exec(key) : null;
  return m ? { keyId: m[1]!, secret: m[2]! } : null;
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export function secretMatches(secret: string, stored: Buffer): boolean {
  const h = hashSecret(secret);
  return stored.length === h.length && timingSafeEqual(h, stored);
}
