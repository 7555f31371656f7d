--[[
  Re-creates one stock bucket of a deal whose hash Redis lost (a flush, or a failover to a replica
  that never had it) from what Postgres records, atomically, and only while the hash is missing:
  a bucket that exists (never lost, or restored by a racing caller) is left as it is. While the
  hash is missing no other script writes the bucket (grabs answer unknown_deal, payments and
  expiries unknown_hold, moves -1), so nothing is lost between the caller's reads and this call.

  Input:
    KEYS[1] deal hash     HASH   config + counters (fields: see warm-deal-1.lua)
    KEYS[2] per-shopper   HASH   shopper -> units held + bought
    KEYS[3] holds         HASH   hold -> "shopper|qty|expiresAt|state|heldAt"
    KEYS[4] expiries      ZSET   expiry index entries "<first seq>-<last seq>" (see grab-batch-5.lua)
    KEYS[5] moves out     HASH   the bucket's move journals (stock-moves.ts): emptied. The caller
    KEYS[6] moves in      HASH   counted a move into this bucket that a donor still has open as
                                 in flight, so recovery must credit it here once more; a move out
                                 of it whose journal is lost is back in its stock

    ARGV[1..12] as warm-deal-1.lua: deal id, festival id, the deal's stock (total), limit,
                hold ms, startsAt, endsAt, unit price, currency, status, bucket b, buckets B
    ARGV[13] the bucket's stock: its sold + held + the available units the caller gives it
    ARGV[14] seq floor: the highest hold seq Postgres has of this bucket, or seqBase(b, B)
    ARGV[15] "1": Postgres has orders of this bucket (any status)
    ARGV[16] seq gap, ARGV[17] seqs per ms: when ARGV[15] is "1" or the window has opened
             (Redis TIME >= startsAt), seq = floor + gap + seqs per ms x (min(TIME, endsAt) - startsAt).
             Holds the lost hash gave whose orders are not written yet (still in the admission
             queue) have seqs above the floor, and their ids must not be given again: the gap
             covers those of the first incarnation, and the time term those a restored bucket
             gave before it was lost again (one master issues fewer holds per ms than that), so
             a second restore with no new order in Postgres still starts past them. A deal that
             never opened and has no orders starts at the floor, as warmed.
    ARGV[18] the first seq past the bucket's span (stock/keys.ts): a seq there would name
             another bucket. Past it with the time term, the gap alone is added (a deal open for
             days); past it with the gap alone, the call is refused (an error reply, nothing
             written)
    ARGV[19] the bucket's new epoch, above any it had: a move it took before it was lost carries
             the old one, and the surviving buckets were fenced against it (fence-moves-1.lua)
    ARGV[20] m, then m pairs: bucket, epoch: the other buckets restored with this one, whose
             old moves into this bucket must not be credited here either (fence:<bucket>)
    then n, the number of holds; then 6 per hold: hold id, shopper, qty, expiresAt ms, heldAt ms,
             state: held (a pending order) | paid (a paid order)

  Writes (the bucket's per-shopper, holds, expiry and journal keys are replaced: they cannot hold more
  than the lost instant's leftovers, which Postgres supersedes; the rids hash is kept as it is):
    KEYS[1] config as warm-deal; total bucket buckets stock moving=0 held sold available seq epoch,
            node (CLUSTER MYID, so grab-batch-5.lua does not move seq on again), and restoredAt
            (Redis TIME, for ops) unless the bucket is simply new (no hold, no seq gap)
    KEYS[2] each shopper's held + paid units      KEYS[3] one record per hold
    KEYS[4] one entry "<seq>-<seq>" per held hold, scored by its expiresAt: reconcile finds it
            due there if its expiry job has gone meanwhile

  Output: { 1 restored | 0 the bucket exists (nothing written), held, sold, available, seq }
  Error reply on bad arguments, a stock below sold + held or a seq past the span, before any write.
  Cost: O(holds), one call: a bucket's live holds are at most about twice its stock.
]]
local rcall = redis.call
local dealKey, perKey, holdsKey, expKey, outKey, inKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local m = tonumber(ARGV[20])
if m == nil or m < 0 or m ~= math.floor(m) or #ARGV < 21 + 2 * m then
  return redis.error_reply('ERR restore-bucket: expected m fence pairs')
end
-- the holds start after n
local H = 22 + 2 * m
local n = tonumber(ARGV[H - 1])
if n == nil or n < 0 or #ARGV ~= H - 1 + 6 * n then
  return redis.error_reply('ERR restore-bucket: expected 21 + 2*m + 6*n arguments')
end
local fences = {}
for j = 0, m - 1 do
  local b, e = tonumber(ARGV[21 + 2 * j]), tonumber(ARGV[22 + 2 * j])
  if b == nil or e == nil then return redis.error_reply('ERR restore-bucket: bad fence pair') end
  fences[#fences + 1] = 'fence:' .. ARGV[21 + 2 * j]
  fences[#fences + 1] = e
end
for _, i in ipairs({ 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 16, 17, 18, 19 }) do
  local v = tonumber(ARGV[i])
  if v == nil or v ~= math.floor(v) or v < 0 then
    return redis.error_reply('ERR restore-bucket: argument ' .. i .. ' must be a non-negative integer')
  end
end
local status = ARGV[10]
if status ~= 'open' and status ~= 'stopped' and status ~= 'cancelled' then
  return redis.error_reply('ERR restore-bucket: status must be open, stopped or cancelled')
end
local bucketStock, floor, gap, perMs, ceiling = tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[16]),
  tonumber(ARGV[17]), tonumber(ARGV[18])
local startsAt = tonumber(ARGV[6])

-- parse and check every hold before writing anything
local held, sold, maxSeq = 0, 0, floor
local holdPairs, expPairs, have, shoppers = {}, {}, {}, {}
for i = 0, n - 1 do
  local at = H + 6 * i
  local hold, shopper, qty, exp, heldAt, state = ARGV[at], ARGV[at + 1], tonumber(ARGV[at + 2]),
    tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4]), ARGV[at + 5]
  local seq = tonumber(string.match(hold, '^%d+%-(%d+)$') or '')
  if seq == nil or qty == nil or qty < 1 or exp == nil or heldAt == nil or (state ~= 'held' and state ~= 'paid') then
    return redis.error_reply('ERR restore-bucket: bad hold ' .. tostring(hold))
  end
  if state == 'held' then
    held = held + qty
    expPairs[#expPairs + 1] = exp
    expPairs[#expPairs + 1] = seq .. '-' .. seq
  else
    sold = sold + qty
  end
  if seq > maxSeq then maxSeq = seq end
  holdPairs[#holdPairs + 1] = hold
  holdPairs[#holdPairs + 1] = shopper .. '|' .. qty .. '|' .. exp .. '|' .. state .. '|' .. heldAt
  if not have[shopper] then have[shopper] = 0; shoppers[#shoppers + 1] = shopper end
  have[shopper] = have[shopper] + qty
end
if bucketStock < held + sold then
  return redis.error_reply('ERR restore-bucket: stock ' .. bucketStock .. ' below sold ' .. sold .. ' + held ' .. held)
end

if rcall('HEXISTS', dealKey, 'available') == 1 then return { 0, 0, 0, 0, 0 } end

local t = rcall('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local seq = maxSeq
if ARGV[15] == '1' or now >= startsAt then
  -- no hold is given after endsAt: the term stops growing there
  seq = maxSeq + gap + perMs * math.max(0, math.min(now, tonumber(ARGV[7])) - startsAt)
  -- a deal open for many days: the time term would leave the span; keep the gap alone
  if seq >= ceiling then seq = maxSeq + gap end
end
if seq >= ceiling then
  return redis.error_reply('ERR restore-bucket: seq ' .. seq .. ' would leave the bucket\'s span')
end
local available = bucketStock - held - sold

local CHUNK = 1000
local function write(cmd, key, list)
  for i = 1, #list, CHUNK do
    rcall(cmd, key, unpack(list, i, math.min(i + CHUNK - 1, #list)))
  end
end

rcall('DEL', perKey, holdsKey, expKey, outKey, inKey)
rcall('DEL', dealKey)
rcall('HSET', dealKey, 'id', ARGV[1], 'festival', ARGV[2], 'limit', ARGV[4], 'holdMs', ARGV[5],
  'startsAt', ARGV[6], 'endsAt', ARGV[7], 'price', ARGV[8], 'currency', ARGV[9], 'status', status,
  'total', ARGV[3], 'bucket', ARGV[11], 'buckets', ARGV[12], 'stock', bucketStock,
  'available', available, 'held', held, 'sold', sold, 'moving', 0, 'seq', seq, 'epoch', ARGV[19])
if n > 0 or seq ~= maxSeq then rcall('HSET', dealKey, 'restoredAt', now) end
if #fences > 0 then rcall('HSET', dealKey, unpack(fences)) end
local node = redis.pcall('CLUSTER', 'MYID')
if type(node) == 'string' then rcall('HSET', dealKey, 'node', node) end
write('HSET', holdsKey, holdPairs)
write('ZADD', expKey, expPairs)
local perPairs = {}
for _, s in ipairs(shoppers) do
  perPairs[#perPairs + 1] = s
  perPairs[#perPairs + 1] = have[s]
end
write('HSET', perKey, perPairs)
return { 1, held, sold, available, seq }
