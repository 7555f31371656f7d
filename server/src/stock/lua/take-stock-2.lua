--[[
  A stock move's first step, on the donor bucket: takes units out of its stock and records the
  move in its journal, so the units are never in two buckets and never in none (they are
  "moving" until credit-stock-2.lua adds them to the receiver and close-move-2.lua closes the
  entry). A move id already in the journal is a no-op that returns what that move took: a
  retried or recovered step never takes twice.

  Input:
    KEYS[1] donor bucket's deal hash   HASH   counters available / stock / moving
    KEYS[2] donor's move journal       HASH   move id -> "<to>|<units>|taken" or "...|done"

    ARGV[1] move id (unique per move)
    ARGV[2] receiver bucket
    ARGV[3] units wanted (>= 1)

  Takes min(available, max(wanted, floor(available / 2))): at least what the receiver's shoppers
  asked for, up to half of the donor when that is more, so a hot bucket does not come back for
  every grab; never more than the donor has.

  Output: { taken, repeat, available after, moving before this move (on a repeat: moving now),
            the donor's epoch (0 until a restore re-created it: restore-bucket-6.lua) }
    taken    units this move took (0: the donor had none, nothing recorded)
    repeat   1 when the move id was already recorded (taken is the recorded amount)
   -1 as taken: the donor bucket is not warmed
  Counters: available -= taken, stock -= taken (the bucket's share), moving += taken.
]]
local rcall = redis.call
local dealKey, outKey = KEYS[1], KEYS[2]
local moveId, to, wanted = ARGV[1], ARGV[2], tonumber(ARGV[3])
if moveId == nil or moveId == '' or wanted == nil or wanted < 1 then
  return redis.error_reply('ERR take-stock: expected move id, receiver bucket, units wanted >= 1')
end

local f = rcall('HMGET', dealKey, 'available', 'moving', 'epoch')
local available, moving, epoch = tonumber(f[1]), tonumber(f[2]) or 0, tonumber(f[3]) or 0
if available == nil then return { -1, 0, 0, 0, 0 } end

local prev = rcall('HGET', outKey, moveId)
if prev then
  local units = tonumber(string.match(prev, '^[^|]*|(%d+)|'))
  return { units, 1, available, moving, epoch }
end

local taken = math.min(available, math.max(wanted, math.floor(available / 2)))
if taken <= 0 then return { 0, 0, available, moving, epoch } end
rcall('HINCRBY', dealKey, 'available', -taken)
rcall('HINCRBY', dealKey, 'stock', -taken)
rcall('HINCRBY', dealKey, 'moving', taken)
rcall('HSET', outKey, moveId, to .. '|' .. taken .. '|taken')
return { taken, 0, available - taken, moving, epoch }
