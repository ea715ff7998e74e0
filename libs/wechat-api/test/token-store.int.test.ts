import { randomUUID } from 'node:crypto';
import { LOG_LEVELS, waitFor } from '@wxq/testing';
import { Redis } from 'ioredis';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { TokenStoreError, WechatErrcodeError } from '../src/errors.js';
import type { AccessTokenResult } from '../src/token-endpoints.js';
import {
  type TokenStore,
  type TokenStoreKeys,
  type TokenStoreOptions,
  cacheTtlSeconds,
  createTokenStore,
} from '../src/token-store.js';
import { createCapturingLogger, tokenKeys } from './harness.js';

const APP_ID = 'wx0123456789abcdef';

/** A connection of the test's own, closed when the test ends. */
function connect(): Redis {
  const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
  onTestFinished(async () => {
    await redis.quit();
  });
  return redis;
}

/** A fresh key prefix, and its keys deleted when the test ends (the Redis may be shared). */
function isolatedPrefix(redis: Redis): { keyPrefix: string; keys: TokenStoreKeys } {
  const keyPrefix = `test-${randomUUID()}`;
  const keys = tokenKeys(APP_ID, keyPrefix);
  onTestFinished(async () => {
    await redis.del(keys.token, keys.lock);
  });
  return { keyPrefix, keys };
}

interface Deferred {
  readonly promise: Promise<void>;
  open(): void;
}

function gate(): Deferred {
  let resolveGate: (() => void) | undefined;
  const promise = new Promise<void>((resolve) => {
    resolveGate = resolve;
  });
  return { promise, open: () => resolveGate?.() };
}

/**
 * Our own fetchToken callback (not a mock of fetch or Redis): counts calls, mints a distinct token
 * per call, and can hold every call until `release` opens or fail with `failWith`.
 */
function countingFetch(options: { expiresInSeconds?: number; release?: Deferred; failWith?: () => unknown } = {}) {
  const calls: number[] = [];
  const tokens: string[] = [];
  const fetchToken = async (): Promise<AccessTokenResult> => {
    calls.push(performance.now());
    await options.release?.promise;
    if (options.failWith !== undefined) throw options.failWith();
    const accessToken = `token-${calls.length}-${randomUUID()}`;
    tokens.push(accessToken);
    return { accessToken, expiresInSeconds: options.expiresInSeconds ?? 7200 };
  };
  return { fetchToken, calls, tokens, count: () => calls.length };
}

type StoreSettings = Omit<TokenStoreOptions, 'redis' | 'appId' | 'keys'>;

/** `n` stores as `n` processes would have them: one connection each, one shared prefix. */
function stores(n: number, keyPrefix: string, settings: StoreSettings): TokenStore[] {
  return Array.from({ length: n }, () =>
    createTokenStore({ redis: connect(), appId: APP_ID, keys: tokenKeys(APP_ID, keyPrefix), ...settings }),
  );
}

/**
 * A real connection seen through a Proxy that counts the store's commands and can act right after a
 * GET answers, as another process would between two of our commands. Redis itself is not faked.
 * A script run is one EVALSHA (then an EVAL only when this server had not seen the script yet, which
 * depends on the suites before: not counted).
 */
function observe(redis: Redis, afterGet?: (value: string | null) => Promise<void>) {
  const counts = { get: 0, set: 0, evalsha: 0 };
  const observed = new Proxy(redis, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if ((property !== 'get' && property !== 'set' && property !== 'evalsha') || typeof value !== 'function')
        return value;
      return async (...args: unknown[]) => {
        counts[property] += 1;
        const result: unknown = await (value as (...rest: unknown[]) => Promise<unknown>).apply(target, args);
        if (property === 'get') await afterGet?.(result as string | null);
        return result;
      };
    },
  });
  return { redis: observed, counts };
}

function oneStore(keyPrefix: string, settings: StoreSettings): TokenStore {
  return createTokenStore({ redis: connect(), appId: APP_ID, keys: tokenKeys(APP_ID, keyPrefix), ...settings });
}

