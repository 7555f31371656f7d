--[[
  Creates a deal's waiting room or updates its settings. The draw's seed and commitment, the
  state and the line's counters are written once (HSETNX): warming again never resets a line.

  Input:
    KEYS[1] room hash     HASH

    ARGV[1] mode: off | on | auto      ARGV[2] outflow (shoppers admitted per second, >= 1)
    ARGV[3] grab window ms (>= 1000)   ARGV[4] presence grace ms (>= 0)
    ARGV[5] auto multiple (>= 1)       ARGV[6] seed (hex)   ARGV[7] sha256(seed) (hex)

  Output: 1 created, 0 updated. Error reply on bad arguments, before any write.
]]
local rcall = redis.call
local roomKey = KEYS[1]
if #ARGV ~= 7 then return redis.error_reply('ERR room-warm: expected 7 arguments') end
local mode = ARGV[1]
if mode ~= 'off' and mode ~= 'on' and mode ~= 'auto' then
  return redis.error_reply('ERR room-warm: mode must be off, on or auto')
end
local outflow, window, grace, multiple = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if not outflow or outflow < 1 or not window or window < 1000 or not grace or grace < 0 or not multiple or multiple < 1 then
  return redis.error_reply('ERR room-warm: outflow >= 1, window >= 1000, grace >= 0, multiple >= 1')
end
local created = rcall('EXISTS', roomKey) == 0
rcall('HSET', roomKey, 'mode', mode, 'outflow', outflow, 'windowMs', window, 'graceMs', grace, 'autoMultiple', multiple)
for _, kv in ipairs({ { 'seed', ARGV[6] }, { 'commit', ARGV[7] }, { 'state', 'pre' }, { 'pre', 0 },
  { 'next', 0 }, { 'serving', 0 }, { 'credit', 0 }, { 'admitted', 0 }, { 'abandoned', 0 }, { 'paused', 0 },
  { 'active', mode == 'on' and 1 or 0 } }) do
  rcall('HSETNX', roomKey, kv[1], kv[2])
end
-- a brand that switches an auto room to on turns it on now; auto keeps what its rule decided
if mode == 'on' then rcall('HSET', roomKey, 'active', 1) end
if mode == 'off' then rcall('HSET', roomKey, 'active', 0) end
if created then return 1 end
return 0
