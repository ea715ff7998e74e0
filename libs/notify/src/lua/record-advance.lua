--[[
  Moves a notification's record on to a later status, and only on (docs/notifications.md):
  queued (0) -> sent (1) -> delivered, failed or refused (2).

  KEYS:
    KEYS[1]  the record (`<prefix>:ntf:<id>`), a hash
  ARGV:
    ARGV[1]  the new status
    ARGV[2]  the record's ttl, ms (renewed with the change)
    ARGV[3..] field, value, ...: what else the change writes (errcode, reason, msgid)

  Answers the record's status after the call: the new one when it moved, the current one when it
  was at the same stage or later (nothing written), false when there is no record.

  One script: read the stage and write the next with nothing in between. A delivery report and a
  worker re-running after a crash race each other; read apart, a late `sent` could overwrite
  `delivered`.
]]
local rank = { queued = 0, sent = 1, delivered = 2, failed = 2, refused = 2 }
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return false end
if (rank[ARGV[1]] or -1) <= (rank[current] or 3) then return current end
redis.call('HSET', KEYS[1], 'status', ARGV[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return ARGV[1]
