import type { RedisClient } from './create-redis.js';

export interface FixedWindowHit {
  /** Hits in the current window, this one included. */
  readonly count: number;
  /** Milliseconds until the next window starts. */
  readonly msToNextWindow: number;
}

/**
 * Counts one hit in the current `windowSeconds` window, across every process that shares Redis: one
 * counter key per window (`keyOf(windowIndex)`, which should come from createKeys so it keeps its
 * hash tag), kept for two windows. Rejects when Redis does.
 */
export async function hitFixedWindow(
  redis: RedisClient,
  keyOf: (window: number) => string,
  windowSeconds: number,
  nowMs: number = Date.now(),
): Promise<FixedWindowHit> {
  const windowMs = windowSeconds * 1000;
  const window = Math.floor(nowMs / windowMs);
  const key = keyOf(window);
  const replies = await redis
    .multi()
    .incr(key)
    .expire(key, windowSeconds * 2)
    .exec();
  const [error, count] = replies?.[0] ?? [new Error(`the counter ${key} was not incremented`), 0];
  if (error !== null) throw error;
  return { count: Number(count), msToNextWindow: (window + 1) * windowMs - nowMs };
}
