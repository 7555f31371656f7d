--[[
  The gateways that hold a socket of each of many shoppers (live/shopper-routes.ts gatewaysOf):
  one call for a whole order batch's shoppers, where a command per shopper cost the worker a
  client-side command object, its encoding and its reply each.

  Input:
    KEYS[i] route ZSET of one shopper: member = gateway id, score = when that gateway last said
            it holds a socket of the shopper (its clock, ms); any number of keys, one slot
    ARGV[1] the oldest score that still counts (older members are gateways that went away)

  Output: one array per key, in KEYS order: the gateway ids (empty when none).
  Reads only.
]]
local rcall = redis.call
local since = ARGV[1]
local out = {}
for i = 1, #KEYS do
  out[i] = rcall('ZRANGEBYSCORE', KEYS[i], since, '+inf')
end
return out
