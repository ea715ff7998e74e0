import { randomUUID } from 'node:crypto';
import { createKeys } from '@wxq/redis';
import { signPlaintextPush, waitFor } from '@wxq/testing';
import { type WechatApiSimulator, startWechatApiSimulator } from '@wxq/wechat-sim';
import { Redis } from 'ioredis';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { type TestGateway, useGateway } from './helpers/harness.js';
import { APP_ID, DEFAULT_ACCOUNT, textXml } from './helpers/pushes.js';

// WECHAT_IP_ALLOWLIST=auto against the simulator's getcallbackip (docs/wechat-protocol.md §5.5).

const APP_SECRET = 'gatewayAutoAllowlistSecret0123456';
const WECHAT_RANGE = '203.0.113.0/24';
const IN_RANGE = '203.0.113.7';
const OTHER_WECHAT_ADDRESS = '198.18.0.1';
const OUTSIDE = '198.51.100.9';
const GETCALLBACKIP = '/cgi-bin/getcallbackip';
const DAY_MS = 24 * 60 * 60 * 1000;

async function useSimulator(callbackIps: readonly string[]): Promise<WechatApiSimulator> {
  const sim = await startWechatApiSimulator({ accounts: [{ appId: APP_ID, appSecret: APP_SECRET }], callbackIps });
  onTestFinished(() => sim.stop());
  return sim;
}

/** `awaitReady: false` for a gateway that may never know a list (its /readyz stays 503). */
function autoGateway(sim: WechatApiSimulator, prefix: string, awaitReady = true): Promise<TestGateway> {
  return useGateway({
    awaitReady,
    env: {
      WECHAT_IP_ALLOWLIST: 'auto',
      WECHAT_APPSECRET: APP_SECRET,
      WECHAT_API_BASE_URL: sim.url,
      WXQ_QUEUE_PREFIX: prefix,
      // The tests play WeChat's addresses through X-Forwarded-For, as nginx would set it.
      TRUST_PROXY: '1',
    },
  });
}

async function pushFrom(gateway: TestGateway, ip: string): Promise<number> {
  const push = signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT });
  return (await gateway.push(push, '/wechat', { 'x-forwarded-for': ip })).status;
}

function getcallbackipCalls(sim: WechatApiSimulator): number {
  return sim.calls.filter((call) => call.path === GETCALLBACKIP).length;
}

function logged(gateway: TestGateway, msg: RegExp) {
  return gateway.logs.lines().find((line) => msg.test(String(line['msg'])));
}

/** A cached list as a gateway stored it, fetched `ageMs` ago. */
function cachedList(ipList: readonly string[], ageMs: number): string {
  return JSON.stringify({ fetchedAt: Date.now() - ageMs, ipList });
}

/** Stores what a gateway of `prefix` finds in the cache when it starts. */
async function seedCache(prefix: string, value: string): Promise<void> {
  const redis = new Redis(inject('redisUrl'));
  try {
    await redis.set(createKeys(prefix).callbackIps(APP_ID), value);
  } finally {
    await redis.quit();
  }
}

