--[[
  Repairs a lane whose head job is gone: removes ARGV[1] only while it is still the head.

  KEYS:
    KEYS[1]  the lane (sorted set)
  ARGV:
    ARGV[1]  the job id the caller found dead at the head

  Answers 1 when it removed it, 0 when the head is another member (or the lane is empty).

  One script: compare-and-remove. The caller judged the head dead a few round trips ago; if it is
  no longer the head (it left meanwhile and the lane moved on), nothing is removed, so a repair
  only ever drops the head it looked at.
]]
local head = redis.call('ZRANGE', KEYS[1], 0, 0)
if head[1] == ARGV[1] then redis.call('ZREM', KEYS[1], ARGV[1]) return 1 end
return 0
