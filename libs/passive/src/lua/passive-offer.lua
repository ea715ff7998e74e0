--[[
  passive: the worker offers the push's first reply, unless a gateway already answered `success`.

  KEYS:
    KEYS[1]  the push hash (see passive-delivered.lua)
  ARGV:
    ARGV[1]  the reply JSON, '' for none (the push is then closed)
    ARGV[2]  the hash's ttl, ms
    ARGV[3]  the channel gateways subscribe to
    ARGV[4]  the wake-up message (`push:<push job id>`)

  Answers 1 when it offered the reply (state ready), 0 when the push was past waiting (closed,
  taken or sent: nothing written, nobody woken) or there was no reply (state closed).

  One script: state check, write and wake-up together. Read apart, a gateway could close the push
  (passive-take.lua giving up) between our read and our write, and the push would be answered
  `success` and then offered a reply nobody takes; publishing inside means a woken gateway reads the
  new state.
]]
local state = redis.call('HGET', KEYS[1], 'state')
if state and state ~= 'waiting' then return 0 end
if ARGV[1] == '' then
  redis.call('HSET', KEYS[1], 'state', 'closed')
else
  redis.call('HSET', KEYS[1], 'state', 'ready', 'reply', ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
if ARGV[1] == '' then return 0 end
return 1
