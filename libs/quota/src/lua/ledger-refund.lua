--[[
  Gives back a send WeChat refused without sending, if that grant is still the same one.

  KEYS:
    KEYS[1]  the user's hash (see ledger-grant.lua)
  ARGV:
    ARGV[1]  kind: 'm' or 'e'
    ARGV[2]  the grant's until, epoch ms, as ledger-reserve.lua answered it

  Answers 1, refunded or not.

  One script: compare-and-increment. A new grant written between a read and an increment (a new
  push reopening the window) would otherwise get one send more than it grants.
]]
if redis.call('HGET', KEYS[1], ARGV[1] .. '_until') == ARGV[2] then redis.call('HINCRBY', KEYS[1], ARGV[1] .. '_left', 1) end
return 1
