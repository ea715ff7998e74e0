import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createScript } from '../src/index.js';

const redis = new Redis(inject('redisUrl'));
afterAll(async () => {
  await redis.quit();
});

describe('createScript', () => {
  it('runs on a server that has never seen it, then by its SHA1 alone', async () => {
    const script = createScript(`return { KEYS[1], ARGV[1], '${randomUUID()}' ~= '' }`);
    expect(await script.run(redis, ['k'], ['a'])).toEqual(['k', 'a', 1]);
    // Loaded now: a second connection finds it by SHA1.
    const other = new Redis(inject('redisUrl'));
    try {
      expect(await script.run(other, ['k2'], [7])).toEqual(['k2', '7', 1]);
    } finally {
      await other.quit();
    }
  });

  it('tells when it had to send the body again', async () => {
    const script = createScript(`return '${randomUUID()}'`);
    expect((await script.runTelling(redis, [], [])).resent).toBe(true);
    expect((await script.runTelling(redis, [], [])).resent).toBe(false);
  });

  it('passes script errors through', async () => {
    const script = createScript(`return redis.call('INCR', KEYS[1])`);
    const key = `test-${randomUUID()}`;
    await redis.set(key, 'not a number');
    await expect(script.run(redis, [key], [])).rejects.toThrow(/not an integer/);
    await redis.del(key);
  });
});
