--[[
  Opens (or replaces) one kind of window in a user's quota hash (docs/quota.md). The hash holds,
  per kind (m = message, e = event), `<kind>_left` (sends left), `<kind>_until` (epoch ms) and
  `<kind>_src` (the push that granted it); and `last` (the last interaction) and `typing_until`.

  KEYS:
    KEYS[1]  the user's hash (`<prefix>:quota:<appid>:<openid>`)
  ARGV:
    ARGV[1]  kind: 'm' or 'e'
    ARGV[2]  sends
    ARGV[3]  until, epoch ms
    ARGV[4]  the push's creation time, epoch ms (raises `last`)
    ARGV[5]  the hash's ttl, ms
    ARGV[6]  the push id (its dedup key)

  Replaces the kind's grant unless the same push granted it (a handler re-run keeps what was spent)
  or a newer window is there (a push handled late does not reopen it). Answers
  { m_left, m_until, e_left, e_until } after the call (nil for a field not set).

  One script: the grant is read and replaced with nothing in between, like every ledger change, so
  workers on many machines never spend one send twice: read apart, a send taken between our read
  and our write would be given back by the write.
]]
local ends = tonumber(ARGV[3])
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1] .. '_until') or '0')
if current <= ends and redis.call('HGET', KEYS[1], ARGV[1] .. '_src') ~= ARGV[6] then
  redis.call('HSET', KEYS[1], ARGV[1] .. '_left', ARGV[2], ARGV[1] .. '_until', ends, ARGV[1] .. '_src', ARGV[6])
end
if tonumber(redis.call('HGET', KEYS[1], 'last') or '0') < tonumber(ARGV[4]) then redis.call('HSET', KEYS[1], 'last', ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return redis.call('HMGET', KEYS[1], 'm_left', 'm_until', 'e_left', 'e_until')
