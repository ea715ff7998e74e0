--[[
  Caches a fetched access_token only while its fetcher still holds the refresh lock
  (docs/wechat-protocol.md section 6.2).

  KEYS:
    KEYS[1]  the refresh lock
    KEYS[2]  the token key
  ARGV:
    ARGV[1]  our lock id
    ARGV[2]  the access_token
    ARGV[3]  its ttl, seconds

  Answers 1 when it cached the token, 0 when the lock is gone or held by another (nothing written).

  One script: a holder whose lock expired mid-fetch must not overwrite the token a later holder
  fetched; a GET of the lock then a SET of the token would leave that window open.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
