--[[
  Loads a deal into Redis before it opens (pre-warm), or updates its schedule.
  Counters are created once and never reset: warming twice is harmless.

  Input:
    KEYS[1] deal hash     HASH

    ARGV[1] deal id        ARGV[2] festival id   ARGV[3] stock        ARGV[4] per-shopper limit
    ARGV[5] hold ms        ARGV[6] startsAt ms   ARGV[7] endsAt ms    ARGV[8] unit price (minor)
    ARGV[9] currency       ARGV[10] status: open | stopped | cancelled

  Fields written: id festival limit holdMs startsAt endsAt price currency status
                  and, only when new: stock, available=stock held=0 sold=0 seq=0

  Output: 1 created, 0 updated. Error reply on bad arguments, before any write.
]]
local rcall = redis.call
local dealKey = KEYS[1]
if #ARGV ~= 10 then return redis.error_reply('ERR warm-deal: expected 10 arguments') end
for _, i in ipairs({ 3, 4, 5, 6, 7, 8 }) do
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

local created = rcall('EXISTS', dealKey) == 0
rcall('HSET', dealKey, 'id', ARGV[1], 'festival', ARGV[2], 'limit', limit,
  'holdMs', ARGV[5], 'startsAt', ARGV[6], 'endsAt', ARGV[7], 'price', ARGV[8],
  'currency', ARGV[9], 'status', status)
if created then
  -- stock is fixed once warmed: changing it later would break sold + held + available == stock
  rcall('HSET', dealKey, 'stock', stock, 'available', stock, 'held', 0, 'sold', 0, 'seq', 0)
  return 1
end
return 0
