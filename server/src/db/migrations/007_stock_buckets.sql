-- flashfest schema, version 7: a deal may be split into stock buckets on different Redis slots
-- (server/src/stock/buckets.ts). NULL: the engine's rule decides when the deal is first warmed
-- (STOCK_BUCKET_UNITS); 1..16: the brand's or ops' own choice. Fixed in Redis once warmed.
ALTER TABLE deals ADD COLUMN IF NOT EXISTS stock_buckets integer
  CHECK (stock_buckets IS NULL OR stock_buckets BETWEEN 1 AND 16);
