--[[
  Takes one send from the user's active grant that expires first (docs/quota.md).

  KEYS:
    KEYS[1]  the user's hash (see ledger-grant.lua)
    KEYS[2]  optional guard: a key of the user's own, in their slot (an earlier reply waiting in
             their lane)
  ARGV:
    ARGV[1]  now, epoch ms

  Answers { kind, until } of the grant it took from ('m' or 'e'), false when no window is open
  with sends left, or 'guarded' (taking nothing) when KEYS[2] is given and exists. Taking a send
  also ends any Typing shown (typing_until = 0).

  One script: check-and-decrement. Read apart, two workers could both see the last send and both
  spend it; and the guard is checked in the same step, so a reply that waits behind an earlier one
  never takes the send the earlier one needs.
]]
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then return 'guarded' end
local now = tonumber(ARGV[1])
local best, bestEnds = false, 0
for _, kind in ipairs({ 'm', 'e' }) do
  local left = tonumber(redis.call('HGET', KEYS[1], kind .. '_left') or '0')
  local ends = tonumber(redis.call('HGET', KEYS[1], kind .. '_until') or '0')
  if left > 0 and ends > now and (not best or ends < bestEnds) then best, bestEnds = kind, ends end
end
if best then
  redis.call('HINCRBY', KEYS[1], best .. '_left', -1)
  redis.call('HSET', KEYS[1], 'typing_until', 0)
  return { best, bestEnds }
end
return false
