--[[
  The gateways that hold a socket of each of many shoppers (live/shopper-routes.ts gatewaysOf):
  one call for a whole order batch's shoppers, where a command per shopper cost the worker a
  client-side command object, its encoding and its reply each.

  Input:
    KEYS[i] route ZSET of one shopper: member = gateway id, score = when that gateway last said
            it holds a socket of the shopper (its clock, ms); any number of keys, one slot
    ARGV[1] the oldest score that still counts (older members are gateways that went away)

  Output: one string, a line per key in KEYS order (lines joined by '\n'), each line the key's
  gateway ids joined by ' ' (empty when none). Gateway ids hold neither (ShopperRoutes refuses
  them). One string, not an array per key: building and decoding 256 replies cost both ends more.
  Reads only.
]]
local rcall = redis.call
local concat = table.concat
local since = ARGV[1]
local out = {}
for i = 1, #KEYS do
  out[i] = concat(rcall('ZRANGEBYSCORE', KEYS[i], since, '+inf'), ' ')
end
return concat(out, '\n')
