import { createHash } from 'node:crypto';
import type { RedisClient } from './create-redis.js';

/** A Lua script sent by its SHA1: the body travels only the first time a server sees it. */
export interface RedisScript {
  run<T>(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<T>;
  /**
   * `run`, telling whether the body had to be sent after a `NOSCRIPT`. Such an answer comes from a
   * second call, which Redis ran after any command sent behind the first one on the connection.
   */
  runTelling(
    redis: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<{ readonly value: unknown; readonly resent: boolean }>;
}

/**
 * `EVALSHA`, then `EVAL` once when the server does not know the script yet (`NOSCRIPT`: a new or
 * restarted server, another Cluster node). Scripts on the hot path (a lane entry per push) would
 * otherwise send their whole body with every call.
 */
export function createScript(lua: string): RedisScript {
  const sha = createHash('sha1').update(lua).digest('hex');
  const runTelling = async (redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]) => {
    try {
      return { value: await redis.evalsha(sha, keys.length, ...keys, ...args), resent: false };
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return { value: await redis.eval(lua, keys.length, ...keys, ...args), resent: true };
    }
  };
  return {
    runTelling,
    run: async <T>(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]) =>
      (await runTelling(redis, keys, args)).value as T,
  };
}
