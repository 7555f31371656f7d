--[[
  Places one chunk of the pre-queue in the order the draw gave (room/draw.ts): the i-th ticket
  of ARGV gets number `first + i - 1`. A ticket whose shopper left is a hole: its number stays
  unused and admission skips it. Idempotent: a drawer that dies mid-way is replaced and the
  chunks it wrote are written again with the same numbers.

  Input:
    KEYS[1] room hash HASH   KEYS[2] who HASH   KEYS[3] tix HASH   KEYS[4] line ZSET
    ARGV[1] first number of this chunk   ARGV[2..] tickets in drawn order
    ARGV[1] = 'finish' (no more ARGV): the draw is done; the seed is revealed, the line opens

  Output: placed shoppers (chunk) or 1 (finish); -1 when the room is not drawing.
]]
local rcall = redis.call
local roomKey, whoKey, tixKey, lineKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if rcall('HGET', roomKey, 'state') ~= 'drawing' then return -1 end
if ARGV[1] == 'finish' then
  local t = rcall('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  rcall('HSET', roomKey, 'state', 'open', 'revealed', rcall('HGET', roomKey, 'seed'), 'openedAt', now, 'lastTick', now)
  return 1
end
local first = tonumber(ARGV[1])
local placed = 0
for i = 2, #ARGV do
  local shopper = rcall('HGET', tixKey, ARGV[i])
  if shopper then
    local number = first + i - 2
    rcall('ZADD', lineKey, number, shopper)
    rcall('HSET', whoKey, shopper, number)
    placed = placed + 1
  end
end
return placed
