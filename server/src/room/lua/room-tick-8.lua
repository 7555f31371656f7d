--[[
  One tick of a deal's waiting room. Every gateway calls it every ROOM_TICK_MS for every room it
  knows; the first call of each tick interval moves the line, the others only read it, so the
  line moves at one pace however many gateways run.

  A tick: (auto mode) adds this gateway's watcher count and turns the room on past the rule;
  closes the room when the deal is sold out (nothing available, nothing held), ended or stopped;
  at the opening second turns the pre-queue into a draw (the caller told to draw does it,
  room/draw.ts, another takes over if it dies); then, while open and not paused, admits from the
  front: at most `outflow` per second, and never more shoppers waiting for a unit than can still
  get one:

    budget = floor(factor * (available + heldReturn * held)) - pending

  where pending = admitted shoppers inside their window who hold nothing yet. A shopper whose
  presence is older than the grace is abandoned: removed and skipped without using the budget.

  Input:
    KEYS[1] room hash HASH   KEYS[2] line ZSET   KEYS[3] seen ZSET   KEYS[4] admitted ZSET
    KEYS[5] watch HASH       KEYS[6] deal hash HASH (stock/keys.ts)  KEYS[7] per-shopper HASH
    KEYS[8] who HASH

    ARGV[1] gateway id   ARGV[2] sockets watching the deal on this gateway   ARGV[3] tick ms
    ARGV[4] admit factor   ARGV[5] held return factor   ARGV[6] draw lease ms
    ARGV[7] most line entries looked at per tick

  Output: { state, serving, next, waiting, reason, draw (1: the caller must draw now), now,
            entries, commit, revealed seed, rate (admitted/s, measured), paused, outflow,
            windowMs, admitted total, abandoned total, openedAt, closedAt, soldOutAt, pending }
    state: off | pre | drawing | open | closed
  Cost: O(admitted in window + looked at * log N).
]]
local rcall = redis.call
local roomKey, lineKey, seenKey, admKey, watchKey, dealKey, perKey, whoKey =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local gw, watchers, tickMs = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local factor, heldReturn, drawLeaseMs, maxScan = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local t = rcall('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local f = {}
do
  local flat = rcall('HGETALL', roomKey)
  for i = 1, #flat, 2 do f[flat[i]] = flat[i + 1] end
end
local function num(k) return tonumber(f[k] or '0') or 0 end
local pendingOut = 0
local function reply(draw)
  local serving, nextNo = num('serving'), num('next')
  local waiting = rcall('ZCARD', lineKey) + num('pre') * ((f.state == 'pre') and 1 or 0)
  return { f.state or 'off', serving, nextNo, waiting, f.reason or '', draw and 1 or 0, now,
    num('entries'), f.commit or '', f.revealed or '', f.rate or '0', num('paused'), num('outflow'),
    num('windowMs'), num('admitted'), num('abandoned'), num('openedAt'), num('closedAt'), num('soldOutAt'), pendingOut }
end
if not f.mode or f.mode == 'off' then f.state = 'off'; return reply(false) end

local d = rcall('HMGET', dealKey, 'available', 'held', 'status', 'startsAt', 'endsAt', 'stock')
local available, held, status = tonumber(d[1]), tonumber(d[2]), d[3]
local startsAt, endsAt, stock = tonumber(d[4]), tonumber(d[5]), tonumber(d[6])

if f.active ~= '1' then
  -- auto: on when the shoppers watching exceed autoMultiple x stock (fresh reports only)
  if f.mode == 'auto' and stock then
    rcall('HSET', watchKey, gw, watchers .. '|' .. now)
    local total = 0
    local all = rcall('HGETALL', watchKey)
    for i = 1, #all, 2 do
      local c, at = string.match(all[i + 1], '^(%d+)|(%d+)$')
      if c and now - tonumber(at) < 5000 then total = total + tonumber(c) end
    end
    if total > num('autoMultiple') * stock then
      rcall('HSET', roomKey, 'active', 1)
      f.active = '1'
    end
  end
  if f.active ~= '1' then f.state = 'off'; return reply(false) end
end
if f.state == 'closed' or available == nil then return reply(false) end

local function close(reason)
  f.state, f.reason, f.closedAt = 'closed', reason, tostring(now)
  rcall('HSET', roomKey, 'state', 'closed', 'reason', reason, 'closedAt', now)
  if reason == 'sold_out' then
    f.soldOutAt = tostring(now)
    rcall('HSET', roomKey, 'soldOutAt', now)
  end
  return reply(false)
end
if status == 'stopped' or status == 'cancelled' then return close('stopped') end
if now >= endsAt then return close('ended') end
if now >= startsAt and available == 0 and held == 0 then return close('sold_out') end

if f.state == 'pre' then
  if now < startsAt then return reply(false) end
  local entries = num('pre')
  f.entries, f['next'] = tostring(entries), tostring(entries)
  if entries == 0 then
    f.state, f.revealed, f.openedAt, f.lastTick = 'open', f.seed, tostring(now), tostring(now)
    rcall('HSET', roomKey, 'state', 'open', 'entries', 0, 'revealed', f.seed, 'openedAt', now, 'lastTick', now)
    return reply(false)
  end
  f.state = 'drawing'
  -- later arrivals take numbers after the pre-queue's, from now on
  rcall('HSET', roomKey, 'state', 'drawing', 'entries', entries, 'next', entries, 'drawLease', now + drawLeaseMs)
  return reply(true)
end
if f.state == 'drawing' then
  if num('drawLease') > now then return reply(false) end
  rcall('HSET', roomKey, 'drawLease', now + drawLeaseMs)
  return reply(true)
end

-- open: admit, once per tick interval whichever gateway comes first
local last = num('lastTick')
local elapsed = now - last
-- pending: admitted, window not over, no unit held or bought yet
rcall('ZREMRANGEBYSCORE', admKey, '-inf', now)
local inWindow = rcall('ZRANGE', admKey, 0, -1)
local pending = 0
for _, s in ipairs(inWindow) do
  local units = tonumber(rcall('HGET', perKey, s) or '0')
  if units == 0 then pending = pending + 1 end
end
pendingOut = pending
if elapsed < tickMs * 0.9 or f.paused == '1' then return reply(false) end

local outflow = num('outflow')
local credit = math.min(num('credit') + outflow * elapsed / 1000, math.max(outflow, 1))
local budget = math.floor(factor * (available + heldReturn * held)) - pending
local serving = num('serving')
local graceMs = num('graceMs')
local windowEnd = now + num('windowMs')
local admittedNow, abandonedNow = 0, 0
if budget > 0 and credit >= 1 then
  local front = rcall('ZRANGEBYSCORE', lineKey, '(' .. serving, '+inf', 'WITHSCORES', 'LIMIT', 0, maxScan)
  for i = 1, #front, 2 do
    if credit < 1 or budget <= 0 then break end
    local shopper, number = front[i], tonumber(front[i + 1])
    local seen = tonumber(rcall('ZSCORE', seenKey, shopper) or '0')
    rcall('ZREM', lineKey, shopper)
    if now - seen > graceMs then
      rcall('ZREM', seenKey, shopper)
      rcall('HDEL', whoKey, shopper)
      abandonedNow = abandonedNow + 1
    else
      rcall('ZADD', admKey, windowEnd, shopper)
      admittedNow = admittedNow + 1
      credit, budget = credit - 1, budget - 1
      pendingOut = pendingOut + 1
    end
    serving = number
  end
end
-- the measured outflow: admitted per second, smoothed over about the last 2 s
local rate = tonumber(f.rate or '0') or 0
local alpha = math.min(1, elapsed / 2000)
rate = rate + alpha * (admittedNow * 1000 / math.max(elapsed, 1) - rate)
f.serving, f.credit, f.lastTick, f.rate = tostring(serving), tostring(credit), tostring(now), string.format('%.3f', rate)
f.admitted, f.abandoned = tostring(num('admitted') + admittedNow), tostring(num('abandoned') + abandonedNow)
rcall('HSET', roomKey, 'serving', serving, 'credit', f.credit, 'lastTick', now, 'rate', f.rate,
  'admitted', f.admitted, 'abandoned', f.abandoned)
return reply(false)
