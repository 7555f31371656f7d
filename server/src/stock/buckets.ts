// Stock buckets: a hot deal's stock split over B bucket hashes on B Cluster slots (keys.ts), so
// one deal's grabs are decided by up to B masters at once instead of one core. A shopper is
// pinned to one bucket by a hash of their id: all their grabs of the deal meet in one Lua call's
// keys, so the per-shopper limit and rid idempotency stay exact without any cross-slot step.

import { MAX_STOCK_BUCKETS } from './keys.ts';

export { MAX_STOCK_BUCKETS };

/**
 * How many buckets a deal gets when it is first warmed (fixed from then on: bucket 0's hash
 * keeps it). `requested` is the deal's own `stock_buckets` (brand API `stockBuckets`); when it
 * is null, `unitsPerBucket` (STOCK_BUCKET_UNITS, 0 = never) splits a deal into one bucket per
 * that many units of stock. Either way at most MAX_STOCK_BUCKETS, and never more buckets than
 * units (every bucket starts with at least one).
 */
export function stockBucketsFor(stock: number, requested: number | null | undefined, unitsPerBucket: number): number {
  const wanted = requested ?? (unitsPerBucket > 0 ? Math.floor(stock / unitsPerBucket) : 1);
  return Math.max(1, Math.min(wanted, MAX_STOCK_BUCKETS, stock));
}

/** The bucket a shopper is pinned to: FNV-1a of the id, stable across processes and restarts. */
export function bucketOfShopper(shopper: string, buckets: number): number {
  if (buckets <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < shopper.length; i++) {
    h ^= shopper.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % buckets;
}

/** Bucket b's share of `stock` when the deal is warmed: as even as integers allow. */
export function bucketShare(stock: number, buckets: number, bucket: number): number {
  return Math.floor(stock / buckets) + (bucket < stock % buckets ? 1 : 0);
}