describe('createTokenStore: one token per appid across processes', () => {
  it('20 concurrent getToken() calls from 5 connections cause exactly one fetch and agree on the token', async () => {
    const redis = connect();
    const { keyPrefix, keys } = isolatedPrefix(redis);
    const release = gate();
    const fake = countingFetch({ release });
    const processes = stores(5, keyPrefix, { fetchToken: fake.fetchToken });

    const results = Promise.all(processes.flatMap((store) => Array.from({ length: 4 }, () => store.getToken())));
    await waitFor(() => fake.count() === 1, { message: 'one process fetches' });
    expect(await redis.exists(keys.lock)).toBe(1);
    release.open();

    const tokens = await results;
    expect(tokens).toHaveLength(20);
    expect(new Set(tokens)).toStrictEqual(new Set(fake.tokens));
    expect(fake.count()).toBe(1);
    expect(await redis.get(keys.token)).toBe(fake.tokens[0]);
    expect(await redis.exists(keys.lock)).toBe(0);
  });

  it('lets concurrent callers in one process share one read, one lock attempt and one fetch', async () => {
    const redis = connect();
    const { keyPrefix } = isolatedPrefix(redis);
    const fake = countingFetch();
    const { redis: observed, counts } = observe(connect());
    const store = createTokenStore({
      redis: observed,
      appId: APP_ID,
      keys: tokenKeys(APP_ID, keyPrefix),
      fetchToken: fake.fetchToken,
      rememberMs: 0,
    });

    const tokens = await Promise.all(Array.from({ length: 20 }, () => store.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(fake.count()).toBe(1);
    // One read, one lock, one re-read under the lock; then one write and one release.
    expect(counts).toStrictEqual({ get: 2, set: 1, evalsha: 2 });

    await Promise.all(Array.from({ length: 20 }, () => store.getToken()));
    expect(counts.get).toBe(3);
  });

  it('remembers the token it read for rememberMs: no read of the key meanwhile, the new token after', async () => {
    const redis = connect();
    const { keyPrefix, keys } = isolatedPrefix(redis);
    await redis.set(keys.token, 'first-token', 'EX', 60);
    const { redis: observed, counts } = observe(connect());
    const store = createTokenStore({
      redis: observed,
      appId: APP_ID,
      keys: tokenKeys(APP_ID, keyPrefix),
      fetchToken: countingFetch().fetchToken,
      rememberMs: 1_000,
    });

    expect(await store.getToken()).toBe('first-token');
    // Another process refreshed meanwhile; WeChat keeps the old token working for 5 minutes.
    await redis.set(keys.token, 'second-token', 'EX', 60);
    expect(await store.getToken()).toBe('first-token');
    expect(counts.get).toBe(1);
    await waitFor(async () => (await store.getToken()) === 'second-token', {
      message: 'the key read again once rememberMs passed',
      intervalMs: 50,
    });
    expect(counts.get).toBe(2);
  });

  it('forgets the remembered token when told a token was refused', async () => {
    const redis = connect();
    const { keyPrefix, keys } = isolatedPrefix(redis);
    await redis.set(keys.token, 'first-token', 'EX', 60);
    const store = oneStore(keyPrefix, { fetchToken: countingFetch().fetchToken, rememberMs: 60_000 });

    expect(await store.getToken()).toBe('first-token');
    await redis.set(keys.token, 'second-token', 'EX', 60);
    await store.invalidate('first-token');
    expect(await store.getToken()).toBe('second-token');
  });

  it('never hands out the refused token while its delete is under way', async () => {
    const redis = connect();
    const { keyPrefix, keys } = isolatedPrefix(redis);
    await redis.set(keys.token, 'refused-token', 'EX', 60);
    const store = oneStore(keyPrefix, { fetchToken: countingFetch().fetchToken, rememberMs: 60_000 });

    expect(await store.getToken()).toBe('refused-token');
    await redis.set(keys.token, 'good-token', 'EX', 60);
    const invalidated = store.invalidate('refused-token');
    const meanwhile = store.getToken();
    await invalidated;
    expect(await meanwhile).toBe('good-token');
  });

  it('checks the key again after taking the lock: a token another process wrote meanwhile is used, not refetched', async () => {
    const redis = connect();
    const { keyPrefix, keys } = isolatedPrefix(redis);
    const fake = countingFetch();
    let hasInterleaved = false;
    // Between our first read (empty) and our lock, another process finishes its refresh.
    const { redis: observed } = observe(connect(), async (value) => {
      if (value !== null || hasInterleaved) return;
      hasInterleaved = true;
      await redis.set(keys.token, 'written-meanwhile', 'EX', 60);
    });
    const store = createTokenStore({
      redis: observed,
      appId: APP_ID,
      keys: tokenKeys(APP_ID, keyPrefix),
      fetchToken: fake.fetchToken,
    });

    expect(await store.getToken()).toBe('written-meanwhile');
    expect(hasInterleaved).toBe(true);
    expect(fake.count()).toBe(0);
    expect(await redis.exists(keys.lock)).toBe(0);
  });

  it('reuses the cached token, in any process, for expires_in minus the margin', async () => {
    const redis = connect();
    const { keyPrefix, keys } = isolatedPrefix(redis);
    const fake = countingFetch({ expiresInSeconds: 7200 });
    const first = oneStore(keyPrefix, { fetchToken: fake.fetchToken, refreshMarginSeconds: 300 });
    const second = oneStore(keyPrefix, { fetchToken: fake.fetchToken, refreshMarginSeconds: 300 });

    const token = await first.getToken();
    expect(await first.getToken()).toBe(token);
    expect(await second.getToken()).toBe(token);
    expect(fake.count()).toBe(1);
    const ttlSeconds = await redis.ttl(keys.token);
    expect(ttlSeconds).toBeGreaterThan(6890);
    expect(ttlSeconds).toBeLessThanOrEqual(6900);
  });

  it('refreshes before WeChat would expire the token (the margin)', async () => {
    const redis = connect();
    const { keyPrefix } = isolatedPrefix(redis);
    // WeChat says 2 s; a 1 s margin caches it for 1 s.
    const fake = countingFetch({ expiresInSeconds: 2 });
    const store = oneStore(keyPrefix, { fetchToken: fake.fetchToken, refreshMarginSeconds: 1, rememberMs: 0 });

    const first = await store.getToken();
    const second = await waitFor(async () => ((await store.getToken()) !== first ? store.getToken() : undefined), {
      message: 'a new token after the cached one expired',
      intervalMs: 100,
    });
    expect(second).toBe(fake.tokens[1]);
    expect(fake.count()).toBe(2);
    const [firstFetch, secondFetch] = fake.calls;
    expect((secondFetch ?? Infinity) - (firstFetch ?? 0)).toBeLessThan(2_000);
  });

  it('invalidate(bad) deletes the cached token only while it still equals the refused one', async () => {
    const redis = connect();
    const { keyPrefix, keys } = isolatedPrefix(redis);
    const fake = countingFetch();
    const store = oneStore(keyPrefix, { fetchToken: fake.fetchToken });

    const current = await store.getToken();
    await store.invalidate('a-token-someone-else-already-replaced');
    expect(await redis.get(keys.token)).toBe(current);
    expect(await store.getToken()).toBe(current);
    expect(fake.count()).toBe(1);

    await store.invalidate(current);
    expect(await redis.exists(keys.token)).toBe(0);
    const fresh = await store.getToken();
    expect(fresh).not.toBe(current);
    expect(fake.count()).toBe(2);
  });

  it('after an invalidation, 20 concurrent callers in 5 processes cause one refresh', async () => {
    const redis = connect();
    const { keyPrefix } = isolatedPrefix(redis);
    const fake = countingFetch();
    const processes = stores(5, keyPrefix, { fetchToken: fake.fetchToken });
    const refused = await processes[0]?.getToken();
    if (refused === undefined) throw new Error('no token');

    // Every process saw the refusal and reports it, as workers sharing a refused token would.
    const tokens = await Promise.all(
      processes.flatMap((store) =>
        Array.from({ length: 4 }, async () => {
          await store.invalidate(refused);
          return store.getToken();
        }),
      ),
    );
    expect(fake.count()).toBe(2);
    expect(new Set(tokens)).toStrictEqual(new Set([fake.tokens[1]]));
  });

  it('a fetch that throws releases the lock and propagates its typed error; the next call fetches again', async () => {
    const redis = connect();
    const { keyPrefix, keys } = isolatedPrefix(redis);
    const refusal = new WechatErrcodeError(
      '/cgi-bin/stable_token',
      40164,
      'invalid ip 203.0.113.9, not in whitelist rid: 1-2-3',
      'token_endpoint',
    );
    const failing = countingFetch({ failWith: () => refusal });
    const store = oneStore(keyPrefix, { fetchToken: failing.fetchToken });

    await expect(store.getToken()).rejects.toBe(refusal);
    expect(refusal.kind).toBe('permanent');
    expect(await redis.exists(keys.lock)).toBe(0);
    expect(await redis.exists(keys.token)).toBe(0);
    await expect(store.getToken()).rejects.toBe(refusal);
    expect(failing.count()).toBe(2);
  });

  it('wraps anything else a fetch throws in a TokenStoreError that keeps the cause', async () => {
    const redis = connect();
    const { keyPrefix, keys } = isolatedPrefix(redis);
    const bug = new Error('fetchToken bug');
    const store = oneStore(keyPrefix, { fetchToken: countingFetch({ failWith: () => bug }).fetchToken });

    const error: unknown = await store.getToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenStoreError);
    expect(error).toMatchObject({ code: 'token_fetch_failed', kind: 'permanent', cause: bug });
    expect(await redis.exists(keys.lock)).toBe(0);
  });

  it('refuses a fetch result without a token or a positive lifetime, and caches nothing', async () => {
    const redis = connect();
    const { keyPrefix, keys } = isolatedPrefix(redis);
    const store = oneStore(keyPrefix, {
      fetchToken: () => Promise.resolve({ accessToken: 'tok', expiresInSeconds: 0 }),
    });

    await expect(store.getToken()).rejects.toMatchObject({
      name: 'TokenStoreError',
      code: 'bad_token',
      kind: 'permanent',
    });
    expect(await redis.exists(keys.token)).toBe(0);
    expect(await redis.exists(keys.lock)).toBe(0);
  });

  it('proceeds once the lock of a process that died mid-refresh expires', async () => {
    const redis = connect();
    const { keyPrefix, keys } = isolatedPrefix(redis);
    // The dead holder: its lock stays until its PX runs out.
    await redis.set(keys.lock, 'process-that-died', 'PX', 400);
    const fake = countingFetch();
    const store = oneStore(keyPrefix, { fetchToken: fake.fetchToken, waitTimeoutMs: 5_000 });

    const started = performance.now();
    const token = await store.getToken();
    expect(token).toBe(fake.tokens[0]);
    expect(fake.count()).toBe(1);
    expect((fake.calls[0] ?? 0) - started).toBeGreaterThanOrEqual(300);
    expect(await redis.exists(keys.lock)).toBe(0);
  });

  it("does not cache a token fetched after its lock expired, so a later holder's token survives", async () => {
    const redis = connect();
    const { keyPrefix, keys } = isolatedPrefix(redis);
    const release = gate();
    const fake = countingFetch({ release });
    const { logger, logs } = createCapturingLogger();
    const store = oneStore(keyPrefix, { fetchToken: fake.fetchToken, lockTtlMs: 100, logger });

    const slow = store.getToken();
    await waitFor(async () => fake.count() === 1 && (await redis.exists(keys.lock)) === 0, {
      message: 'the lock expired mid-fetch',
    });
    // Meanwhile another process took the lock and cached its own token.
    await redis.set(keys.lock, 'later-holder', 'PX', 10_000);
    await redis.set(keys.token, 'later-token', 'EX', 60);
    release.open();

    expect(await slow).toBe(fake.tokens[0]);
    expect(await redis.get(keys.token)).toBe('later-token');
    expect(await redis.get(keys.lock)).toBe('later-holder');
    expect(logs.lines().map((line) => line['level'])).toContain(LOG_LEVELS.warn);
  });

  it('gives up waiting on a refresh that takes too long with a retryable TokenStoreError', async () => {
    const redis = connect();
    const { keyPrefix, keys } = isolatedPrefix(redis);
    await redis.set(keys.lock, 'slow-process', 'PX', 10_000);
    const fake = countingFetch();
    const store = oneStore(keyPrefix, { fetchToken: fake.fetchToken, waitTimeoutMs: 200 });

    await expect(store.getToken()).rejects.toMatchObject({
      name: 'TokenStoreError',
      code: 'token_wait_timeout',
      kind: 'retryable',
    });
    expect(fake.count()).toBe(0);
    expect(await redis.get(keys.lock)).toBe('slow-process');
  });

  it('never logs the token', async () => {
    const redis = connect();
    const { keyPrefix } = isolatedPrefix(redis);
    const { logger, logs } = createCapturingLogger();
    const fake = countingFetch();
    const store = oneStore(keyPrefix, { fetchToken: fake.fetchToken, logger });

    const token = await store.getToken();
    await store.invalidate(token);
    await store.getToken();
    expect(logs.lines().map((line) => line['msg'])).toEqual(
      expect.arrayContaining(['access_token refreshed', 'access_token invalidated']),
    );
    for (const minted of fake.tokens) expect(logs.text()).not.toContain(minted);
  });

  it('rejects options it cannot work with', () => {
    const redis = connect();
    const fetchToken = countingFetch().fetchToken;
    expect(() => createTokenStore({ redis, appId: '', keys: tokenKeys('', 'x'), fetchToken })).toThrow(RangeError);
    expect(() =>
      createTokenStore({ redis, appId: APP_ID, keys: tokenKeys(APP_ID, 'x'), fetchToken, lockTtlMs: 0 }),
    ).toThrow(RangeError);
    expect(() =>
      createTokenStore({ redis, appId: APP_ID, keys: tokenKeys(APP_ID, 'x'), fetchToken, refreshMarginSeconds: -1 }),
    ).toThrow(RangeError);
    expect(() =>
      createTokenStore({ redis, appId: APP_ID, keys: tokenKeys(APP_ID, 'x'), fetchToken, rememberMs: 1.5 }),
    ).toThrow(RangeError);
  });
});

describe('createTokenStore({ readOnly: true }): another system owns the token', () => {
  it('never fetches, and says clearly that the token is absent', async () => {
    const redis = connect();
    const { keyPrefix, keys } = isolatedPrefix(redis);
    const fake = countingFetch();
    const store = oneStore(keyPrefix, { fetchToken: fake.fetchToken, readOnly: true });

    const error: unknown = await store.getToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenStoreError);
    expect(error).toMatchObject({ code: 'token_absent', kind: 'retryable', api: 'token-store' });
    expect((error as Error).message).toContain(APP_ID);
    expect((error as Error).message).toContain('read-only');
    expect(fake.count()).toBe(0);
    expect(await redis.exists(keys.lock)).toBe(0);
    expect(await redis.exists(keys.token)).toBe(0);
  });

  it('reads the token its owner wrote, and leaves it alone when told it was refused', async () => {
    const redis = connect();
    const { keyPrefix, keys } = isolatedPrefix(redis);
    await redis.set(keys.token, 'owners-token', 'EX', 60);
    const fake = countingFetch();
    const { logger, logs } = createCapturingLogger();
    const store = oneStore(keyPrefix, { fetchToken: fake.fetchToken, readOnly: true, logger });

    expect(await store.getToken()).toBe('owners-token');
    await store.invalidate('owners-token');
    expect(await redis.get(keys.token)).toBe('owners-token');
    expect(await store.getToken()).toBe('owners-token');
    expect(fake.count()).toBe(0);
    expect(logs.text()).not.toContain('owners-token');
  });
});

