--[[
  passive-only: the worker queues a push's replies in their recipients' outboxes, each reply once,
  keeps each outbox to its newest ARGV[5] entries, marks the push handled and wakes the gateways
  holding those users' pushes.

  KEYS:
    KEYS[1]    the push hash (see passive-delivered.lua), which records each reply appended as a
               field `appended:<reply index>`; for another shard's push (ARGV[4] '0') the push's
               hash in this shard, which holds nothing but those fields
    KEYS[2]    the account's counters hash in this shard: `pending_overflow` counts the live entries
               dropped over the cap, `pending_expired` those already expired (or malformed), as
               passive-assign.lua counts them
    then, per recipient, its outbox (list of `<expires at, epoch ms>|<reply JSON>`)
  ARGV:
    ARGV[1]    the push hash's ttl, ms
    ARGV[2]    an outbox's ttl, ms
    ARGV[3]    the channel gateways subscribe to
    ARGV[4]    '1': mark the push done; '0': another shard's push, whose own append marks it
    ARGV[5]    the most entries an outbox keeps (WXQ_PENDING_REPLIES_MAX)
    ARGV[6]    now, epoch ms
    then, per recipient: its wake-up message, its entry count c, then c pairs, oldest first: the
    reply's index among its push's replies, its entry

  Answers how many entries it appended: 0 when a re-run of the push's job finds them all there.

  One script: a gateway's passive-assign.lua sees either nothing or every reply and `done`. Written
  apart, it could read `done` before the replies were there, answer `success`, and the reply
  would wait for the user's next push. Each entry goes in with its `appended:` field: a job run
  again (a worker killed after this script, before the job completed) skips what it appended
  before, instead of queueing a second copy, even when it died between two shards' appends. The
  fields live as long as the push hash, past the re-runs a crash causes (a takeover within 12 s).
  And the cap is applied where the list grows, so no outbox is ever seen longer than it, and what
  it drops is counted with the same writes.
]]
local at = 7
local max, now = tonumber(ARGV[5]), tonumber(ARGV[6])
local appended = 0
for i = 3, #KEYS do
  local wake, count = ARGV[at], tonumber(ARGV[at + 1])
  local fresh = 0
  for k = 1, count do
    local mark = 'appended:' .. ARGV[at + 2 * k]
    if redis.call('HEXISTS', KEYS[1], mark) == 0 then
      redis.call('RPUSH', KEYS[i], ARGV[at + 1 + 2 * k])
      redis.call('HSET', KEYS[1], mark, 1)
      fresh = fresh + 1
    end
  end
  if fresh > 0 then
    local over = redis.call('LLEN', KEYS[i]) - max
    if over > 0 then
      -- The oldest go: they answer what the user said longest ago.
      local overflow, expired = 0, 0
      for _, entry in ipairs(redis.call('LRANGE', KEYS[i], 0, over - 1)) do
        local expiresAt = tonumber(string.match(entry, '^(%d+)|') or '')
        if expiresAt and expiresAt > now then overflow = overflow + 1 else expired = expired + 1 end
      end
      redis.call('LTRIM', KEYS[i], over, -1)
      if overflow > 0 then redis.call('HINCRBY', KEYS[2], 'pending_overflow', overflow) end
      if expired > 0 then redis.call('HINCRBY', KEYS[2], 'pending_expired', expired) end
    end
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
  end
  redis.call('PUBLISH', ARGV[3], wake)
  appended = appended + fresh
  at = at + 2 + 2 * count
end
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'done', 1) end
if appended > 0 or ARGV[4] == '1' then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return appended
