--[[
  Baseline: decides ONE grab (the usual "one EVALSHA per grab"), with the same semantics as the
  engine's grab-batch-5.lua for n = 1: window by Redis TIME, idempotency by rid, per-shopper
  limit, stock, then the hold with its expiry and the deal's counters.

  Input:
    KEYS[1] deal hash     HASH   (fields as written by warm-deal-1.lua)
    KEYS[2] rids          HASH   "<shopper>:<rid>" -> "code|hold|qty|expiresAt"
    KEYS[3] per-shopper   HASH   shopper -> units
    KEYS[4] holds         HASH   hold -> "shopper|qty|expiresAt|state|heldAt"
    KEYS[5] expiries      ZSET   hold scored by expiresAt
    ARGV[1] deal id   ARGV[2] shopper   ARGV[3] qty   ARGV[4] rid

  Output: { code, hold, qty, expiresAt }, codes as grab-batch-5.lua (1 held, 2 repeat, -1..-6).
]]
local rcall = redis.call
local dealKey, ridsKey, perKey, holdsKey, expKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local dealId, shopper, qtyRaw, rid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

local t = rcall('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local f = rcall('HMGET', dealKey, 'available', 'held', 'limit', 'startsAt', 'endsAt', 'holdMs', 'status', 'seq')
if f[1] == false then return { -1, '', 0, 0 } end
local available, held = tonumber(f[1]), tonumber(f[2])
local limit, startsAt, endsAt = tonumber(f[3]), tonumber(f[4]), tonumber(f[5])
local holdMs, status, seq = tonumber(f[6]), f[7], tonumber(f[8])
if now < startsAt then return { -2, '', 0, 0 } end
if now >= endsAt or status ~= 'open' then return { -3, '', 0, 0 } end

local ridKey = shopper .. ':' .. rid
local prev = rcall('HGET', ridsKey, ridKey)
if prev then
  local c, h, q, e = string.match(prev, '^(-?%d+)|([^|]*)|(%d+)|(%d+)$')
  c = tonumber(c)
  if c == 1 then c = 2 end
  return { c, h, tonumber(q), tonumber(e) }
end
local qty = tonumber(qtyRaw)
if qty == nil or qty < 1 or qty ~= math.floor(qty) then return { -6, '', 0, 0 } end
local code, hold, exp = 0, '', 0
local have = tonumber(rcall('HGET', perKey, shopper) or '0')
if have + qty > limit then
  code = -5
elseif available < qty then
  code = -4
else
  seq = seq + 1
  hold = dealId .. '-' .. seq
  exp = now + holdMs
  code = 1
  rcall('HINCRBY', perKey, shopper, qty)
  rcall('HSET', holdsKey, hold, shopper .. '|' .. qty .. '|' .. exp .. '|held|' .. now)
  rcall('ZADD', expKey, exp, hold)
  rcall('HSET', dealKey, 'available', available - qty, 'held', held + qty, 'seq', seq)
end
rcall('HSET', ridsKey, ridKey, code .. '|' .. hold .. '|' .. qty .. '|' .. exp)
rcall('HINCRBY', dealKey, 'grabs', 1)
if code < 0 then rcall('HINCRBY', dealKey, 'rej:' .. code, 1) end
if code == -5 or code == -4 then return { code, '', 0, 0 } end
return { code, hold, qty, exp }
