--[[
  A gateway's entries for many shoppers (live/shopper-routes.ts ShopperRoutes.register): one call
  for a batch of shoppers, where three commands per shopper cost the gateway a client-side
  command object, its encoding and its reply each (a gateway taking a dead one's shoppers, or
  writing every entry again after a Redis restart, writes thousands at once).

  Input:
    KEYS[i] route ZSET of one shopper: member = gateway id, score = when that gateway last said
            it holds a socket of the shopper (its clock, ms); any number of keys, one slot
    ARGV[1] now (the gateway's clock, ms): this gateway's score
    ARGV[2] the oldest score that still counts: older members are trimmed
    ARGV[3] this gateway's id
    ARGV[4] the key's time to live, ms

  Output: the number of keys written.
]]
local rcall = redis.call
local now, since, gateway, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
for i = 1, #KEYS do
  local key = KEYS[i]
  rcall('ZADD', key, now, gateway)
  rcall('ZREMRANGEBYSCORE', key, '-inf', since)
  rcall('PEXPIRE', key, ttl)
end
return #KEYS
