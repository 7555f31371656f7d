--[[
  Sets a warmed deal's status (a brand's cancel or stop, the scheduler re-asserting one).
  Grabs read it in grab-batch-5.lua: anything but "open" is refused as ended.

  Input:
    KEYS[1] deal hash     HASH   config + counters (fields: see warm-deal-1.lua)

    ARGV[1] status: open | stopped | cancelled

  Output: 1 set, 0 the deal is not warmed (nothing written: a status on a missing hash would
  look like a deal to every reader of it).
]]
local rcall = redis.call
local dealKey = KEYS[1]
if rcall('EXISTS', dealKey) == 0 then return 0 end
rcall('HSET', dealKey, 'status', ARGV[1])
return 1
