--[[
  Decides a batch of grabs for ONE deal (one stock bucket of it: stock/buckets.ts), in arrival
  order, atomically.

  Input:
    KEYS[1] deal hash     HASH   config + counters (fields: see warm-deal-1.lua)
    KEYS[2] rids          HASH   "<shopper>:<rid>" -> first answer "code|hold|qty|expiresAt"
    KEYS[3] per-shopper   HASH   shopper -> units held + bought
    KEYS[4] holds         HASH   hold -> "shopper|qty|expiresAt|state|heldAt"
    KEYS[5] expiries      ZSET   one entry per batch that held anything: "<first seq>-<last seq>"
                                 of its holds, scored by their expiresAt (one for all)

    ARGV[1] deal id
    ARGV[2] n, the number of grabs
    ARGV[3] B, the number of buckets the caller routed the grabs by (1: not bucketed)
    ARGV[4] "1": a stock refusal is final (sold out, recorded as the rid's answer); "0": it is
            answered -7 (bucket dry) and not recorded, so the caller may move stock into the
            bucket from the others and send the grab again (B > 1 only)
    ARGV[5 + 3*(i-1)] shopper id, ARGV[6 + ...] qty, ARGV[7 + ...] rid   for i = 1..n

  Output: ONE string, fields separated by single spaces (a hold id never holds a space):
    "<now> <available> <code> <hold> <qty> <expiresAt> <code> <hold> ..."  (4 fields per grab,
    hold is the empty string for a refusal). One bulk string decodes far cheaper on the
    gateway than a RESP array of 2 + 4n values.
    code  1  held (new hold)
          2  held (repeated rid: the first answer again)
         -1  unknown deal (not warmed into Redis)
         -2  not open yet (judged by Redis TIME)
         -3  ended, stopped or cancelled
         -4  sold out
         -5  limit reached
         -6  invalid qty
         -7  this bucket is dry (ARGV[4] "0" only): not recorded, not counted
    When B differs from the bucket's `buckets` field (a caller that has not yet learned the
    deal's buckets) nothing is decided or written: the output is "B <buckets>".
    A repeated rid whose first answer was a refusal gets that refusal again, also when the
    repeat is in the same batch. A rid decided inside the window gets its first answer also
    outside it (a resend after the end): -2/-3 are only for rids never decided.

  Cost: reads are one HMGET for all rids (also outside the window) and one for all shoppers; writes are one multi-field
  HSET per hash for the whole batch (in chunks: Lua's unpack has a hard limit) and one ZADD,
  not one call per grab. Per-call overhead inside Redis was most of a grab's cost.

  Counters (when the deal hash exists; the ops board and /metrics read them, never a scan):
    KEYS[1] grabs          HINCRBY: every grab this script decided, repeats included (-7 not)
    KEYS[1] rej:<code>     HINCRBY: refusals by code (rej:-2 ... rej:-6), repeats included
    KEYS[1] node           on a cluster, the node that issued seq (CLUSTER MYID); another node
                           deciding first after a failover moves seq on by 1,000,000
    Malformed ARGV (count mismatch) is an error reply, raised before any write.
]]
local rcall = redis.call
local dealKey, ridsKey, perKey, holdsKey, expKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local dealId = ARGV[1]
local n = tonumber(ARGV[2])
local routedBuckets, final = tonumber(ARGV[3]), ARGV[4] == '1'
if n == nil or n < 1 or routedBuckets == nil or #ARGV ~= 4 + 3 * n then
  return redis.error_reply('ERR grab-batch: expected 4 + 3*n arguments')
end
-- grab i's arguments start at ARGV[A + 3*i]
local A = 2

-- at most this many arguments per Redis call made from here (an even number: pairs)
local CHUNK = 1000
local function write(cmd, key, list)
  for i = 1, #list, CHUNK do
    rcall(cmd, key, unpack(list, i, math.min(i + CHUNK - 1, #list)))
  end
end
local function hmget(key, fields)
  local res = {}
  for i = 1, #fields, CHUNK do
    local part = rcall('HMGET', key, unpack(fields, i, math.min(i + CHUNK - 1, #fields)))
    for j = 1, #part do res[#res + 1] = part[j] end
  end
  return res
end

local t = rcall('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local out = { now, 0 }
local f = rcall('HMGET', dealKey, 'available', 'held', 'limit', 'startsAt', 'endsAt', 'holdMs', 'status', 'seq', 'buckets', 'node')
local buckets = tonumber(f[9]) or 1
if f[1] ~= false and buckets ~= routedBuckets then return 'B ' .. buckets end
if f[1] == false then
  for i = 1, n do
    out[#out + 1] = -1; out[#out + 1] = ''; out[#out + 1] = 0; out[#out + 1] = 0
  end
  return table.concat(out, ' ')
end
local available, held = tonumber(f[1]), tonumber(f[2])
local limit, startsAt, endsAt = tonumber(f[3]), tonumber(f[4]), tonumber(f[5])
local holdMs, status, seq = tonumber(f[6]), f[7], tonumber(f[8])
-- A failover can promote a replica that missed the master's last holds: its seq is behind, and
-- the next grabs would be given the lost holds' ids (whose orders exist). The node id tells: on
-- the first batch a new node decides, seq jumps past anything the old node can have issued
-- unreplicated. (A single Redis answers CLUSTER with an error: nothing changes there.)
local node = redis.pcall('CLUSTER', 'MYID')
if type(node) == 'string' and node ~= f[10] then
  if f[10] then seq = seq + 1000000 end
  rcall('HSET', dealKey, 'node', node, 'seq', seq)
end
local expiresAt = now + holdMs
local windowCode = 0
if now < startsAt then windowCode = -2
elseif now >= endsAt or status ~= 'open' then windowCode = -3 end

-- a rid's recorded first answer, as this script's reply for it (a hold is "2": repeated)
local function repeatReply(prev)
  local c, h, q, e = string.match(prev, '^(-?%d+)|([^|]*)|(%d+)|(%d+)$')
  local code = tonumber(c)
  if code == 1 then code = 2; c = '2' end
  return code, c .. ' ' .. h .. ' ' .. q .. ' ' .. e
end

local ridKeys = {}
for i = 1, n do ridKeys[i] = ARGV[A + 3 * i] .. ':' .. ARGV[A + 3 * i + 2] end
-- one read for every rid in the batch
local prevs = hmget(ridsKey, ridKeys)

local rejected = {}
if windowCode ~= 0 then
  -- Outside the window nothing is recorded (the same rid may succeed once the deal opens), but a
  -- rid decided inside it keeps its first answer: a resend after the end (a shopper whose socket
  -- died with the answer) must not read `ended` for a unit held for them.
  local refused = 0
  for i = 1, n do
    local prev = prevs[i]
    if prev then
      local code, reply = repeatReply(prev)
      if code < 0 then rejected[code] = (rejected[code] or 0) + 1 end
      out[#out + 1] = reply
    else
      refused = refused + 1
      out[#out + 1] = windowCode; out[#out + 1] = ''; out[#out + 1] = 0; out[#out + 1] = 0
    end
  end
  if refused > 0 then rejected[windowCode] = (rejected[windowCode] or 0) + refused end
else
  -- one read for every shopper in the batch
  local shoppers, seenShopper = {}, {}
  for i = 1, n do
    local shopper = ARGV[A + 3 * i]
    if not seenShopper[shopper] then
      seenShopper[shopper] = true
      shoppers[#shoppers + 1] = shopper
    end
  end
  local haveList = hmget(perKey, shoppers)
  local have = {}
  for i = 1, #shoppers do have[shoppers[i]] = tonumber(haveList[i] or '0') end

  -- Numbers become text once per batch, not per grab: every number Lua concatenates or passes
  -- to redis.call is formatted by sprintf, and a grab used to format its expiresAt four times.
  local expText, nowText = tostring(expiresAt), tostring(now)
  local intText = {}
  local function textOf(q)   -- small integers: quantities and codes
    local t = intText[q]
    if not t then t = tostring(q); intText[q] = t end
    return t
  end

  local answered = {}   -- ridKey -> answer recorded earlier in this batch
  local dry = 0         -- grabs answered -7: neither decided nor counted
  local ridPairs, holdPairs, perDirty = {}, {}, {}
  local firstSeq = seq + 1   -- this batch's holds are seqs firstSeq .. seq
  for i = 1, n do
    local shopper, qtyRaw, ridKey = ARGV[A + 3 * i], ARGV[A + 3 * i + 1], ridKeys[i]
    local code, answer, reply = 0, nil, nil
    local prev = answered[ridKey] or prevs[i]
    if prev then
      code, reply = repeatReply(prev)
    else
      local qty = tonumber(qtyRaw)
      if qty == nil or qty < 1 or qty ~= math.floor(qty) then
        code = -6
      elseif have[shopper] + qty > limit then
        code = -5
      elseif available < qty then
        code = final and -4 or -7
      else
        seq = seq + 1
        local hold = dealId .. '-' .. seq
        local q = textOf(qty)
        available = available - qty
        held = held + qty
        code = 1
        have[shopper] = have[shopper] + qty
        perDirty[#perDirty + 1] = shopper
        holdPairs[#holdPairs + 1] = hold
        holdPairs[#holdPairs + 1] = shopper .. '|' .. q .. '|' .. expText .. '|held|' .. nowText
        answer = '1|' .. hold .. '|' .. q .. '|' .. expText
        reply = '1 ' .. hold .. ' ' .. q .. ' ' .. expText
      end
      if code < 0 then
        local c = textOf(code)
        answer = c .. '||0|0'
        reply = c .. '  0 0'
      end
      if code == -7 then
        dry = dry + 1
      elseif code ~= -6 then
        answered[ridKey] = answer
        ridPairs[#ridPairs + 1] = ridKey
        ridPairs[#ridPairs + 1] = answer
      end
    end
    if code < 0 and code ~= -7 then rejected[code] = (rejected[code] or 0) + 1 end
    out[#out + 1] = reply
  end
  n = n - dry

  if #ridPairs > 0 then write('HSET', ridsKey, ridPairs) end
  if #holdPairs > 0 then
    write('HSET', holdsKey, holdPairs)
    -- The expiry index is the reconciler's safety net for lost expiry jobs (BullMQ's delayed
    -- jobs do the expiring). One entry per batch, not per hold: its holds expire together, and
    -- a ZADD per hold was a fifth of this script's cost. Paid and released holds stay inside
    -- their entry; StockStore.dueHolds skips them and drops an entry once none is held.
    rcall('ZADD', expKey, expText, firstSeq .. '-' .. seq)
    -- a shopper's final count once, however many holds the batch gave them
    local perPairs, done = {}, {}
    for i = 1, #perDirty do
      local s = perDirty[i]
      if not done[s] then
        done[s] = true
        perPairs[#perPairs + 1] = s
        perPairs[#perPairs + 1] = have[s]
      end
    end
    write('HSET', perKey, perPairs)
    rcall('HSET', dealKey, 'available', available, 'held', held, 'seq', seq)
  end
end
-- one HINCRBY per code per batch, not per grab
if n > 0 then rcall('HINCRBY', dealKey, 'grabs', n) end
for c, k in pairs(rejected) do rcall('HINCRBY', dealKey, 'rej:' .. c, k) end
out[2] = available
return table.concat(out, ' ')
