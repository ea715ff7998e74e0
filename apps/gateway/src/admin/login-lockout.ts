import type { RedisClient } from '@wxq/redis';

export interface LoginLockoutOptions {
  readonly redis: RedisClient;
  /** The counter of one address's failed logins (createKeys().adminLoginFailures: hash-tagged). */
  readonly keyOf: (address: string) => string;
  /** Failed logins in a row, each within `lockSeconds` of the one before, that lock an address out. */
  readonly maxFailures: number;
  readonly lockSeconds: number;
}

export interface LoginLockout {
  /** Seconds until `address` may try again; 0 when it may now. Rejects when Redis does. */
  lockedForSeconds(address: string): Promise<number>;
  /** Counts a failed login; resolves to whether it locked the address out. Rejects when Redis does. */
  recordFailure(address: string): Promise<boolean>;
}

/**
 * Failed admin logins per client address, in Redis so that every gateway behind the proxy sees the
 * same count: `maxFailures` in a row lock the address out for `lockSeconds` (its requests are not
 * looked at meanwhile, the right password included, so guessing gets no answer). Each failure
 * keeps the counter another `lockSeconds`: a mistyped password now and then never adds up.
 */
export function createLoginLockout(options: LoginLockoutOptions): LoginLockout {
  const { redis, keyOf, maxFailures, lockSeconds } = options;
  return {
    async lockedForSeconds(address) {
      const key = keyOf(address);
      const [failures, ttl] = await Promise.all([redis.get(key), redis.ttl(key)]);
      return Number(failures ?? 0) >= maxFailures && ttl > 0 ? ttl : 0;
    },
    async recordFailure(address) {
      const key = keyOf(address);
      const replies = await redis.multi().incr(key).expire(key, lockSeconds).exec();
      const [error, failures] = replies?.[0] ?? [new Error(`the counter ${key} was not incremented`), 0];
      if (error !== null) throw error;
      return Number(failures) === maxFailures;
    },
  };
}