// The behaviour both modes share: one contract, each implementation runs it.
describe.each([
  { mode: 'owner', readOnly: false },
  { mode: 'read-only', readOnly: true },
])('token store contract ($mode)', ({ readOnly }) => {
  it('returns the token in the key without fetching', async () => {
    const redis = connect();
    const { keyPrefix, keys } = isolatedPrefix(redis);
    await redis.set(keys.token, 'shared-token', 'EX', 60);
    const fake = countingFetch();
    const store = oneStore(keyPrefix, { fetchToken: fake.fetchToken, readOnly });

    expect(await Promise.all([store.getToken(), store.getToken()])).toStrictEqual(['shared-token', 'shared-token']);
    expect(fake.count()).toBe(0);
  });

  it('keeps the key when told about a token that is no longer current', async () => {
    const redis = connect();
    const { keyPrefix, keys } = isolatedPrefix(redis);
    await redis.set(keys.token, 'current-token', 'EX', 60);
    const store = oneStore(keyPrefix, { fetchToken: countingFetch().fetchToken, readOnly });

    await store.invalidate('old-token');
    expect(await redis.get(keys.token)).toBe('current-token');
    expect(await store.getToken()).toBe('current-token');
  });
});

describe('cacheTtlSeconds', () => {
  it('is expires_in minus the margin, but at least half the lifetime and at least 1 s', () => {
    expect(cacheTtlSeconds(7200, 300)).toBe(6900);
    expect(cacheTtlSeconds(7200, 0)).toBe(7200);
    // stable_token may answer 300 s (docs/wechat-protocol.md §6.1); a 300 s margin would cache it for nothing.
    expect(cacheTtlSeconds(300, 300)).toBe(150);
    expect(cacheTtlSeconds(2, 1)).toBe(1);
    expect(cacheTtlSeconds(1, 300)).toBe(1);
  });
});
