import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ScriptRedis, loadScript } from '@wxq/redis';
import type { Redis } from 'ioredis';
import { TokenStoreError, WechatApiError } from './errors.js';
import { type ApiLogger, SILENT_LOGGER } from './logger.js';
import type { AccessTokenResult } from './token-endpoints.js';

/** What the API client needs from a token store. */
export interface TokenSource {
  /** The current access_token. */
  getToken(): Promise<string>;
  /** Reports that WeChat refused `badToken`; the next getToken() must not return it. */
  invalidate(badToken: string): Promise<void>;
}

export type TokenStore = TokenSource;

/**
 * The commands the store uses (its scripts go by EVALSHA, then EVAL after a NOSCRIPT); an ioredis
 * `Redis` or `Cluster` fits.
 */
export type TokenStoreRedis = Pick<Redis, 'get' | 'set'> & ScriptRedis;

export interface TokenStoreOptions {
  readonly redis: TokenStoreRedis;
  readonly appId: string;
  /** Where the token and the refresh lock live (named by the caller: @wxq/redis createKeys). */
  readonly keys: TokenStoreKeys;
  /** Mints or gets a token, e.g. fetchStableAccessToken; never called by a read-only store. */
  readonly fetchToken: () => Promise<AccessTokenResult>;
  /** The cached token expires this long before WeChat's expires_in. Default 300 (docs/wechat-protocol.md §6.2). */
  readonly refreshMarginSeconds?: number;
  /**
   * How long a refresher holds the lock; keep it above the fetch timeout. Default 10 000
   * (docs/wechat-protocol.md §6.2).
   */
  readonly lockTtlMs?: number;
  /** How long getToken() waits for another process's refresh. Default lockTtlMs + 2000. */
  readonly waitTimeoutMs?: number;
  /** Pause between two looks at the key while waiting. Default 50. */
  readonly pollIntervalMs?: number;
  /**
   * How long a token read from Redis is used again without reading the key (0: read it for every
   * call). Default 10 000: WeChat keeps a replaced token working for 5 minutes (docs/wechat-protocol.md
   * §6.1), so a token remembered this long still works after another process refreshed it.
   */
  readonly rememberMs?: number;
  /** Another system owns this appid's token: only read the key, never fetch or delete. */
  readonly readOnly?: boolean;
  readonly logger?: ApiLogger;
}

/** One appid's token key and refresh-lock key; on a Cluster both must share a slot (one hash tag). */
export interface TokenStoreKeys {
  readonly token: string;
  readonly lock: string;
}

// docs/wechat-protocol.md §6.2: TTL = expires_in − 300.
const DEFAULT_REFRESH_MARGIN_SECONDS = 300;
// docs/wechat-protocol.md §6.2: `SET … NX PX 10000`.
const DEFAULT_LOCK_TTL_MS = 10_000;
// A waiter outlives a dead holder's lock by this much, so it can take the lock over (then its own
// fetch is not bounded by the wait).
const WAIT_BEYOND_LOCK_MS = 2_000;
// WxJava polls every 100 ms (docs/wechat-protocol.md §6.2); a refresh is one HTTP call, so 50 ms keeps
// waiters close behind.
const DEFAULT_POLL_INTERVAL_MS = 50;
// A read of the key per API call was a Redis round trip per reply; well inside the 5-minute overlap.
const DEFAULT_REMEMBER_MS = 10_000;

// Each script's KEYS, ARGV, answer and the race it closes: the header of its file in lua/.
const DELETE_IF_EQUAL = loadScript(new URL('./lua/token-delete-if-equal.lua', import.meta.url));
const SET_IF_LOCK_HELD = loadScript(new URL('./lua/token-set-if-lock-held.lua', import.meta.url));

/**
 * How long a fetched token stays cached: expires_in minus the margin, but never less than half its lifetime.
 * stable_token may answer expires_in = 300 (docs/wechat-protocol.md §6.1), which the plain rule would cache
 * for 0 s.
 */
export function cacheTtlSeconds(expiresInSeconds: number, refreshMarginSeconds: number): number {
  const margin = Math.min(refreshMarginSeconds, Math.floor(expiresInSeconds / 2));
  return Math.max(1, Math.floor(expiresInSeconds - margin));
}

/**
 * One shared access_token per appid in Redis (docs/wechat-protocol.md §6.2): every process reads the same
 * key; a refresh runs in one process at a time under a Redis lock, and concurrent callers in one process
 * share one promise. getToken() throws what fetchToken threw (a WechatApiError), TokenStoreError when it
 * cannot produce a token, and Redis errors as they are. Throws RangeError on bad options.
 */
