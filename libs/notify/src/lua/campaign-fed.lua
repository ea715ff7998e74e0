--[[
  Moves a campaign's feed position on to ARGV[1], never back (docs/notifications.md), whatever
  its status: recipients fed just as the campaign was cancelled have records and jobs, which
  refuse them one by one, so the settle (campaign-settle.lua) must not count them again.

  KEYS:
    KEYS[1]  the campaign (`<prefix>:cmp:<id>`), a hash
  ARGV:
    ARGV[1]  how many recipients are fed now

  Answers 1 when it moved the position, 0 when it was there or further (a feeder whose lock ran
  out behind one that fed further).

  One script: compare and set with nothing in between.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'fed')) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'fed', ARGV[1])
return 1
