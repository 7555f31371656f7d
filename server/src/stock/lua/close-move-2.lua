--[[
  A stock move's last step, on the donor bucket, after the receiver was credited: the units are
  no longer moving. Marks the journal entry done (kept, so a late retry of the take for this
  move id still finds it and takes nothing).

  Input:
    KEYS[1] donor bucket's deal hash   HASH   counter moving
    KEYS[2] donor's move journal       HASH   move id -> "<to>|<units>|taken" or "...|done"

    ARGV[1] move id

  Output: 1 closed now, 0 unknown or already closed.
  Counters: moving -= units.
]]
local rcall = redis.call
local dealKey, outKey = KEYS[1], KEYS[2]
local moveId = ARGV[1]
local rec = rcall('HGET', outKey, moveId)
if not rec then return 0 end
local to, units, state = string.match(rec, '^([^|]*)|(%d+)|(%a+)$')
if state ~= 'taken' then return 0 end
rcall('HSET', outKey, moveId, to .. '|' .. units .. '|done')
rcall('HINCRBY', dealKey, 'moving', -tonumber(units))
return 1
