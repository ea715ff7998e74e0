--[[
  passive: the worker asks what became of an offered reply.

  KEYS:
    KEYS[1]  the push hash (see passive-delivered.lua)
  ARGV:
    ARGV[1]  now, epoch ms
    ARGV[2]  send-after, epoch ms

  Answers 'answered' (a gateway took it), 'wait' (offered, not taken, before send-after), or 'send':
  nobody took it by send-after, or the hash is gone. With 'send' the state becomes sent (unless the
  hash is gone): the reply goes by the API, and no gateway may take it any more.

  One script: the other half of passive-take.lua's exclusion. Read apart, a gateway could take the
  reply between our read and our write, and the user would get it twice.
]]
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'taken' then return 'answered' end
if state == 'ready' and tonumber(ARGV[1]) < tonumber(ARGV[2]) then return 'wait' end
if state then redis.call('HSET', KEYS[1], 'state', 'sent') end
return 'send'
