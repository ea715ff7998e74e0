import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** The two commands a script needs; an ioredis `Redis` or `Cluster` fits, as does a narrower client of its own. */
export type ScriptRedis = Pick<Redis, 'eval' | 'evalsha'>;

/** A Lua script sent by its SHA1: the body travels only the first time a server sees it. */
export interface RedisScript {
  run<T>(redis: ScriptRedis, keys: readonly string[], args: readonly (string | number)[]): Promise<T>;
  /**
   * `run`, telling whether the body had to be sent after a `NOSCRIPT`. Such an answer comes from a
   * second call, which Redis ran after any command sent behind the first one on the connection.
   */
  runTelling(
    redis: ScriptRedis,
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
  const runTelling = async (redis: ScriptRedis, keys: readonly string[], args: readonly (string | number)[]) => {
    try {
      return { value: await redis.evalsha(sha, keys.length, ...keys, ...args), resent: false };
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return { value: await redis.eval(lua, keys.length, ...keys, ...args), resent: true };
    }
  };
  return {
    runTelling,
    run: async <T>(redis: ScriptRedis, keys: readonly string[], args: readonly (string | number)[]) =>
      (await runTelling(redis, keys, args)).value as T,
  };
}

/**
 * {@link createScript} on a `.lua` file beside the calling module, read once when that module loads
 * (a missing file fails at start-up, not at the first call):
 * `loadScript(new URL('./lua/lane-enter.lua', import.meta.url))`. The file is sent as it is, header
 * comment included; `npm run build` copies every `.lua` file under `src/` into `dist/`
 * (scripts/copy-lua-files.ts).
 * Throws what `readFileSync` throws.
 */
export function loadScript(file: URL): RedisScript {
  return createScript(readFileSync(file, 'utf8'));
}