describe('WECHAT_IP_ALLOWLIST=auto', () => {
  it('two gateways fetch getcallbackip once between them, and both refuse pushes from outside the list', async () => {
    const sim = await useSimulator([WECHAT_RANGE, OTHER_WECHAT_ADDRESS]);
    const prefix = `{test-${randomUUID()}}`;
    const gateways = await Promise.all([autoGateway(sim, prefix), autoGateway(sim, prefix)]);
    for (const gateway of gateways) {
      await waitFor(async () => (await pushFrom(gateway, IN_RANGE)) === 200, {
        timeoutMs: 10_000,
        message: 'the gateway to learn the callback IPs',
      });
      expect(await pushFrom(gateway, OTHER_WECHAT_ADDRESS)).toBe(200);
      expect(await pushFrom(gateway, OUTSIDE)).toBe(403);
      // The socket address (loopback) is not WeChat's either.
      expect((await gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }))).status).toBe(403);
    }
    expect(getcallbackipCalls(sim)).toBe(1);
    // One access_token too, which the workers would share.
    expect(sim.tokenMints(APP_ID)).toMatchObject({ stable_token: 1 });
    const [first] = gateways;
    expect(JSON.parse((await first.redis.get(createKeys(prefix).callbackIps(APP_ID))) ?? '{}')).toMatchObject({
      ipList: [WECHAT_RANGE, OTHER_WECHAT_ADDRESS],
    });
  });

  it('answers every push 503 and is not ready until a list is known, then judges by the list', async () => {
    const sim = await useSimulator([WECHAT_RANGE]);
    sim.injectFault({ path: GETCALLBACKIP, httpStatus: 503, times: Number.POSITIVE_INFINITY });
    const prefix = `{test-${randomUUID()}}`;
    const gateway = await autoGateway(sim, prefix, false);
    await waitFor(() => logged(gateway, /getcallbackip failed/), { message: 'the failed fetch to be logged' });
    // 503, not 403: WeChat does not retry a 403, so the push would be lost; a 503 it delivers again.
    expect(await pushFrom(gateway, IN_RANGE)).toBe(503);
    expect(await pushFrom(gateway, OUTSIDE)).toBe(503);
    expect((await gateway.send('/readyz')).status).toBe(503);
    expect((await gateway.send('/healthz')).status).toBe(200);
    expect(await gateway.jobCount()).toBe(0);
    // Answered, logged and counted like any other guard's refusal: one access line with the code.
    expect(
      gateway.logs
        .lines()
        .filter((line) => line['msg'] === 'push answered')
        .map((line) => [line['level'], line['outcome'], line['res']]),
    ).toEqual([
      [40, 'allowlist_unknown', { statusCode: 503 }],
      [40, 'allowlist_unknown', { statusCode: 503 }],
    ]);

    // Another gateway's fetch lands in the cache; this one picks it up without asking WeChat again.
    await seedCache(prefix, cachedList([WECHAT_RANGE], 60_000));
    await waitFor(async () => (await gateway.send('/readyz')).status === 200, { message: 'the list to be known' });
    expect(await pushFrom(gateway, IN_RANGE)).toBe(200);
    expect(await pushFrom(gateway, OUTSIDE)).toBe(403);
  });

  it('keeps the last good list while WeChat is unreachable', async () => {
    const sim = await useSimulator(['192.0.2.0/24']);
    sim.injectFault({ path: GETCALLBACKIP, dropConnection: true, times: Number.POSITIVE_INFINITY });
    const prefix = `{test-${randomUUID()}}`;
    const key = createKeys(prefix).callbackIps(APP_ID);
    // Yesterday's list: due for a refresh, which fails.
    await seedCache(prefix, cachedList([WECHAT_RANGE], DAY_MS + 60_000));
    const gateway = await autoGateway(sim, prefix);
    await waitFor(async () => (await pushFrom(gateway, IN_RANGE)) === 200, {
      timeoutMs: 10_000,
      message: 'the gateway to use the cached list',
    });
    await waitFor(() => logged(gateway, /getcallbackip failed: keeping the last good/), {
      timeoutMs: 10_000,
      message: 'the failed refresh to be logged',
    });
    expect(await pushFrom(gateway, OUTSIDE)).toBe(403);
    expect(await pushFrom(gateway, IN_RANGE)).toBe(200);
    expect(JSON.parse((await gateway.redis.get(key)) ?? '{}')).toMatchObject({ ipList: [WECHAT_RANGE] });
  });

  it.each([
    ['entries that are not addresses', ['203.0.113.0/24', 'not-an-ip', '300.1.1.1/8']],
    ['a prefix too long', ['203.0.113.0/33']],
    ['an empty list', []],
  ])('rejects and logs a malformed answer (%s), keeping the last good list', async (_case, answer) => {
    const sim = await useSimulator(answer);
    const prefix = `{test-${randomUUID()}}`;
    const key = createKeys(prefix).callbackIps(APP_ID);
    await seedCache(prefix, cachedList([WECHAT_RANGE], DAY_MS + 60_000));
    const gateway = await autoGateway(sim, prefix);
    const error = await waitFor(() => logged(gateway, /malformed list/), {
      timeoutMs: 10_000,
      message: 'the malformed answer to be logged',
    });
    expect(error).toMatchObject({ level: 50, appId: APP_ID });
    expect(await pushFrom(gateway, IN_RANGE)).toBe(200);
    expect(await pushFrom(gateway, OUTSIDE)).toBe(403);
    expect(JSON.parse((await gateway.redis.get(key)) ?? '{}')).toMatchObject({ ipList: [WECHAT_RANGE] });
  });

  it('uses a fresh cached list without asking WeChat', async () => {
    const sim = await useSimulator(['192.0.2.0/24']);
    const prefix = `{test-${randomUUID()}}`;
    await seedCache(prefix, cachedList([WECHAT_RANGE], 60_000));
    const gateway = await autoGateway(sim, prefix);
    await waitFor(async () => (await pushFrom(gateway, IN_RANGE)) === 200, { message: 'the cached list to be used' });
    expect(await pushFrom(gateway, '192.0.2.1')).toBe(403);
    expect(getcallbackipCalls(sim)).toBe(0);
  });

  it('refreshes a list stamped in the future, as a gateway with a wrong clock would write it', async () => {
    const sim = await useSimulator([WECHAT_RANGE]);
    const prefix = `{test-${randomUUID()}}`;
    await seedCache(prefix, cachedList(['192.0.2.0/24'], -DAY_MS));
    const gateway = await autoGateway(sim, prefix);
    await waitFor(async () => (await pushFrom(gateway, IN_RANGE)) === 200, { message: 'the fresh list to be used' });
    expect(getcallbackipCalls(sim)).toBe(1);
  });

  it('ignores a corrupt cache entry and fetches a fresh list', async () => {
    const sim = await useSimulator([WECHAT_RANGE]);
    const prefix = `{test-${randomUUID()}}`;
    await seedCache(prefix, '{"fetchedAt":"soon","ipList":"everyone"}');
    const gateway = await autoGateway(sim, prefix);
    await waitFor(async () => (await pushFrom(gateway, IN_RANGE)) === 200, {
      timeoutMs: 10_000,
      message: 'the gateway to fetch past the corrupt entry',
    });
    expect(await pushFrom(gateway, OUTSIDE)).toBe(403);
  });

  it('never logs the app secret or the access_token', async () => {
    const sim = await useSimulator([WECHAT_RANGE]);
    const gateway = await autoGateway(sim, `{test-${randomUUID()}}`);
    await waitFor(async () => (await pushFrom(gateway, IN_RANGE)) === 200, { message: 'the list to be known' });
    const token = await gateway.redis.get(createKeys(gateway.prefix).accessToken(APP_ID));
    expect(token).not.toBeNull();
    const logs = JSON.stringify(gateway.logs.lines());
    expect(logs).not.toContain(APP_SECRET);
    expect(logs).not.toContain(token);
  });
});
