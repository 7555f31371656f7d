--[[
  A shopper leaves the line for good (the `leave` message): its place, ticket, presence and any
  admission are removed. A pre-queue ticket left before the draw becomes a hole the draw skips.

  Input:
    KEYS[1] room hash (unused, for the slot)   KEYS[2] who HASH   KEYS[3] tix HASH
    KEYS[4] line ZSET   KEYS[5] seen ZSET   KEYS[6] admitted ZSET
    ARGV[1] shopper id

  Output: 1 when the shopper had a place, 0 when not.
]]
local rcall = redis.call
local shopper = ARGV[1]
local place = rcall('HGET', KEYS[2], shopper)
if not place then return 0 end
if string.sub(place, 1, 1) == 't' then rcall('HDEL', KEYS[3], string.sub(place, 2)) end
rcall('HDEL', KEYS[2], shopper)
rcall('ZREM', KEYS[4], shopper)
rcall('ZREM', KEYS[5], shopper)
rcall('ZREM', KEYS[6], shopper)
return 1
