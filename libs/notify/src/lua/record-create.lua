--[[
  Creates a notification's record unless it exists (docs/notifications.md).

  KEYS:
    KEYS[1]  the record (`<prefix>:ntf:<id>`), a hash
  ARGV:
    ARGV[1]  its ttl, ms
    ARGV[2..] field, value, field, value, ...: the record (status among them)

  Answers 1 when it created the record, 0 when one was there (left as it was).

  One script: the check and the write with nothing in between, so two requests with one
  Idempotency-Key racing each other make one record and one of them queues the job; read apart,
  the second could overwrite a record the worker had already moved on to `sent`.
]]
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
