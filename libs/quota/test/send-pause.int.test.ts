import { randomUUID } from 'node:crypto';
import { createLogger } from '@wxq/logging';
import { createKeys } from '@wxq/redis';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { UNTIL_RESUMED, createSendPause, nextBeijingMidnight } from '../src/index.js';

const redis = new Redis(inject('redisUrl'));
afterAll(async () => {
  await redis.quit();
});

const APP = 'wx0123456789abcdef';
const log = createLogger({ level: 'silent', name: 'test' });

function pauseAt(now: number) {
  const keys = createKeys(`{test-${randomUUID()}}`);
  return { pause: createSendPause(redis, keys, () => now), key: keys.sendPause(APP) };
}

describe('send pause', () => {
  it("an operator's pause lasts until resumed: no expiry, and a 45009 or 45011 meanwhile does not shorten it", async () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    const { pause, key } = pauseAt(now);
    await pause.pauseUntilResumed(APP);
    expect(await pause.pausedUntil(APP)).toBe(UNTIL_RESUMED);
    expect(await redis.pttl(key)).toBe(-1);
    await pause.pause(APP, 'day', log);
    await pause.pause(APP, 'minute', log);
    expect(await pause.pausedUntil(APP)).toBe(UNTIL_RESUMED);
    expect(await redis.pttl(key)).toBe(-1);
    expect(await pause.resume(APP)).toBe(true);
    expect(await pause.pausedUntil(APP)).toBeUndefined();
    expect(await pause.resume(APP)).toBe(false);
  });

  it('resume lifts a 45009 pause early', async () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    const { pause } = pauseAt(now);
    expect(await pause.pause(APP, 'day', log)).toBe(nextBeijingMidnight(now));
    expect(await pause.pausedUntil(APP)).toBe(nextBeijingMidnight(now));
    expect(await pause.resume(APP)).toBe(true);
    expect(await pause.pausedUntil(APP)).toBeUndefined();
  });

  it("an operator's pause replaces a 45011 pause and outlasts it", async () => {
    const now = Date.parse('2026-12-01T10:00:30Z');
    const { pause, key } = pauseAt(now);
    await pause.pause(APP, 'minute', log);
    expect(await redis.pttl(key)).toBeGreaterThan(0);
    await pause.pauseUntilResumed(APP);
    expect(await redis.pttl(key)).toBe(-1);
    expect(await pause.pausedUntil(APP)).toBe(UNTIL_RESUMED);
  });
});
