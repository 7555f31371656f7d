--[[
  Releases a hold's pay lock (admission/payments.ts), only if it is still the caller's: a lock
  that lapsed and was taken by another payer stays theirs.

  Input:
    KEYS[1] pay lock      STRING the token of the payer holding it (SET NX PX)

    ARGV[1] the caller's token

  Output: 1 released, 0 not the caller's (or already gone)
]]
local rcall = redis.call
local lockKey = KEYS[1]
if rcall('GET', lockKey) ~= ARGV[1] then return 0 end
return rcall('DEL', lockKey)
