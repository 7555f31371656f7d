--[[
  Takes the next fencing token, never below a floor: INCR, but if Redis lost the counter (flush,
  failover to an empty replica) while Postgres kept a higher token, the token still goes past it
  (fence.ts).

  Input:
    KEYS[1] fence counter  STRING integer, the last token taken

    ARGV[1] floor: the token Postgres holds

  Output: the new token (> floor)
]]
local rcall = redis.call
local fenceKey = KEYS[1]
local cur = tonumber(rcall('GET', fenceKey) or '0')
local floor = tonumber(ARGV[1])
if cur < floor then rcall('SET', fenceKey, floor) end
return rcall('INCR', fenceKey)
