import type { RedisClient, WxqKeys } from '@wxq/redis';

export interface SendRateLimiter {
  /** Milliseconds to wait before this send may go out; 0 means now (and counts it). */
  reserve(appId: string): Promise<number>;
}

/**
 * At most `perSecond` sends per account per second, across every worker process: a counter per
 * account and second in Redis. A refused send is retried at the start of the next second.
 */
export function createSendRateLimiter(
  redis: RedisClient,
  keys: WxqKeys,
  perSecond: number,
): SendRateLimiter | undefined {
  if (perSecond === 0) return undefined;
  return {
    async reserve(appId) {
      const now = Date.now();
      const second = Math.floor(now / 1000);
      const key = keys.sendRate(appId, second);
      const [[, count]] = (await redis.multi().incr(key).expire(key, 2).exec()) as [[Error | null, number], unknown];
      return count <= perSecond ? 0 : (second + 1) * 1000 - now;
    },
  };
}
