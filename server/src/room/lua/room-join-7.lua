--[[
  A shopper joins the deal's line (or comes back to it). One place per shopper: a second join
  gives the first place back. Before the opening the shopper gets a pre-queue ticket (its number
  comes from the draw); after it, the next number at the back. A join after the opening second
  that finds the room still in `pre` (no gateway has ticked it since) closes the pre-queue itself,
  as the tick would (room-tick-8.lua): the draw then runs on the next tick, and this shopper takes
  the first number after the pre-queue's.

  Input:
    KEYS[1] room hash   HASH      KEYS[2] who   HASH     KEYS[3] tix   HASH
    KEYS[4] line        ZSET      KEYS[5] seen  ZSET     KEYS[6] admitted ZSET
    KEYS[7] deal hash   HASH (stock/keys.ts: startsAt, read only)

    ARGV[1] shopper id
    ARGV[2] '1' when the shopper paid the proof of work (may take a new place), '0' when not
            (only an existing place is given back)

  Output: { status, number, ticket, serving, next, windowEnd, reason, now }
    status: off (no room is on: grab directly) | closed (reason says why) | pow (a new place
            needs the proof of work) | pre (ticket, in the pre-queue) | waiting (number) |
            admitted (number, windowEnd)
  Cost: O(log N).
]]
local rcall = redis.call
local roomKey, whoKey, tixKey, lineKey, seenKey, admKey, dealKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local shopper, paid = ARGV[1], ARGV[2] == '1'
local t = rcall('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local r = rcall('HMGET', roomKey, 'state', 'active', 'serving', 'next', 'reason')
local state, active, serving, nextNo = r[1], r[2], tonumber(r[3] or 0), tonumber(r[4] or 0)
local function reply(status, number, ticket, windowEnd)
  return { status, number or 0, ticket or 0, serving, nextNo, windowEnd or 0, r[5] or '', now }
end
if not state or active ~= '1' then return reply('off') end
if state == 'closed' then return reply('closed') end

local place = rcall('HGET', whoKey, shopper)
if place then
  if string.sub(place, 1, 1) == 't' then
    rcall('ZADD', seenKey, now, shopper)
    return reply('pre', 0, tonumber(string.sub(place, 2)))
  end
  local number = tonumber(place)
  if number > serving then
    rcall('ZADD', seenKey, now, shopper)
    return reply('waiting', number)
  end
  local windowEnd = tonumber(rcall('ZSCORE', admKey, shopper) or '0')
  if windowEnd > now then return reply('admitted', number, 0, windowEnd) end
  -- the turn came and went (window over, or skipped as abandoned): the place is spent
  rcall('HDEL', whoKey, shopper)
  rcall('ZREM', admKey, shopper)
end
if not paid then return reply('pow') end

rcall('ZADD', seenKey, now, shopper)
if state == 'pre' then
  local startsAt = tonumber(rcall('HGET', dealKey, 'startsAt') or '')
  if startsAt and now >= startsAt then
    -- the opening has passed: close the pre-queue as the tick does; the draw's lease is left
    -- expired (0) so the next tick hands the draw out at once
    local entries = tonumber(rcall('HGET', roomKey, 'pre') or '0')
    nextNo = entries
    if entries == 0 then
      state = 'open'
      rcall('HSET', roomKey, 'state', 'open', 'entries', 0, 'next', 0, 'revealed', rcall('HGET', roomKey, 'seed'), 'openedAt', now, 'lastTick', now)
    else
      state = 'drawing'
      rcall('HSET', roomKey, 'state', 'drawing', 'entries', entries, 'next', entries, 'drawLease', 0)
    end
  end
end
if state == 'pre' then
  local ticket = rcall('HINCRBY', roomKey, 'pre', 1)
  rcall('HSET', tixKey, ticket, shopper)
  rcall('HSET', whoKey, shopper, 't' .. ticket)
  return reply('pre', 0, ticket)
end
nextNo = rcall('HINCRBY', roomKey, 'next', 1)
rcall('ZADD', lineKey, nextNo, shopper)
rcall('HSET', whoKey, shopper, nextNo)
return reply('waiting', nextNo)
