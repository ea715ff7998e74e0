import { type RedisClient, type WxqKeys, hitFixedWindow } from '@wxq/redis';

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
      const { count, msToNextWindow } = await hitFixedWindow(redis, (second) => keys.sendRate(appId, second), 1);
      return count <= perSecond ? 0 : msToNextWindow;
    },
  };
}
