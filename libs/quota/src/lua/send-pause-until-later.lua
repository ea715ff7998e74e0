--[[
  Pauses an account's sends until ARGV[1] unless a pause at least as long is there (a 45009 after
  a 45011 extends it; an operator's pause, UNTIL_RESUMED, is never shortened). docs/quota.md.

  KEYS:
    KEYS[1]  the account's pause key (`<prefix>:pause:<appid>`): the until-time, epoch ms, as a string
  ARGV:
    ARGV[1]  until, epoch ms
    ARGV[2]  the key's ttl, ms (until - now)

  Answers 1 when it set the pause, 0 when a longer or equal one was there.

  One script: compare-and-set. Two workers hitting 45011 and 45009 at once would, read apart, let
  the shorter pause overwrite the longer one; and only the worker that gets 1 logs, so a pause is
  logged once across workers.
]]
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
