// Brands and their API keys (ops creates both; brands only use keys). Secrets never reach
// Postgres, only their sha256 (see api-key.ts).
import type pg from 'pg';
import { formatKey, hashSecret, newSecret } from './api-key.ts';

type Queryable = pg.Pool | pg.PoolClient;

export interface KeyRow {
  id: string;
  brandId: string;
  brandName: string;
  label: string;
  secretSha256: Buffer;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export async function createBrand(db: Queryable, name: string): Promise<{ id: string; name: string }> {
  const { rows } = await db.query<{ id: number }>('INSERT INTO brands (name) VALUES ($1) RETURNING id', [name]);
  return { id: String(rows[0]!.id), name };
}

export async function findBrand(db: Queryable, idOrName: string): Promise<{ id: string; name: string } | null> {
  const { rows } = await db.query<{ id: number; name: string }>(
    'SELECT id, name FROM brands WHERE ($1 ~ \'^[0-9]{1,18}$\' AND id = $1::text::bigint) OR name = $1 LIMIT 1', [idOrName]);
  return rows[0] ? { id: String(rows[0].id), name: rows[0].name } : null;
}

/** Creates a key and returns it in full: the only time the secret exists outside the caller. */
export async function createKey(db: Queryable, brandId: string, label = ''): Promise<{ keyId: string; key: string }> {
  const secret = newSecret();
  const { rows } = await db.query<{ id: number }>(
    'INSERT INTO api_keys (brand_id, label, secret_sha256) VALUES ($1, $2, $3) RETURNING id',
    [brandId, label, hashSecret(secret)]);
  const keyId = String(rows[0]!.id);
  await db.query(`INSERT INTO brand_audit (brand_id, key_id, action, after) VALUES ($1, $2, 'key.create', $3)`,
    [brandId, keyId, JSON.stringify({ keyId, label, by: 'ops' })]);
  return { keyId, key: formatKey(keyId, secret) };
}

/** Revokes a key; true when it was live. Requests with it are refused from the next one on. */
export async function revokeKey(db: Queryable, keyId: string): Promise<boolean> {
  const { rows } = await db.query<{ brand_id: number }>(
    'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING brand_id', [keyId]);
  if (!rows[0]) return false;
  await db.query(`INSERT INTO brand_audit (brand_id, key_id, action, after) VALUES ($1, $2, 'key.revoke', $3)`,
    [rows[0].brand_id, keyId, JSON.stringify({ keyId, by: 'ops' })]);
  return true;
}

const KEY_COLUMNS = `k.id, k.brand_id, b.name AS brand_name, k.label, k.secret_sha256,
  k.created_at, k.last_used_at, k.revoked_at`;

interface RawKey {
  id: number; brand_id: number; brand_name: string; label: string; secret_sha256: Buffer;
  created_at: Date; last_used_at: Date | null; revoked_at: Date | null;
}

function toKey(r: RawKey): KeyRow {
  return {
    id: String(r.id), brandId: String(r.brand_id), brandName: r.brand_name, label: r.label,
    secretSha256: r.secret_sha256, createdAt: r.created_at.getTime(),
    lastUsedAt: r.last_used_at?.getTime() ?? null, revokedAt: r.revoked_at?.getTime() ?? null,
  };
}

export async function getKey(db: Queryable, keyId: string): Promise<KeyRow | null> {
  const { rows } = await db.query<RawKey>(
    `SELECT ${KEY_COLUMNS} FROM api_keys k JOIN brands b ON b.id = k.brand_id WHERE k.id = $1`, [keyId]);
  return rows[0] ? toKey(rows[0]) : null;
}

export async function listKeys(db: Queryable, brandId: string): Promise<KeyRow[]> {
  const { rows } = await db.query<RawKey>(
    `SELECT ${KEY_COLUMNS} FROM api_keys k JOIN brands b ON b.id = k.brand_id WHERE k.brand_id = $1 ORDER BY k.id`, [brandId]);
  return rows.map(toKey);
}

/** Records use, at most once a second per key: a busy console must not turn reads into writes. */
export async function touchKey(db: Queryable, keyId: string): Promise<void> {
  await db.query(
    `UPDATE api_keys SET last_used_at = now()
      WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 second')`, [keyId]);
}
