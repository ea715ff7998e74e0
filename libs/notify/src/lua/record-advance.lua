--[[
  Moves a notification's record on to a later status, and only on (docs/notifications.md):
  queued (0) -> sent (1) -> delivered, failed or refused (2). A campaign recipient's move is
  counted in its campaign, which is done once none of its recipients is queued.

  KEYS:
    KEYS[1]  the record (`<prefix>:ntf:<id>`), a hash
    KEYS[2]  optional: its campaign (`<prefix>:cmp:<id>`), a hash with a count per status
  ARGV:
    ARGV[1]  the new status
    ARGV[2]  the record's ttl, ms (renewed with the change; the campaign's too)
    ARGV[3..] field, value, ...: what else the change writes (errcode, reason, msgid)

  Answers the record's status after the call: the new one when it moved, the current one when it
  was at the same stage or later (nothing written), false when there is no record.

  One script: read the stage and write the next with nothing in between. A delivery report and a
  worker re-running after a crash race each other; read apart, a late `sent` could overwrite
  `delivered`, and a campaign's counts would count one recipient twice.
]]
local rank = { queued = 0, sent = 1, delivered = 2, failed = 2, refused = 2 }
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return false end
if (rank[ARGV[1]] or -1) <= (rank[current] or 3) then return current end
redis.call('HSET', KEYS[1], 'status', ARGV[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HINCRBY', KEYS[2], current, -1)
  redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
  local status = redis.call('HGET', KEYS[2], 'status')
  if tonumber(redis.call('HGET', KEYS[2], 'queued')) <= 0 and (status == 'running' or status == 'paused') then
    redis.call('HSET', KEYS[2], 'status', 'done')
  end
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return ARGV[1]
