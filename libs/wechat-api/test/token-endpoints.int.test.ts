import { inspect } from 'node:util';
import { type WechatApiSimulator, startWechatApiSimulator } from '@wxq/wechat-sim';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WechatErrcodeError, WechatTransportError } from '../src/errors.js';
import { ACCOUNT, rejectionOf } from './harness.js';
import { STABLE_TOKEN_PATH, TOKEN_PATH, fetchAccessToken, fetchStableAccessToken } from '../src/token-endpoints.js';

async function startSimulator(): Promise<WechatApiSimulator> {
  const sim = await startWechatApiSimulator({ accounts: [ACCOUNT] });
  onTestFinished(() => sim.stop());
  return sim;
}

const WRONG_SECRET = 'Wrong0123456789abcdef0123456789a'; // well-formed: 32 letters and digits

describe.each([
  { name: 'fetchAccessToken', path: TOKEN_PATH, fetch: fetchAccessToken },
  { name: 'fetchStableAccessToken', path: STABLE_TOKEN_PATH, fetch: fetchStableAccessToken },
])('$name ($path)', ({ path, fetch }) => {
  it('returns the token and its lifetime', async () => {
    const sim = await startSimulator();
    const result = await fetch({ baseUrl: sim.url, ...ACCOUNT, timeoutMs: 2_000 });
    expect(result.accessToken).toMatch(/^[A-Za-z0-9_-]{32,512}$/);
    expect(result.expiresInSeconds).toBe(7200);
  });

  it('40001 on a token endpoint means a wrong AppSecret: permanent, and the secret is not quoted (docs/wechat-protocol.md §6.3)', async () => {
    const sim = await startSimulator();
    const error = await rejectionOf(
      fetch({ baseUrl: sim.url, appId: ACCOUNT.appId, appSecret: WRONG_SECRET, timeoutMs: 2_000 }),
    );
    expect(error).toBeInstanceOf(WechatErrcodeError);
    expect(error).toMatchObject({ errcode: 40001, kind: 'permanent', api: path });
    expect(inspect(error, { depth: 10 })).not.toContain(WRONG_SECRET);
  });

  it.each([
    { case: 'a malformed secret', appId: ACCOUNT.appId, appSecret: 'short', errcode: 40125 },
    { case: 'an unknown appid', appId: 'wxffffffffffffffff', appSecret: ACCOUNT.appSecret, errcode: 40013 },
  ])('$case is permanent ($errcode)', async ({ appId, appSecret, errcode }) => {
    const sim = await startSimulator();
    await expect(fetch({ baseUrl: sim.url, appId, appSecret, timeoutMs: 2_000 })).rejects.toMatchObject({
      errcode,
      kind: 'permanent',
      api: path,
    });
  });

  it.each([
    { errcode: -1, kind: 'retryable' },
    { errcode: 40164, kind: 'permanent' },
    { errcode: 45009, kind: 'permanent' },
  ])('errcode $errcode is $kind', async ({ errcode, kind }) => {
    const sim = await startSimulator();
    sim.injectFault({ path, errcode });
    await expect(fetch({ baseUrl: sim.url, ...ACCOUNT, timeoutMs: 2_000 })).rejects.toMatchObject({ errcode, kind });
  });

  it.each([
    { fault: { httpStatus: 502 }, code: 'http_status' },
    { fault: { dropConnection: true }, code: 'network' },
    { fault: { latencyMs: 1_000 }, code: 'timeout' },
  ])('$code is retryable, and never quotes the secret', async ({ fault, code }) => {
    const sim = await startSimulator();
    sim.injectFault({ path, ...fault });
    const error = await rejectionOf(fetch({ baseUrl: sim.url, ...ACCOUNT, timeoutMs: 300 }));
    expect(error).toBeInstanceOf(WechatTransportError);
    expect(error).toMatchObject({ code, kind: 'retryable', api: path });
    expect(inspect(error, { depth: 10 })).not.toContain(ACCOUNT.appSecret);
  });
});

describe('the two endpoints differ as docs/wechat-protocol.md §6.1 says', () => {
  it('/cgi-bin/token mints a new token every call', async () => {
    const sim = await startSimulator();
    const first = await fetchAccessToken({ baseUrl: sim.url, ...ACCOUNT, timeoutMs: 2_000 });
    const second = await fetchAccessToken({ baseUrl: sim.url, ...ACCOUNT, timeoutMs: 2_000 });
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(sim.tokenMints(ACCOUNT.appId)).toStrictEqual({ token: 2, stable_token: 0 });
  });

  it('stable_token answers the same token until forced, and force_refresh replaces it', async () => {
    const sim = await startSimulator();
    const options = { baseUrl: sim.url, ...ACCOUNT, timeoutMs: 2_000 };
    const first = await fetchStableAccessToken(options);
    expect((await fetchStableAccessToken({ ...options, forceRefresh: false })).accessToken).toBe(first.accessToken);
    const forced = await fetchStableAccessToken({ ...options, forceRefresh: true });
    expect(forced.accessToken).not.toBe(first.accessToken);
    expect(sim.calls.filter((call) => call.path === STABLE_TOKEN_PATH).map((call) => call.body)).toStrictEqual([
      { grant_type: 'client_credential', appid: ACCOUNT.appId, secret: '[redacted]', force_refresh: false },
      { grant_type: 'client_credential', appid: ACCOUNT.appId, secret: '[redacted]', force_refresh: false },
      { grant_type: 'client_credential', appid: ACCOUNT.appId, secret: '[redacted]', force_refresh: true },
    ]);
  });
});
