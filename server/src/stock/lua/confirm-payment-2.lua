--[[
  Turns a live hold into a sale, atomically: held -= qty, sold += qty. Refused once the hold's
  time is up by Redis TIME, even if the expiry job has not run yet.

  Input:
    KEYS[1] deal hash     HASH   counters held / sold, price, currency
    KEYS[2] holds         HASH   hold -> "shopper|qty|expiresAt|state|heldAt"

    ARGV[1] hold id
    ARGV[2] shopper id (a hold is payable only by its own shopper)

  Output: { code, qty, unitPriceMinor, currency, heldAt, expiresAt }
    code  1  paid now
          2  was already paid (a retry: same answer, nothing changes)
         -1  unknown hold, or not this shopper's
         -3  hold expired (released or overdue)
]]
local rcall = redis.call
local dealKey, holdsKey = KEYS[1], KEYS[2]
local hold, who = ARGV[1], ARGV[2]
if hold == nil or who == nil or who == '' then
  return redis.error_reply('ERR confirm-payment: expected hold id and shopper id')
end

local rec = rcall('HGET', holdsKey, hold)
if not rec then return { -1, 0, 0, '', 0, 0 } end
local shopper, qty, exp, state, heldAt = string.match(rec, '^(.*)|(%d+)|(%d+)|(%a+)|(%d+)$')
if shopper ~= who then return { -1, 0, 0, '', 0, 0 } end
qty, exp, heldAt = tonumber(qty), tonumber(exp), tonumber(heldAt)
local price = rcall('HMGET', dealKey, 'price', 'currency')
local unit, currency = tonumber(price[1]) or 0, price[2] or ''
if state == 'paid' then return { 2, qty, unit, currency, heldAt, exp } end
if state == 'expired' then return { -3, qty, unit, currency, heldAt, exp } end

local t = rcall('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now >= exp then return { -3, qty, unit, currency, heldAt, exp } end

rcall('HSET', holdsKey, hold, shopper .. '|' .. qty .. '|' .. exp .. '|paid|' .. heldAt)
rcall('HINCRBY', dealKey, 'held', -qty)
rcall('HINCRBY', dealKey, 'sold', qty)
return { 1, qty, unit, currency, heldAt, exp }
