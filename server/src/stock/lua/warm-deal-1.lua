--[[
  Loads a deal (one stock bucket of it: stock/buckets.ts) into Redis before it opens (pre-warm),
  or updates its schedule. Counters are created once and never reset: warming twice is harmless.

  Input:
    KEYS[1] deal hash     HASH

    ARGV[1] deal id        ARGV[2] festival id   ARGV[3] stock        ARGV[4] per-shopper limit
    ARGV[5] hold ms        ARGV[6] startsAt ms   ARGV[7] endsAt ms    ARGV[8] unit price (minor)
    ARGV[9] currency       ARGV[10] status: open | stopped | cancelled
    ARGV[11] bucket b      ARGV[12] buckets B     ARGV[13] this bucket's share of the stock
    ARGV[14] the bucket's first hold seq - 1 (seqBase(b, B), stock/keys.ts)
    ARGV[15] "1": create the bucket when its hash is missing; "0": only update a bucket that
             exists. A deal that may have sold anything is never created here at its full
             stock: the scheduler re-creates a lost bucket from Postgres (restore-bucket-6.lua)

  Fields written: id festival limit holdMs startsAt endsAt price currency status
                  and, only when new: total=ARGV[3] (the deal's stock) bucket buckets
                  stock=share available=share held=0 sold=0 moving=0 seq=ARGV[14]
                  (a bucket's `stock` is its share; stock moves change it, see take-stock-2.lua)

  Output: { 1 created | 0 updated | -1 missing and not created (ARGV[15] "0": nothing written),
  the bucket's buckets field (B when created; an old hash without the field: 1; 0 when missing) }.
  Error reply on bad arguments, before any write.
]]
local rcall = redis.call
local dealKey = KEYS[1]
if #ARGV ~= 15 then return redis.error_reply('ERR warm-deal: expected 15 arguments') end
for _, i in ipairs({ 3, 4, 5, 6, 7, 8, 11, 12, 13, 14 }) do
  local v = tonumber(ARGV[i])
  if v == nil or v ~= math.floor(v) or v < 0 then
    return redis.error_reply('ERR warm-deal: argument ' .. i .. ' must be a non-negative integer')
  end
end
local stock, limit = tonumber(ARGV[3]), tonumber(ARGV[4])
if stock < 1 or limit < 1 then return redis.error_reply('ERR warm-deal: stock and limit must be >= 1') end
if tonumber(ARGV[7]) <= tonumber(ARGV[6]) then return redis.error_reply('ERR warm-deal: endsAt must be after startsAt') end
local status = ARGV[10]
if status ~= 'open' and status ~= 'stopped' and status ~= 'cancelled' then
  return redis.error_reply('ERR warm-deal: status must be open, stopped or cancelled')
end

local buckets, share = tonumber(ARGV[12]), tonumber(ARGV[13])
if buckets < 1 or share < 1 then return redis.error_reply('ERR warm-deal: buckets and share must be >= 1') end

-- 'available', not EXISTS: the counters are what a bucket is; a hash without them is no bucket
local created = rcall('HEXISTS', dealKey, 'available') == 0
if created and ARGV[15] ~= '1' then return { -1, 0 } end
rcall('HSET', dealKey, 'id', ARGV[1], 'festival', ARGV[2], 'limit', limit,
  'holdMs', ARGV[5], 'startsAt', ARGV[6], 'endsAt', ARGV[7], 'price', ARGV[8],
  'currency', ARGV[9], 'status', status)
if created then
  -- stock is fixed once warmed: changing it later would break sold + held + available == stock
  rcall('HSET', dealKey, 'total', stock, 'bucket', ARGV[11], 'buckets', buckets, 'stock', share,
    'available', share, 'held', 0, 'sold', 0, 'moving', 0, 'seq', ARGV[14])
  return { 1, buckets }
end
return { 0, tonumber(rcall('HGET', dealKey, 'buckets')) or 1 }
