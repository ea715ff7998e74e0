--[[
  passive-only: a gateway asks for the reply this push answers with.

  KEYS:
    KEYS[1]  the push hash (see passive-delivered.lua)
    KEYS[2]  the user's outbox (list of `<expires at, epoch ms>|<reply JSON>`)
    KEYS[3]  the account's counters hash (`pending_expired` counts dropped entries)
  ARGV:
    ARGV[1]  now, epoch ms
    ARGV[2]  the push hash's ttl, ms

  Answers { reply, done }: the reply this push was given before (its answer may not have arrived),
  else the user's oldest pending reply, popped and recorded as the push's, dropping (and counting)
  expired or malformed entries; false for none. done is the hash's `done` ('1' once the worker
  handled the push), false before.

  One script: pop and record together, so a popped reply is never lost between them, and two
  deliveries of one push (a WeChat retry reaching another gateway) answer with the same reply
  rather than each taking one.
]]
local reply = redis.call('HGET', KEYS[1], 'reply')
local expired = 0
while not reply do
  local entry = redis.call('LPOP', KEYS[2])
  if not entry then break end
  local expiresAt, json = string.match(entry, '^(%d+)|(.*)$')
  if expiresAt and tonumber(expiresAt) > tonumber(ARGV[1]) then
    reply = json
    redis.call('HSET', KEYS[1], 'reply', json)
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
  else
    expired = expired + 1
  end
end
if expired > 0 then redis.call('HINCRBY', KEYS[3], 'pending_expired', expired) end
return { reply or false, redis.call('HGET', KEYS[1], 'done') or false }
