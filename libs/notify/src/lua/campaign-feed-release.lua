--[[
  Releases a feeder's lock on a campaign if it still holds it (docs/notifications.md).

  KEYS:
    KEYS[1]  the lock (`<prefix>:cmp_feed:<id>`)
  ARGV:
    ARGV[1]  the holder's token

  Answers 1 when it released the lock, 0 when another feeder holds it (this one's ran out).

  One script: compare and delete, so a feeder that was slow never frees a lock another now holds.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
