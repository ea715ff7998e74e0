--[[
  Corrects the user's windows with what WeChat said.

  KEYS:
    KEYS[1]  the user's hash (see ledger-grant.lua)
  ARGV:
    ARGV[1]  'exhaust' (45047: sends used up: both kinds' sends set to 0) or anything else, sent
             as 'close' (45015, 43004, unsubscribe: both windows and `last` set to 0)
    ARGV[2]  the hash's ttl, ms

  Answers 1.

  One script: the fields and the hash's expiry land together, so a hash this creates (no grant
  yet) never stays without a ttl after a dropped connection; and it runs, like every ledger change,
  in one step between the others.
]]
if ARGV[1] == 'exhaust' then
  redis.call('HSET', KEYS[1], 'm_left', 0, 'e_left', 0)
else
  redis.call('HSET', KEYS[1], 'm_until', 0, 'e_until', 0, 'last', 0)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
