--[[
  Compare-and-delete (docs/wechat-protocol.md section 6.2): deletes KEYS[1] only while it holds
  ARGV[1].

  KEYS:
    KEYS[1]  the refresh lock (releasing it) or the token key (invalidating a refused token)
  ARGV:
    ARGV[1]  the value it must hold: our lock id, or the refused token

  Answers 1 when it deleted the key, 0 when the key held something else or was absent.

  One script: the lock is released only by its holder, and a token is invalidated only if it is
  still the one that failed. Read apart, another process could take the lock (ours having expired)
  or write a new token between the GET and the DEL, and we would delete theirs.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