export function createTokenStore(options: TokenStoreOptions): TokenStore {
  const { redis, appId, fetchToken, keys } = options;
  const refreshMarginSeconds = options.refreshMarginSeconds ?? DEFAULT_REFRESH_MARGIN_SECONDS;
  const lockTtlMs = options.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
  const waitTimeoutMs = options.waitTimeoutMs ?? lockTtlMs + WAIT_BEYOND_LOCK_MS;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const rememberMs = options.rememberMs ?? DEFAULT_REMEMBER_MS;
  const isReadOnly = options.readOnly ?? false;
  const logger = options.logger ?? SILENT_LOGGER;
  if (appId === '') throw new RangeError('createTokenStore: appId is empty');
  requireInteger('refreshMarginSeconds', refreshMarginSeconds, 0);
  requireInteger('lockTtlMs', lockTtlMs, 1);
  requireInteger('waitTimeoutMs', waitTimeoutMs, 0);
  requireInteger('pollIntervalMs', pollIntervalMs, 1);
  requireInteger('rememberMs', rememberMs, 0);

  // Bumped by invalidate(): a caller arriving afterwards must not join a load that may have read
  // the refused token before it was deleted.
  let generation = 0;
  let pending: { readonly generation: number; readonly promise: Promise<string> } | undefined;
  /** The last token loaded, until `until` (performance.now()), unless invalidate() ran since. */
  let remembered: { readonly generation: number; readonly token: string; readonly until: number } | undefined;

  async function load(): Promise<string> {
    const deadline = performance.now() + waitTimeoutMs;
    let isWaiting = false;
    for (;;) {
      const cached = await redis.get(keys.token);
      if (cached !== null && cached !== '') return cached;
      if (isReadOnly) {
        throw new TokenStoreError(
          'token_absent',
          `no access_token for ${appId} in Redis; this store is read-only and waits for the token's owner to write it`,
        );
      }
      const lockId = randomUUID();
      if ((await redis.set(keys.lock, lockId, 'PX', lockTtlMs, 'NX')) === 'OK') return refreshUnderLock(lockId);
      if (performance.now() >= deadline) {
        throw new TokenStoreError(
          'token_wait_timeout',
          `another process did not refresh the access_token for ${appId} within ${waitTimeoutMs} ms`,
        );
      }
      if (!isWaiting) {
        logger.debug({ appId }, 'waiting for another process to refresh the access_token');
        isWaiting = true;
      }
      await sleep(pollIntervalMs);
    }
  }

  async function refreshUnderLock(lockId: string): Promise<string> {
    try {
      // Someone may have refreshed between our read and our lock.
      const cached = await redis.get(keys.token);
      if (cached !== null && cached !== '') return cached;
      const { accessToken, expiresInSeconds } = await callFetchToken();
      const ttlSeconds = cacheTtlSeconds(expiresInSeconds, refreshMarginSeconds);
      const stored = await SET_IF_LOCK_HELD.run(redis, [keys.lock, keys.token], [lockId, accessToken, ttlSeconds]);
      if (stored === 1) logger.info({ appId, ttlSeconds }, 'access_token refreshed');
      else
        logger.warn(
          { appId, lockTtlMs },
          'token lock expired during the refresh, token not cached: raise lockTtlMs above the fetch timeout',
        );
      return accessToken;
    } finally {
      await releaseLock(lockId);
    }
  }

  async function callFetchToken(): Promise<AccessTokenResult> {
    let result: AccessTokenResult;
    try {
      result = await fetchToken();
    } catch (error) {
      if (error instanceof WechatApiError) throw error;
      throw new TokenStoreError('token_fetch_failed', `fetching the access_token for ${appId} failed`, {
        cause: error,
      });
    }
    const { accessToken, expiresInSeconds } = result;
    if (
      typeof accessToken !== 'string' ||
      accessToken === '' ||
      !Number.isFinite(expiresInSeconds) ||
      expiresInSeconds <= 0
    ) {
      throw new TokenStoreError(
        'bad_token',
        `fetchToken for ${appId} returned no token or no positive expiresInSeconds`,
      );
    }
    return result;
  }

  async function releaseLock(lockId: string): Promise<void> {
    try {
      await DELETE_IF_EQUAL.run(redis, [keys.lock], [lockId]);
    } catch (err) {
      // The lock expires by itself; failing the caller over it would lose a good token.
      logger.warn({ appId, err }, 'could not release the token lock');
    }
  }

  return {
    getToken() {
      if (remembered?.generation === generation && performance.now() < remembered.until)
        return Promise.resolve(remembered.token);
      if (pending?.generation === generation) return pending.promise;
      const entry = { generation, promise: load() };
      pending = entry;
      const clear = () => {
        if (pending === entry) pending = undefined;
      };
      entry.promise.then((token) => {
        clear();
        if (entry.generation === generation && rememberMs > 0)
          remembered = { generation, token, until: performance.now() + rememberMs };
      }, clear);
      return entry.promise;
    },

    async invalidate(badToken) {
      // Callers arriving while the delete is under way must not be handed the refused token.
      if (remembered?.token === badToken) remembered = undefined;
      if (isReadOnly) {
        logger.warn({ appId }, 'access_token refused, but this store is read-only: leaving the key to its owner');
      } else {
        const deleted = await DELETE_IF_EQUAL.run(redis, [keys.token], [badToken]);
        if (deleted === 1) logger.info({ appId }, 'access_token invalidated');
        else logger.debug({ appId }, 'refused access_token was already replaced');
      }
      generation += 1;
    },
  };
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`createTokenStore: ${name} must be an integer >= ${min}, got ${value}`);
}
