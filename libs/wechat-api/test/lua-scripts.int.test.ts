// The token store's scripts run directly, file by file: their keys, arguments and answers,
// malformed state included, apart from what token-store.ts makes of them (token-store.int.test.ts).
import { randomUUID } from 'node:crypto';
import { loadScript } from '@wxq/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';

const redis = new Redis(inject('redisUrl'));
const created: string[] = [];
afterEach(async () => {
  if (created.length > 0) await redis.del(created.splice(0));
});
afterAll(async () => {
  await redis.quit();
});

const script = (name: string) => loadScript(new URL(`../src/lua/${name}.lua`, import.meta.url));
const DELETE_IF_EQUAL = script('token-delete-if-equal');
const SET_IF_LOCK_HELD = script('token-set-if-lock-held');

/** A fresh key, deleted after the test. */
function key(name: string): string {
  const fresh = `{test-${randomUUID()}}:${name}`;
  created.push(fresh);
  return fresh;
}

describe('token-delete-if-equal.lua', () => {
  it('deletes the key while it holds the value and answers 1', async () => {
    const lock = key('lock');
    await redis.set(lock, 'our-lock-id');
    expect(await DELETE_IF_EQUAL.run(redis, [lock], ['our-lock-id'])).toBe(1);
    expect(await redis.exists(lock)).toBe(0);
  });

  it('answers 0 and keeps a key holding another value; 0 for a missing key', async () => {
    const token = key('token');
    await redis.set(token, 'the-new-token');
    expect(await DELETE_IF_EQUAL.run(redis, [token], ['the-refused-token'])).toBe(0);
    expect(await redis.get(token)).toBe('the-new-token');
    expect(await DELETE_IF_EQUAL.run(redis, [key('missing')], ['anything'])).toBe(0);
  });

  it('fails with WRONGTYPE on a key that is not a string, and keeps it', async () => {
    const hash = key('hash');
    await redis.hset(hash, 'token', 'x');
    await expect(DELETE_IF_EQUAL.run(redis, [hash], ['x'])).rejects.toThrow(/^WRONGTYPE/);
    expect(await redis.exists(hash)).toBe(1);
  });
});

describe('token-set-if-lock-held.lua', () => {
  it('caches the token with its ttl while the lock holds our id, and answers 1', async () => {
    const [lock, token] = [key('lock'), key('token')];
    await redis.set(lock, 'our-lock-id', 'PX', 10_000);
    expect(await SET_IF_LOCK_HELD.run(redis, [lock, token], ['our-lock-id', 'fresh-token', 7200])).toBe(1);
    expect(await redis.get(token)).toBe('fresh-token');
    const ttl = await redis.ttl(token);
    expect(ttl).toBeGreaterThan(7100);
    expect(ttl).toBeLessThanOrEqual(7200);
    // The lock is the caller's to release.
    expect(await redis.get(lock)).toBe('our-lock-id');
  });

  it("answers 0 and writes nothing when the lock is another's or gone", async () => {
    const [lock, token] = [key('lock'), key('token')];
    await redis.set(token, 'later-holders-token');
    await redis.set(lock, 'their-lock-id');
    expect(await SET_IF_LOCK_HELD.run(redis, [lock, token], ['our-lock-id', 'stale-token', 7200])).toBe(0);
    await redis.del(lock);
    expect(await SET_IF_LOCK_HELD.run(redis, [lock, token], ['our-lock-id', 'stale-token', 7200])).toBe(0);
    expect(await redis.get(token)).toBe('later-holders-token');
  });

  it('fails with WRONGTYPE on a lock that is not a string, and on a bad ttl with the error SET gives', async () => {
    const [lock, token] = [key('lock'), key('token')];
    await redis.rpush(lock, 'our-lock-id');
    await expect(SET_IF_LOCK_HELD.run(redis, [lock, token], ['our-lock-id', 't', 7200])).rejects.toThrow(/^WRONGTYPE/);
    const heldLock = key('held');
    await redis.set(heldLock, 'our-lock-id');
    await expect(SET_IF_LOCK_HELD.run(redis, [heldLock, token], ['our-lock-id', 't', 0])).rejects.toThrow(
      /invalid expire time/,
    );
    expect(await redis.exists(token)).toBe(0);
  });
});
