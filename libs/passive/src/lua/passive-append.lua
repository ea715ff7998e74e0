--[[
  passive-only: the worker queues a push's replies in their recipients' outboxes, each reply once,
  marks the push handled and wakes the gateways holding those users' pushes.

  KEYS:
    KEYS[1]    the push hash (see passive-delivered.lua), which records each reply appended as a
               field `appended:<reply index>`; for another shard's push (ARGV[4] '0') the push's
               hash in this shard, which holds nothing but those fields
    then, per recipient, its outbox (list of `<expires at, epoch ms>|<reply JSON>`)
  ARGV:
    ARGV[1]    the push hash's ttl, ms
    ARGV[2]    an outbox's ttl, ms
    ARGV[3]    the channel gateways subscribe to
    ARGV[4]    '1': mark the push done; '0': another shard's push, whose own append marks it
    then, per recipient: its wake-up message, its entry count c, then c pairs, oldest first: the
    reply's index among its push's replies, its entry

  Answers how many entries it appended: 0 when a re-run of the push's job finds them all there.

  One script: a gateway's passive-assign.lua sees either nothing or every reply and `done`. Written
  apart, it could read `done` before the replies were there, answer `success`, and the reply
  would wait for the user's next push. And each entry goes in with its `appended:` field: a job run
  again (a worker killed after this script, before the job completed) skips what it appended
  before, instead of queueing a second copy, even when it died between two shards' appends. The
  fields live as long as the push hash, past the re-runs a crash causes (a takeover within 12 s).
]]
local at = 5
local appended = 0
for i = 2, #KEYS do
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
  if fresh > 0 then redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
  redis.call('PUBLISH', ARGV[3], wake)
  appended = appended + fresh
  at = at + 2 + 2 * count
end
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'done', 1) end
if appended > 0 or ARGV[4] == '1' then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return appended
