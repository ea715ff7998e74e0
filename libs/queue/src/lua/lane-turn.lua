--[[
  Whether a job may run: it looks at its lane, and joins it when it is not there.

  KEYS:
    KEYS[1]  the lane (sorted set)
    KEYS[2]  the job's "left" marker (string `<attemptsMade>:<outcome>`, written by lane-leave.lua)
  ARGV:
    ARGV[1]  job id
    ARGV[2]  its score
    ARGV[3]  lane ttl, ms (set when the job joins)
    ARGV[4]  the job's attemptsMade

  Answers { head, headScore, state, marker }, state 'member', 'joined' or 'left':
    - 'left', { false, false, 'left', marker }: the job is not in its lane and left it at this very
      attempt (its marker says so): it crashed between leaving and completing.
    - 'joined': any other job not in its lane joins it (below no head: 1/4096 above it): an
      operator's retry of a failed job, or a job its producer did not order (WXQ_ORDERING=off).
    - 'member': it was there. For both, head and headScore are the lane's lowest member after the
      call, marker false.

  One script: membership, marker and head are read and the join written with nothing in between.
  Read apart, a job could find itself missing just before its own leave wrote the marker and join
  again (running twice), or join below a head that took the turn meanwhile (two heads at once).
]]
local state = 'member'
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  local marker = redis.call('GET', KEYS[2])
  if marker and marker:match('^[^:]*') == ARGV[4] then
    return { false, false, 'left', marker }
  end
  local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local score = tonumber(ARGV[2])
  if head[2] and score < tonumber(head[2]) then score = tonumber(head[2]) + 1 / 4096 end
  redis.call('ZADD', KEYS[1], score, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  state = 'joined'
end
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return { head[1] or false, head[2] or false, state, false }
