--[[
  Decides a batch of grabs for ONE deal, in arrival order, atomically.

  Input:
    KEYS[1] deal hash     HASH   config + counters (fields: see warm-deal-1.lua)
    KEYS[2] rids          HASH   "<shopper>:<rid>" -> first answer "code|hold|qty|expiresAt"
    KEYS[3] per-shopper   HASH   shopper -> units held + bought
    KEYS[4] holds         HASH   hold -> "shopper|qty|expiresAt|state|heldAt"
    KEYS[5] expiries      ZSET   hold scored by expiresAt (unpaid holds only)

    ARGV[1] deal id
    ARGV[2] n, the number of grabs
    ARGV[3 + 3*(i-1)] shopper id, ARGV[4 + ...] qty, ARGV[5 + ...] rid   for i = 1..n

  Output: { now, available, then for each grab: code, hold, qty, expiresAt }
    code  1  held (new hold)
          2  held (repeated rid: the first answer again)
         -1  unknown deal (not warmed into Redis)
         -2  not open yet (judged by Redis TIME)
         -3  ended, stopped or cancelled
         -4  sold out
         -5  limit reached
         -6  invalid qty
    A repeated rid whose first answer was a refusal gets that refusal again.

  Counters (when the deal hash exists; the ops board and /metrics read them, never a scan):
    KEYS[1] grabs          HINCRBY n: every grab this script decided, repeats included
    KEYS[1] rej:<code>     HINCRBY: refusals by code (rej:-2 ... rej:-6), repeats included
    Malformed ARGV (count mismatch) is an error reply, raised before any write.
]]
local rcall = redis.call
local dealKey, ridsKey, perKey, holdsKey, expKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local dealId = ARGV[1]
local n = tonumber(ARGV[2])
if n == nil or n < 1 or #ARGV ~= 2 + 3 * n then
  return redis.error_reply('ERR grab-batch: expected 2 + 3*n arguments')
end

local t = rcall('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local out = { now, 0 }
local f = rcall('HMGET', dealKey, 'available', 'held', 'limit', 'startsAt', 'endsAt', 'holdMs', 'status', 'seq')
if f[1] == false then
  for i = 1, n do
    out[#out + 1] = -1; out[#out + 1] = ''; out[#out + 1] = 0; out[#out + 1] = 0
  end
  return out
end
local available, held = tonumber(f[1]), tonumber(f[2])
local limit, startsAt, endsAt = tonumber(f[3]), tonumber(f[4]), tonumber(f[5])
local holdMs, status, seq = tonumber(f[6]), f[7], tonumber(f[8])
local expiresAt = now + holdMs
local windowCode = 0
if now < startsAt then windowCode = -2
elseif now >= endsAt or status ~= 'open' then windowCode = -3 end

local changed = false
local rejected = {}
for i = 1, n do
  local base = 3 + 3 * (i - 1)
  local shopper, qtyRaw, rid = ARGV[base], ARGV[base + 1], ARGV[base + 2]
  local code, hold, qty, exp = windowCode, '', 0, 0
  if code == 0 then
    local ridKey = shopper .. ':' .. rid
    local prev = rcall('HGET', ridsKey, ridKey)
    if prev then
      local c, h, q, e = string.match(prev, '^(-?%d+)|([^|]*)|(%d+)|(%d+)$')
      code, hold, qty, exp = tonumber(c), h, tonumber(q), tonumber(e)
      if code == 1 then code = 2 end
    else
      qty = tonumber(qtyRaw)
      if qty == nil or qty < 1 or qty ~= math.floor(qty) then
        code, qty = -6, 0
      else
        local have = tonumber(rcall('HGET', perKey, shopper) or '0')
        if have + qty > limit then
          code = -5
        elseif available < qty then
          code = -4
        else
          seq = seq + 1
          hold = dealId .. '-' .. seq
          available = available - qty
          held = held + qty
          exp = expiresAt
          code = 1
          changed = true
          rcall('HINCRBY', perKey, shopper, qty)
          rcall('HSET', holdsKey, hold, shopper .. '|' .. qty .. '|' .. exp .. '|held|' .. now)
          rcall('ZADD', expKey, exp, hold)
        end
      end
      if code ~= -6 then
        rcall('HSET', ridsKey, ridKey, code .. '|' .. hold .. '|' .. qty .. '|' .. exp)
      end
    end
  end
  if code < 0 then rejected[code] = (rejected[code] or 0) + 1 end
  out[#out + 1] = code; out[#out + 1] = hold; out[#out + 1] = qty; out[#out + 1] = exp
end
-- one HINCRBY per code per batch, not per grab
rcall('HINCRBY', dealKey, 'grabs', n)
for c, k in pairs(rejected) do rcall('HINCRBY', dealKey, 'rej:' .. c, k) end
if changed then
  rcall('HSET', dealKey, 'available', available, 'held', held, 'seq', seq)
end
out[2] = available
return out
