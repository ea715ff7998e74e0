import type { RedisClient } from './create-redis.js';
import { raceTimeout } from './race-timeout.js';

/** Whether Redis answers a PING within `timeoutMs`: readiness probes, where a slow answer means "not ready". */
export async function pingWithin(redis: RedisClient, timeoutMs: number): Promise<boolean> {
  const answered = redis.ping().then(
    () => true,
    () => false,
  );
  return raceTimeout(answered, timeoutMs, () => false);
}
