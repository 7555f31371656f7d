--[[
  A stock move's second step, on the receiver bucket: adds the units take-stock-2.lua took from
  the donor, once per move id (the receiver's journal remembers every move it was credited).
  Recovery (StockStore.finishMoves) may run it for a move whose mover died or is still at work:
  whichever comes second changes nothing.

  Input:
    KEYS[1] receiver bucket's deal hash   HASH   counters available / stock
    KEYS[2] receiver's move journal       HASH   move id -> "<from>|<units>"

    ARGV[1] move id    ARGV[2] donor bucket    ARGV[3] units (>= 1, what the take recorded)
    ARGV[4] the donor's epoch when it took them (take-stock-2.lua; absent: 0)

  Output: 1 credited now, 0 already credited, -1 the receiver is not warmed (nothing written:
  the move stays open in the donor's journal and recovery credits it once the bucket is back),
  -2 the donor was re-created from Postgres after this take (the receiver's `fence:<donor>`
  field, written by the restore before it read this bucket, is above the take's epoch): the
  restore counted these units back into the donor, so they are not credited here (nothing
  written).
  Counters: available += units, stock += units.
]]
local rcall = redis.call
local dealKey, inKey = KEYS[1], KEYS[2]
local moveId, from, units = ARGV[1], ARGV[2], tonumber(ARGV[3])
if moveId == nil or moveId == '' or units == nil or units < 1 then
  return redis.error_reply('ERR credit-stock: expected move id, donor bucket, units >= 1')
end
if rcall('HEXISTS', inKey, moveId) == 1 then return 0 end
if rcall('EXISTS', dealKey) == 0 then return -1 end
if (tonumber(rcall('HGET', dealKey, 'fence:' .. from)) or 0) > (tonumber(ARGV[4]) or 0) then return -2 end
rcall('HINCRBY', dealKey, 'available', units)
rcall('HINCRBY', dealKey, 'stock', units)
rcall('HSET', inKey, moveId, from .. '|' .. units)
return 1
