--[[
  Adds the refusals a gateway answered from its own cache, without Redis, to the deal's
  counters, so the ops board and /metrics see every answer (live/deal-feed.ts, once per poll).

  Input:
    KEYS[1] deal hash     HASH   counters (fields: see warm-deal-1.lua and grab-batch-5.lua)

    ARGV[1] counter field: rej:-2 (not open) | rej:-3 (ended) | rej:-4 (sold out)
    ARGV[2] n, how many such refusals

  Counters (only into a warmed deal: HINCRBY on a missing hash would make a fake deal):
    KEYS[1] ARGV[1]   HINCRBY n
    KEYS[1] grabs     HINCRBY n (grab-batch-5.lua counts every grab it decides the same way)

  Output: 0
]]
local rcall = redis.call
local dealKey = KEYS[1]
if rcall('EXISTS', dealKey) == 1 then
  rcall('HINCRBY', dealKey, ARGV[1], ARGV[2])
  rcall('HINCRBY', dealKey, 'grabs', ARGV[2])
end
return 0
