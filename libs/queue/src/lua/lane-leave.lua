--[[
  A job leaves its lane: removes it, marks at which attempt and how, and answers the next head.

  KEYS:
    KEYS[1]  the lane (sorted set)
    KEYS[2]  the job's "left" marker
  ARGV:
    ARGV[1]  job id
    ARGV[2]  attemptsMade
    ARGV[3]  outcome: 'done' or 'failed'
    ARGV[4]  marker ttl, ms

  Answers the lane's new head (the job to wake), or false when the lane is empty (Redis then
  deletes it).

  One script: the removal and the marker land together. A crash between them would leave a job
  out of its lane with no marker, and lane-turn.lua would let its recovered attempt join again and
  run a second time; the head answered is the one right after the removal, so the hand-over goes to
  the job that now holds the turn.
]]
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2] .. ':' .. ARGV[3], 'PX', ARGV[4])
local head = redis.call('ZRANGE', KEYS[1], 0, 0)
return head[1] or false
