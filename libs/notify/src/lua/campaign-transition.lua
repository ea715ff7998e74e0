--[[
  Moves a campaign to another status if it is in one the move starts from (docs/notifications.md):
  pause (running -> paused), resume (paused -> running), cancel (running, paused -> cancelled),
  fail (running, paused -> failed, with the errcode that ended it).

  KEYS:
    KEYS[1]  the campaign (`<prefix>:cmp:<id>`), a hash
  ARGV:
    ARGV[1]  the new status
    ARGV[2]  how many statuses it starts from, n
    ARGV[3..2+n] those statuses
    ARGV[3+n..] field, value, ...: what else the move writes (reason)

  Answers {1, the new status} when it moved, {0, the current status} when it did not, false
  without a campaign.

  One script: read and write with nothing in between, so a cancel and a worker's fail (40037)
  racing each other leave one of them, never a cancelled campaign turned failed.
]]
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return false end
local n = tonumber(ARGV[2])
for i = 3, 2 + n do
  if ARGV[i] == current then
    redis.call('HSET', KEYS[1], 'status', ARGV[1], unpack(ARGV, 3 + n))
    return { 1, ARGV[1] }
  end
end
return { 0, current }
