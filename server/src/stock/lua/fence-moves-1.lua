--[[
  Before a lost stock bucket is re-created from Postgres (restore-bucket-6.lua), each surviving
  bucket of the deal is told the donor's new epoch: a move the lost bucket took before it was
  lost (its journal is gone with it, and the restore counts those units back into it) must not
  be credited here afterwards by a mover still at work (credit-stock-2.lua refuses a take whose
  epoch is below this fence).

  Input:
    KEYS[1] a surviving bucket's deal hash   HASH   field fence:<bucket>

    ARGV[1] the bucket being restored    ARGV[2] its new epoch (> any it had)

  Output: 1 fenced (raised, or already at least this), 0 this bucket is missing itself (nothing
  written: a field on a missing hash would look like a bucket).
]]
local rcall = redis.call
local dealKey = KEYS[1]
local field, epoch = 'fence:' .. ARGV[1], tonumber(ARGV[2])
if epoch == nil then return redis.error_reply('ERR fence-moves: expected bucket and epoch') end
if rcall('HEXISTS', dealKey, 'available') == 0 then return 0 end
if (tonumber(rcall('HGET', dealKey, field)) or 0) < epoch then rcall('HSET', dealKey, field, epoch) end
return 1
