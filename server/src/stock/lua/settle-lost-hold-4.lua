--[[
  Settles, in Redis, a hold that Postgres has an order for but Redis lost (a failover promoted a
  replica that had not yet received it: Redis Cluster replicates asynchronously). Reconcile calls
  it once per such order; the decision is made here, atomically, so two runs never disagree.

  Input:
    KEYS[1] deal hash     HASH   counters + config (see warm-deal-1.lua)
    KEYS[2] per-shopper   HASH   shopper -> units held + bought
    KEYS[3] holds         HASH   hold -> "shopper|qty|expiresAt|state|heldAt"
    KEYS[4] expiries      ZSET   expiry index entries "<first seq>-<last seq>" (see grab-batch-5.lua)

    ARGV[1] hold id "<dealId>-<seq>"   ARGV[2] its seq   ARGV[3] shopper   ARGV[4] qty
    ARGV[5] expiresAt ms               ARGV[6] heldAt ms
    ARGV[7] the order's state in Postgres: 'pending' or 'paid'

  Output: one integer
     1  restored as held: a pending order whose unit the deal can still give (not expired by
        Redis TIME, available >= qty, the shopper within the limit); the counters move as a grab's
     2  restored as paid: a paid order, available >= qty; the counters move as a sale
     0  recorded as released ('expired', counters untouched): a pending order that cannot be
        restored without overselling or passing the limit, or whose time is up; the caller
        cancels the order and tells the shopper
    -1  the deal hash is missing (nothing written)
    -2  the hold is in Redis (settled meanwhile, or its id was given to another grab): nothing written
    -3  a paid order whose unit the deal can no longer give: nothing written (sold twice; reported)

  Every outcome that writes also raises the deal's seq to the hold's, so no later grab issues its
  id again. Cost: O(1).
]]
local rcall = redis.call
local dealKey, perKey, holdsKey, expKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local hold, holdSeq, shopper = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local qty, expiresAt, heldAt, pgState = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
if holdSeq == nil or qty == nil or qty < 1 or expiresAt == nil or heldAt == nil
  or (pgState ~= 'pending' and pgState ~= 'paid') then
  return redis.error_reply('ERR settle-lost-hold: bad arguments')
end

local f = rcall('HMGET', dealKey, 'available', 'limit', 'seq')
if f[1] == false then return -1 end
if rcall('HEXISTS', holdsKey, hold) == 1 then return -2 end
local available, limit, seq = tonumber(f[1]), tonumber(f[2]), tonumber(f[3])

local t = rcall('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local have = tonumber(rcall('HGET', perKey, shopper) or '0')
local function record(state)
  rcall('HSET', holdsKey, hold, shopper .. '|' .. qty .. '|' .. expiresAt .. '|' .. state .. '|' .. heldAt)
end
if holdSeq > seq then rcall('HSET', dealKey, 'seq', holdSeq) end

if pgState == 'paid' then
  if available < qty then return -3 end
  record('paid')
  rcall('HINCRBY', dealKey, 'available', -qty)
  rcall('HINCRBY', dealKey, 'sold', qty)
  rcall('HSET', perKey, shopper, have + qty)
  return 2
end

if now < expiresAt and available >= qty and have + qty <= limit then
  record('held')
  rcall('HINCRBY', dealKey, 'available', -qty)
  rcall('HINCRBY', dealKey, 'held', qty)
  rcall('HSET', perKey, shopper, have + qty)
  -- the expiry index is how reconcile finds it due if its expiry job is gone too
  rcall('ZADD', expKey, expiresAt, holdSeq .. '-' .. holdSeq)
  return 1
end
record('expired')
return 0
