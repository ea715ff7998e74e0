--[[
  A gateway counts one WeChat delivery of a push (docs/passive-replies.md). The push hash holds
  `deliveries`, `state` (waiting -> ready -> taken | sent, or closed), `reply` and `done`.

  KEYS:
    KEYS[1]  the push hash (`<prefix>:passive:<push job id>`)
  ARGV:
    ARGV[1]  the hash's ttl, ms

  Answers the delivery count after this one.

  One script: the count and the hash's expiry land together, so a hash the first delivery creates
  never stays without a ttl after a dropped connection.
]]
local n = redis.call('HINCRBY', KEYS[1], 'deliveries', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n
