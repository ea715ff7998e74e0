--[[
  Creates a campaign from recipients pushed to a list of its own (docs/notifications.md), unless
  the campaign exists.

  KEYS:
    KEYS[1]  the campaign (`<prefix>:cmp:<id>`), a hash
    KEYS[2]  its recipients (`<prefix>:cmp_to:<id>`), a list
    KEYS[3]  the list this request pushed them to
    KEYS[4]  the campaigns index (`<prefix>:cmps`), a sorted set by creation time
  ARGV:
    ARGV[1]  the ttl of the campaign and its recipients, ms
    ARGV[2]  now, epoch ms (the index score); index entries older than ARGV[1] are dropped
    ARGV[3..] field, value, ...: the campaign

  Answers 1 when it created the campaign, 0 when it existed (the pushed list is dropped).

  One script: two requests with one Idempotency-Key racing each other each pushed their list;
  only one becomes the campaign's, whole, and the other is dropped, never appended to it.
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('DEL', KEYS[3])
  return 0
end
redis.call('RENAME', KEYS[3], KEYS[2])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[2], string.match(KEYS[1], 'cmp:(.*)$'))
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[1]))
return 1
