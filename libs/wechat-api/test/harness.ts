// The client wired as the worker wires it (shared Redis token store, stable_token or classic
// token endpoint) against the team's WeChat simulator over real HTTP on port 0.
import { randomUUID } from 'node:crypto';
import { type LogSink, createLogSink } from '@wxq/testing';
import { type WechatApiSimulator, type WechatApiSimulatorOptions, startWechatApiSimulator } from '@wxq/wechat-sim';
import { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import { inject, onTestFinished } from 'vitest';
import { type WechatApiClient, createWechatApiClient } from '../src/client.js';
import { type AccessTokenResult, fetchAccessToken, fetchStableAccessToken } from '../src/token-endpoints.js';
import { createKeys } from '@wxq/redis';
import { type TokenStore, type TokenStoreKeys, createTokenStore } from '../src/token-store.js';

/**
 * AppSecrets are 32 letters and digits (docs/wechat-protocol.md §0.3); the simulator answers 40125 to
 * anything else.
 */
export const ACCOUNT = { appId: 'wx0123456789abcdef', appSecret: 'Secret0123456789abcdef0123456789' } as const;
/** A real OpenID's shape, 28 characters (docs/wechat-protocol.md §0.3). */
export const OPENID = 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY';

export interface HarnessOptions {
  /** Which endpoint the token store fetches from. Default 'stable_token' (docs/wechat-protocol.md §6.2 prefers it). */
  readonly endpoint?: 'token' | 'stable_token';
  /** The client's per-call timeout. Default 2000. */
  readonly timeoutMs?: number;
  readonly simulator?: Partial<WechatApiSimulatorOptions>;
}

export interface Harness {
  readonly sim: WechatApiSimulator;
  readonly client: WechatApiClient;
  readonly tokens: TokenStore;
  readonly redis: Redis;
  readonly keys: TokenStoreKeys;
  /** What the client and the token store logged (see {@link createCapturingLogger}). */
  readonly logs: LogSink;
  /** Every token the store's fetchToken obtained, in order (so tests can look for leaks). */
  readonly fetchedTokens: readonly string[];
}

/** An account's token keys under `prefix`, named as the worker names them. */
export function tokenKeys(appId: string, prefix: string): TokenStoreKeys {
  const keys = createKeys(prefix);
  return { token: keys.accessToken(appId), lock: keys.tokenLock(appId) };
}

/** A simulator, a Redis connection, a token store under a fresh prefix and a client; all closed after the test. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sim = await startWechatApiSimulator({ accounts: [ACCOUNT], ...options.simulator });
  onTestFinished(() => sim.stop());
  const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
  const keyPrefix = `test-${randomUUID()}`;
  const keys = tokenKeys(ACCOUNT.appId, keyPrefix);
  onTestFinished(async () => {
    await redis.del(keys.token, keys.lock);
    await redis.quit();
  });
  const { logger, logs } = createCapturingLogger();
  const fetchedTokens: string[] = [];
  const endpointOptions = { baseUrl: sim.url, ...ACCOUNT, timeoutMs: 2_000 };
  const fetchToken = async (): Promise<AccessTokenResult> => {
    const result =
      options.endpoint === 'token'
        ? await fetchAccessToken(endpointOptions)
        : await fetchStableAccessToken(endpointOptions);
    fetchedTokens.push(result.accessToken);
    return result;
  };
  const tokens = createTokenStore({ redis, appId: ACCOUNT.appId, keys, fetchToken, logger });
  const client = createWechatApiClient({ baseUrl: sim.url, tokens, timeoutMs: options.timeoutMs ?? 2_000, logger });
  return { sim, client, tokens, redis, keys, logs, fetchedTokens };
}

/**
 * A debug-level pino logger (an ApiLogger as the worker passes one) into a log sink. Plain pino,
 * without @wxq/logging's redaction: the leak checks must see what this library wrote, not what a
 * redacting logger would have hidden.
 */
export function createCapturingLogger(): { readonly logger: Logger; readonly logs: LogSink } {
  const logs = createLogSink();
  return { logger: pino({ level: 'debug' }, logs.stream), logs };
}

/** The errcodes the simulator answered on `path`, in order (null: no errcode, e.g. a dropped connection). */
export function errcodesOn(sim: WechatApiSimulator, path: string): (number | null)[] {
  return sim.calls.filter((call) => call.path === path).map((call) => call.errcode);
}

/** What a promise rejected with; fails the test if it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
