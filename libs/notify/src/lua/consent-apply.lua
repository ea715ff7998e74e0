--[[
  Applies one push's consent changes to a user's consent hash, once per push
  (docs/notifications.md, docs/wechat-protocol.md §12.1): an accept adds a credit, a reject
  removes every credit of that template.

  KEYS:
    KEYS[1]  the user's consent hash (`<prefix>:consent:<appid>:<openid>`): template id -> credits
    KEYS[2]  the push's marker (`<prefix>:consent_applied:<push job id>`)
  ARGV:
    ARGV[1]  the hash's ttl, ms
    ARGV[2]  the marker's ttl, ms (as long as the push's job is kept)
    ARGV[3..] template id, 'accept' | 'reject', template id, ...: in the push's order

  Answers 1 when it applied the changes, 0 when this push had applied them already; a WRONGTYPE
  error, marking nothing, when KEYS[1] is not a hash.

  One script: the marker and the changes together. Apart, a worker dying between them would
  leave a re-run of the push either granting its accepts twice or not at all.
]]
-- Checked before the marker: a script's error undoes nothing it wrote, and a marker left by a failed
-- run would keep the push's changes from ever being applied.
local kind = redis.call('TYPE', KEYS[1]).ok
if kind ~= 'hash' and kind ~= 'none' then return redis.error_reply('WRONGTYPE the consent key holds a ' .. kind) end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) == false then return 0 end
for i = 3, #ARGV, 2 do
  if ARGV[i + 1] == 'accept' then
    redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
  else
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1
