--[[
  The statuses of a batch of notification records (docs/notifications.md), in one call: what a
  notify-batch job looks at before it sends any of them.

  KEYS:
    KEYS[1..n]  the records (`<prefix>:ntf:<id>`), hashes
  ARGV: none

  Answers each record's status in KEYS order, false for a record that is not there.

  A script, not n HGETs: one command for the batch on the client too, where each command costs
  more than its work in Redis.
]]
local statuses = {}
for i, key in ipairs(KEYS) do
  statuses[i] = redis.call('HGET', key, 'status')
end
return statuses
