--[[
  Gives an unpaid, overdue hold's stock back, exactly once.

  Input:
    KEYS[1] deal hash     HASH   counters available / held
    KEYS[2] per-shopper   HASH   shopper -> units held + bought
    KEYS[3] holds         HASH   hold -> "shopper|qty|expiresAt|state|heldAt"

    ARGV[1] hold id
    ARGV[2] "1" to release even before expiresAt (deal cancelled), else "0"

  Output: { code, shopper, qty, available }
    code  1  released now: available += qty, held -= qty, shopper's count -= qty
         -1  unknown hold
         -2  already paid (nothing to give back)
         -3  already released (a second run changes nothing)
         -4  not due yet (expiresAt is still ahead by Redis TIME)
]]
local rcall = redis.call
local dealKey, perKey, holdsKey = KEYS[1], KEYS[2], KEYS[3]
local hold, force = ARGV[1], ARGV[2]
if hold == nil or (force ~= '0' and force ~= '1') then
  return redis.error_reply('ERR release-expired-hold: expected hold id and force flag')
end

local rec = rcall('HGET', holdsKey, hold)
if not rec then return { -1, '', 0, 0 } end
local shopper, qty, exp, state, heldAt = string.match(rec, '^(.*)|(%d+)|(%d+)|(%a+)|(%d+)$')
qty, exp = tonumber(qty), tonumber(exp)
if state == 'paid' then return { -2, shopper, qty, 0 } end
if state == 'expired' then return { -3, shopper, qty, 0 } end

local t = rcall('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if force ~= '1' and now < exp then return { -4, shopper, qty, 0 } end

rcall('HSET', holdsKey, hold, shopper .. '|' .. qty .. '|' .. exp .. '|expired|' .. heldAt)
local available = rcall('HINCRBY', dealKey, 'available', qty)
rcall('HINCRBY', dealKey, 'held', -qty)
if rcall('HINCRBY', perKey, shopper, -qty) <= 0 then rcall('HDEL', perKey, shopper) end
return { 1, shopper, qty, available }
