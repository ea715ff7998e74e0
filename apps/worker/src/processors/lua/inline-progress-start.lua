--[[
  A push's job starts sending its replies inline: writes its reply plan and zero sends, unless an
  earlier run of the same push wrote its own.

  KEYS:
    KEYS[1]  the push's inline progress (hash: plan, sent)
  ARGV:
    ARGV[1]  the plan: the replies, as JSON
    ARGV[2]  the progress's ttl, ms

  Answers the earlier run's progress (HGETALL's field, value list) and writes nothing; or an empty
  list when this run wrote the plan.

  One script: the check and the write land together. Two runs of one push (a worker presumed dead
  whose job another took over) could otherwise both find no plan and both send every reply; with
  it, the second run sends nothing inline and hands on only what the first did not count as sent.
]]
local progress = redis.call('HGETALL', KEYS[1])
if #progress > 0 then return progress end
redis.call('HSET', KEYS[1], 'plan', ARGV[1], 'sent', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {}
