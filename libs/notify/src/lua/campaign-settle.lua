--[[
  Counts a stopped campaign's recipients not yet fed to the notify queue as refused
  (docs/notifications.md): after a cancel, or a fail (40037, 43116), none of them will be sent.

  KEYS:
    KEYS[1]  the campaign (`<prefix>:cmp:<id>`), a hash
  ARGV: none

  Answers how many recipients it counted refused (0 when the campaign runs, or was settled).

  One script: the count and the feed position move together, so a settle repeated by another
  worker counts nobody twice.
]]
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'cancelled' and status ~= 'failed' then return 0 end
local left = tonumber(redis.call('HGET', KEYS[1], 'total')) - tonumber(redis.call('HGET', KEYS[1], 'fed'))
if left <= 0 then return 0 end
redis.call('HINCRBY', KEYS[1], 'queued', -left)
redis.call('HINCRBY', KEYS[1], 'refused', left)
redis.call('HINCRBY', KEYS[1], 'fed', left)
return left
