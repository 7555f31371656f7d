// Who is calling: the Bearer key, checked against its stored hash on every request (so a revoked
// key stops at once), and a per-key token bucket. Failed attempts are limited per address.
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import { getKey, touchKey } from '../db/brand-keys-repo.ts';
import { TokenBucket } from '../http/rate-limit.ts';
import { parseKey, secretMatches } from '../db/api-key.ts';
import type { BrandCaller } from './deal-service.ts';

/** Per key, per gateway: a console polling every second and a burst of bulk work fit easily. */
export const BRAND_RATE = { perSecond: 10, burst: 30 } as const;
const FAILED_RATE = { perSecond: 2, burst: 20 } as const;

export type AuthResult =
  | { ok: true; caller: BrandCaller }
  | { ok: false; reason: 'unauthorized' | 'rate_limited'; message: string };

export class BrandAuth {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly failed = new Map<string, TokenBucket>();
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly pool: Pool, private readonly logger: Logger, private readonly rate: { perSecond: number; burst: number } = BRAND_RATE) {
    // full buckets are the default state: forgetting them all now and then loses nothing that matters
    this.sweep = setInterval(() => { this.buckets.clear(); this.failed.clear(); }, 10 * 60_000);
    this.sweep.unref();
  }

  close(): void {
    clearInterval(this.sweep);
  }

  async check(bearer: string | null, address: string): Promise<AuthResult> {
    const parsed = parseKey(bearer);
    const row = parsed ? await getKey(this.pool, parsed.keyId) : null;
    if (!parsed || !row || row.revokedAt !== null || !secretMatches(parsed.secret, row.secretSha256)) {
      if (!this.take(this.failed, address, FAILED_RATE)) return { ok: false, reason: 'rate_limited', message: 'Too many failed key attempts from this address; slow down.' };
      const message = row?.revokedAt != null && parsed && secretMatches(parsed.secret, row.secretSha256)
        ? 'This API key was revoked; ask flashfest ops for a new one.'
        : bearer ? 'The API key is not valid.' : 'A brand API key is required: Authorization: Bearer ffb_<id>_<secret>.';
      return { ok: false, reason: 'unauthorized', message };
    }
    if (!this.take(this.buckets, row.id, this.rate)) {
      return { ok: false, reason: 'rate_limited', message: `Too many requests for this key (${this.rate.perSecond}/s, burst ${this.rate.burst}); slow down.` };
    }
    touchKey(this.pool, row.id).catch((err: unknown) => this.logger.warn({ err, key: row.id }, 'brand key: last-used update failed'));
    return { ok: true, caller: { brandId: row.brandId, brandName: row.brandName, keyId: row.id } };
  }

  private take(map: Map<string, TokenBucket>, id: string, rate: { perSecond: number; burst: number }): boolean {
    let b = map.get(id);
    if (!b) map.set(id, (b = new TokenBucket(rate.perSecond, rate.burst)));
    return b.take();
  }
}
