--[[
  Takes one of a user's consent credits for a subscribe-notification template
  (docs/notifications.md, docs/wechat-protocol.md §12.1: one accept allows one send).

  KEYS:
    KEYS[1]  the user's consent hash (`<prefix>:consent:<appid>:<openid>`): template id -> credits
  ARGV:
    ARGV[1]  the template id

  Answers 1 when it took a credit, 0 when the user has none for that template.

  One script: check-and-decrement. Read apart, two sends of one template to one user on two
  workers could both see the single credit and both spend it, and WeChat refuses the second (43101).
]]
local left = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if left <= 0 then return 0 end
if left == 1 then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HINCRBY', KEYS[1], ARGV[1], -1) end
return 1
