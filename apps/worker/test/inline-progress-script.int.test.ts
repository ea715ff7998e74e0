// lua/inline-progress-start.lua run directly: its key, arguments and answers, malformed state
// included, apart from what inline-replies.ts makes of them (worker.int.test.ts, kill.int.test.ts).
import { randomUUID } from 'node:crypto';
import { loadScript } from '@wxq/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';

const redis = new Redis(inject('redisUrl'));
const START = loadScript(new URL('../src/processors/lua/inline-progress-start.lua', import.meta.url));
const TTL_MS = 60_000;
let key = '';
afterEach(async () => {
  await redis.del(key);
});
afterAll(async () => {
  await redis.quit();
});

function freshKey(): string {
  key = `{test-${randomUUID()}}:progress`;
  return key;
}

describe('inline-progress-start.lua', () => {
  it('with no progress: writes the plan and zero sends with the ttl, and answers an empty list', async () => {
    const progress = freshKey();
    expect(await START.run(redis, [progress], ['[{"reply":1}]', TTL_MS])).toEqual([]);
    expect(await redis.hgetall(progress)).toEqual({ plan: '[{"reply":1}]', sent: '0' });
    const ttl = await redis.pttl(progress);
    expect(ttl).toBeGreaterThan(TTL_MS - 5_000);
    expect(ttl).toBeLessThanOrEqual(TTL_MS);
  });

  it("with an earlier run's progress: answers it as field, value pairs and writes nothing", async () => {
    const progress = freshKey();
    await redis.hset(progress, 'plan', '[1,2,3]', 'sent', '2');
    await redis.pexpire(progress, 5_000);
    const answer = await START.run<string[]>(redis, [progress], ['[9]', TTL_MS]);
    expect(Object.fromEntries([0, 2].map((i) => [answer[i], answer[i + 1]]))).toEqual({ plan: '[1,2,3]', sent: '2' });
    expect(await redis.hgetall(progress)).toEqual({ plan: '[1,2,3]', sent: '2' });
    expect(await redis.pttl(progress)).toBeLessThanOrEqual(5_000);
  });

  it('a second run right after the first finds the first plan: only one run ever writes', async () => {
    const progress = freshKey();
    const [first, second] = await Promise.all([
      START.run<string[]>(redis, [progress], ['["first"]', TTL_MS]),
      START.run<string[]>(redis, [progress], ['["second"]', TTL_MS]),
    ]);
    expect(first).toEqual([]);
    expect(second).toContain('["first"]');
    expect(await redis.hget(progress, 'plan')).toBe('["first"]');
  });

  it('a key of another type is refused with WRONGTYPE, and left as it was', async () => {
    const progress = freshKey();
    await redis.set(progress, 'not a hash');
    await expect(START.run(redis, [progress], ['[]', TTL_MS])).rejects.toThrow(/WRONGTYPE/);
    expect(await redis.get(progress)).toBe('not a hash');
  });

  it('a ttl that is not a number fails the write after the HSET (Redis scripts are not transactions): the caller passes a number', async () => {
    const progress = freshKey();
    await expect(START.run(redis, [progress], ['[]', 'soon'])).rejects.toThrow(/not an integer/);
    // What ran before the error stays: a plan with no expiry.
    expect(await redis.hget(progress, 'plan')).toBe('[]');
    expect(await redis.pttl(progress)).toBe(-1);
  });
});
