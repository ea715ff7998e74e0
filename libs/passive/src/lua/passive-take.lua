--[[
  passive: a gateway takes the push's offered reply; giving up, it closes a push with none yet.

  KEYS:
    KEYS[1]  the push hash (see passive-delivered.lua)
  ARGV:
    ARGV[1]  '1' to give up (answer `success`) when no reply is there
    ARGV[2]  the hash's ttl, ms (set when it closes)

  Answers { state, reply }: { 'taken', reply JSON } for a ready (or already taken: the answer may
  not have arrived) reply; { 'closed', false } when it gave up on a waiting (or absent) push;
  otherwise { state or 'waiting', false }.

  One script: "answered passively" and "sent by the API" exclude each other. Read apart, the worker
  could mark the reply sent (passive-settle.lua) between our read and our write, and the user would
  get it twice.
]]
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'ready' or state == 'taken' then
  redis.call('HSET', KEYS[1], 'state', 'taken')
  return { 'taken', redis.call('HGET', KEYS[1], 'reply') }
end
if ARGV[1] == '1' and (not state or state == 'waiting') then
  redis.call('HSET', KEYS[1], 'state', 'closed')
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return { 'closed', false }
end
return { state or 'waiting', false }
