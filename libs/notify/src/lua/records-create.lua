--[[
  Creates a batch of notification records, each unless it exists (docs/notifications.md): a
  campaign feeder's batch, whose records share all but their id and recipient.

  KEYS:
    KEYS[1..n]  the records (`<prefix>:ntf:<id>`), hashes
  ARGV:
    ARGV[1]  their ttl, ms
    ARGV[2]  m, how many field-value pairs they share
    ARGV[3..2+2m]  field, value, ...: what every record holds (status among them)
    then, per key in order: its id, its recipient (the `id` and `to` fields)

  Answers how many it created; a record that was there is left as it was.

  One script per batch rather than one per record: a feeder's 500 records cost one round trip and
  one call, and the check and write of each have nothing in between (see record-create.lua).
]]
local shared = tonumber(ARGV[2])
-- Checked before any write: a batch is created whole or not at all.
if not shared or #ARGV ~= 2 + 2 * shared + 2 * #KEYS then
  return redis.error_reply('ERR records-create: ARGV does not match the keys (an id and recipient per key)')
end
local own = 3 + 2 * shared
local created = 0
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 0 then
    local at = own + 2 * (i - 1)
    redis.call('HSET', key, 'id', ARGV[at], 'to', ARGV[at + 1], unpack(ARGV, 3, own - 1))
    redis.call('PEXPIRE', key, ARGV[1])
    created = created + 1
  end
end
return created
