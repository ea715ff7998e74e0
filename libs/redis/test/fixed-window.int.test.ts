import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { hitFixedWindow } from '../src/index.js';

const redis = new Redis(inject('redisUrl'));
afterAll(async () => {
  await redis.quit();
});

describe('hitFixedWindow', () => {
  it('counts the hits of one window, starts again in the next, and keeps a counter two windows', async () => {
    const prefix = `test-${randomUUID()}`;
    const keyOf = (window: number) => `${prefix}:${window}`;
    const start = 1_700_000_000_000; // a window boundary for 1 s and 10 s windows
    expect(await hitFixedWindow(redis, keyOf, 10, start)).toEqual({ count: 1, msToNextWindow: 10_000 });
    expect(await hitFixedWindow(redis, keyOf, 10, start + 9_999)).toEqual({ count: 2, msToNextWindow: 1 });
    expect(await hitFixedWindow(redis, keyOf, 10, start + 10_000)).toEqual({ count: 1, msToNextWindow: 10_000 });
    const ttl = await redis.ttl(keyOf(start / 10_000));
    expect(ttl).toBeGreaterThan(10);
    expect(ttl).toBeLessThanOrEqual(20);
    await redis.del(keyOf(start / 10_000), keyOf(start / 10_000 + 1));
  });
});
