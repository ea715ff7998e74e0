--[[
  Enters members into their lanes before their jobs are added (docs/ordering.md).

  KEYS, a pair per member n = 1, 2, ...:
    KEYS[2n-1]  the member's lane: a sorted set of job ids scored by their place in the conversation
    KEYS[2n]    the member's job hash (queue.toKey(job id))
  ARGV:
    ARGV[1]     ttl of every lane touched, ms
    ARGV[2n]    the n-th member's score
    ARGV[2n+1]  the n-th member's job id

  Answers, per member, 1 when its job already existed, else 0. Such a member is not added: it ran
  or runs (a WeChat retry of a push handled long ago, a re-run's replies already sent). One already
  in its lane keeps its place (ZADD NX), and none goes below the head its lane had before the call,
  which may be running (it goes 1/4096 above it); members of one lane keep their scores' order.
  Every key shares the queue's hash tag: one slot on a Cluster.

  One script: every head is read and every member added with nothing in between. Read apart, a head
  could leave (lane-leave.lua) and hand the turn to the next job after our read, and a member
  scored below that new head would be its head too: two jobs of one user running at once.
]]
local floors = {}
for i = 1, #KEYS, 2 do
  if floors[KEYS[i]] == nil then
    local head = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    floors[KEYS[i]] = head[2] and tonumber(head[2]) or false
  end
end
local existed = {}
for i = 1, #KEYS, 2 do
  local n = (i + 1) / 2
  existed[n] = redis.call('EXISTS', KEYS[i + 1])
  if existed[n] == 0 then
    local score = tonumber(ARGV[2 * n])
    local floor = floors[KEYS[i]]
    if floor and score < floor then score = floor + 1 / 4096 end
    redis.call('ZADD', KEYS[i], 'NX', score, ARGV[2 * n + 1])
  end
end
for lane in pairs(floors) do redis.call('PEXPIRE', lane, ARGV[1]) end
return existed
