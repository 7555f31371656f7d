--[[
  Removes the leader announcement (for the ops board) only if it is still the caller's: a
  newer leader's announcement stays.

  Input:
    KEYS[1] leader         STRING node id of the announced leader (SET PX, expires by itself)

    ARGV[1] the caller's node id

  Output: 1 removed, 0 not the caller's (or already gone)
]]
local rcall = redis.call
local leaderKey = KEYS[1]
if rcall('GET', leaderKey) ~= ARGV[1] then return 0 end
return rcall('DEL', leaderKey)
