import { type RedisClient, type WxqKeys, hitFixedWindow } from '@wxq/redis';

export interface SendRateLimiter {
  /** Milliseconds to wait before this send may go out; 0 means now (and counts it). */
  reserve(appId: string): Promise<number>;
}

/**
 * At most `perSecond` sends per account per second (a number for every account, or one per
 * account), across every worker process: a counter per account and second in Redis, under
 * `keyOf` (the customer-service sends' by default; the notifications' have their own). A refused
 * send is retried at the start of the next second.
 */
export function createSendRateLimiter(
  redis: RedisClient,
  keys: WxqKeys,
  perSecond: number | ((appId: string) => number),
  keyOf: (appId: string, epochSecond: number) => string = keys.sendRate,
): SendRateLimiter | undefined {
  if (perSecond === 0) return undefined;
  const limitOf = typeof perSecond === 'number' ? () => perSecond : perSecond;
  return {
    async reserve(appId) {
      const limit = limitOf(appId);
      if (limit === 0) return 0;
      const { count, msToNextWindow } = await hitFixedWindow(redis, (second) => keyOf(appId, second), 1);
      return count <= limit ? 0 : msToNextWindow;
    },
  };
}
