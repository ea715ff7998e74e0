--[[
  Whether Typing may be sent now (docs/wechat-protocol.md section 7.3: only when a send would be);
  when it may, marks it shown.

  KEYS:
    KEYS[1]  the user's hash (see ledger-grant.lua)
  ARGV:
    ARGV[1]  now, epoch ms
    ARGV[2]  how recent the user's last interaction must be, ms
    ARGV[3]  how long Typing shows, ms

  Answers 'no_window' (no open window with sends left), 'no_interaction' (the last interaction is
  older than ARGV[2]), 'already_typing' (typing_until is still ahead), or 'ok' after setting
  typing_until = now + ARGV[3].

  One script: check-and-set. Read apart, two workers replying to one user at once would both find
  no Typing showing and both send one.
]]
local now = tonumber(ARGV[1])
local open = false
for _, kind in ipairs({ 'm', 'e' }) do
  if tonumber(redis.call('HGET', KEYS[1], kind .. '_left') or '0') > 0 and tonumber(redis.call('HGET', KEYS[1], kind .. '_until') or '0') > now then open = true end
end
if not open then return 'no_window' end
if now - tonumber(redis.call('HGET', KEYS[1], 'last') or '0') > tonumber(ARGV[2]) then return 'no_interaction' end
if tonumber(redis.call('HGET', KEYS[1], 'typing_until') or '0') > now then return 'already_typing' end
redis.call('HSET', KEYS[1], 'typing_until', now + tonumber(ARGV[3]))
return 'ok'
