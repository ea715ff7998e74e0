--[[
  passive-only: the worker queues replies in their recipients' outboxes, marks the push handled and
  wakes the gateways holding those users' pushes.

  KEYS:
    KEYS[1]    the push hash, when ARGV[4] is '1' (see passive-delivered.lua)
    then, per recipient, its outbox (list of `<expires at, epoch ms>|<reply JSON>`)
  ARGV:
    ARGV[1]    the push hash's ttl, ms
    ARGV[2]    an outbox's ttl, ms
    ARGV[3]    the channel gateways subscribe to
    ARGV[4]    '1': KEYS[1] is the push hash; '0': no push to mark (another shard's push)
    then, per recipient: its wake-up message, its entry count c, its c entries, oldest first

  Answers 1.

  One script: a gateway's passive-assign.lua sees either nothing or every reply and `done`. Written
  apart, it could read `done` before the replies were there, answer `success`, and the reply
  would wait for the user's next push.
]]
local at = 5
local push = ARGV[4] == '1'
for i = push and 2 or 1, #KEYS do
  local wake, count = ARGV[at], tonumber(ARGV[at + 1])
  for k = 1, count do redis.call('RPUSH', KEYS[i], ARGV[at + 1 + k]) end
  if count > 0 then redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
  redis.call('PUBLISH', ARGV[3], wake)
  at = at + 2 + count
end
if push then
  redis.call('HSET', KEYS[1], 'done', 1)
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return 1
