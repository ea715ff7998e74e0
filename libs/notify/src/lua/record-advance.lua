--[[
  Moves a notification's record on to a later status, and only on (docs/notifications.md):
  queued (0) -> sent (1) -> delivered, failed or refused (2). A campaign recipient's move is
  counted in its campaign, which is done once none of its recipients is queued. A send's indexes
  (its msgid, the user's last send of the template) are pointed at the record in the same call.

  KEYS:
    KEYS[1]      the record (`<prefix>:ntf:<id>`), a hash
    KEYS[2..n+1] n index keys (ARGV[3]) to point at the record: set to ARGV[5]
    KEYS[n+2]    optional: its campaign (`<prefix>:cmp:<id>`), a hash with a count per status
  ARGV:
    ARGV[1]  the new status
    ARGV[2]  the record's ttl, ms (renewed with the change; the campaign's too)
    ARGV[3]  n, how many index keys follow the record in KEYS (0: none)
    ARGV[4]  the index keys' ttl, ms (unused when n is 0)
    ARGV[5]  what the index keys hold: the record's id (unused when n is 0)
    ARGV[6..] field, value, ...: what else the change writes (errcode, reason, msgid)

  Answers the record's status after the call: the new one when it moved, the current one when it
  was at the same stage or later (nothing written but the indexes), false when there is no record
  (nothing written).

  One script: read the stage and write the next with nothing in between. A delivery report and a
  worker re-running after a crash race each other; read apart, a late `sent` could overwrite
  `delivered`, and a campaign's counts would count one recipient twice. The indexes in it too: a
  report that comes the moment WeChat has answered finds the record by them and finds it `sent`.
]]
local rank = { queued = 0, sent = 1, delivered = 2, failed = 2, refused = 2 }
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return false end
local indexes = tonumber(ARGV[3])
for i = 2, indexes + 1 do
  redis.call('SET', KEYS[i], ARGV[5], 'PX', ARGV[4])
end
if (rank[ARGV[1]] or -1) <= (rank[current] or 3) then return current end
redis.call('HSET', KEYS[1], 'status', ARGV[1], unpack(ARGV, 6))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local campaign = KEYS[indexes + 2]
if campaign and redis.call('EXISTS', campaign) == 1 then
  redis.call('HINCRBY', campaign, current, -1)
  redis.call('HINCRBY', campaign, ARGV[1], 1)
  local status = redis.call('HGET', campaign, 'status')
  if tonumber(redis.call('HGET', campaign, 'queued')) <= 0 and (status == 'running' or status == 'paused') then
    redis.call('HSET', campaign, 'status', 'done')
  end
  redis.call('PEXPIRE', campaign, ARGV[2])
end
return ARGV[1]
