// Admission shards: the order, expiry and payment queues are split into ADMISSION_SHARDS (K)
// shards, so that on a Redis Cluster admission is not one hash tag on one master. Each shard's
// three queues share one hash tag (a BullMQ script touches one slot), the K tags are chosen to
// lie on K different masters, and a deal always maps to the same shard: every job about a hold
// (its order, its expiry, its payment) is in its deal's shard, where reconcile looks it up by id.
import calculateSlot from 'cluster-key-slot';

const SLOTS = 16_384;

const tags = new Map<string, string>();

/**
 * The hash tag of shard k of K: `a<k>.<n>` with the smallest n whose slot lies in the middle
 * half of the k-th of K equal slot ranges. A cluster whose masters own equal contiguous ranges
 * (what `redis-cli --cluster create` and scripts/services/redis-cluster.mjs make) thus holds
 * each of K shards on a different master when it has K masters (or a multiple). The middle half,
 * not the whole range: tools round the range boundaries differently (redis-cli gives slot 10922
 * to the second of three masters, where 16384 * 2 / 3 would put it in the third range).
 */
export function shardTag(k: number, shards: number): string {
  const key = `${k}/${shards}`;
  let tag = tags.get(key);
  if (tag !== undefined) return tag;
  if (!Number.isInteger(k) || k < 0 || k >= shards) throw new RangeError(`shard ${k} is not one of 0..${shards - 1}`);
  const width = SLOTS / shards;
  const lo = k * width + width / 4;
  const hi = (k + 1) * width - width / 4;
  for (let n = 0; ; n++) {
    const slot = calculateSlot(`a${k}.${n}`);
    if (slot >= lo && slot < hi) {
      tag = `a${k}.${n}`;
      break;
    }
  }
  tags.set(key, tag);
  return tag;
}

/** BullMQ's key prefix for shard k: the engine's key prefix, then the shard's hash tag. */
export function queuePrefix(keyPrefix: string, k: number, shards: number): string {
  return `${keyPrefix}:{${shardTag(k, shards)}}`;
}

/**
 * The shard of a deal: its id mod K. Deal ids are Postgres bigserials, so consecutive deals go
 * round the shards. An id that is not a number (none the engine makes) is hashed instead, so
 * every id still has exactly one shard.
 */
export function shardOfDeal(dealId: string, shards: number): number {
  if (shards === 1) return 0;
  return /^\d{1,15}$/.test(dealId) ? Number(dealId) % shards : calculateSlot(dealId) % shards;
}
