import { describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  OTHER_ACCOUNT,
  classicToken,
  createClock,
  getJson,
  postJson,
  probeToken,
  stableToken,
  startTestSimulator,
} from '../../../test/helpers.js';

const RID = / rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;
const MINUTE = 60_000;

function tokenQuery(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

describe('GET /cgi-bin/token (classic, docs/wechat-protocol.md §6.1)', () => {
  it('mints a new token on every call', async () => {
    const sim = await startTestSimulator();
    const query = tokenQuery({ grant_type: 'client_credential', appid: ACCOUNT.appId, secret: ACCOUNT.appSecret });
    const first = await getJson(`${sim.url}/cgi-bin/token?${query}`);
    const second = await getJson(`${sim.url}/cgi-bin/token?${query}`);
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ access_token: expect.stringMatching(/^[\w-]{136}$/) as unknown, expires_in: 7200 });
    expect(second.json['access_token']).not.toBe(first.json['access_token']);
    expect(sim.tokenMints(ACCOUNT.appId)).toEqual({ token: 2, stable_token: 0 });
  });

  it('keeps the previous token valid for 5 minutes after the next is minted, then answers 40001', async () => {
    const clock = createClock();
    const sim = await startTestSimulator({ now: clock.now });
    const old = await classicToken(sim);
    clock.advance(30 * MINUTE);
    const fresh = await classicToken(sim);
    clock.advance(5 * MINUTE - 1);
    expect(await probeToken(sim, old)).toBe(0);
    clock.advance(1);
    expect(await probeToken(sim, old)).toBe(40001);
    expect(await probeToken(sim, fresh)).toBe(0);
  });

  it('a third mint does not extend the first token', async () => {
    const clock = createClock();
    const sim = await startTestSimulator({ now: clock.now });
    const first = await classicToken(sim);
    await classicToken(sim);
    clock.advance(4 * MINUTE);
    await classicToken(sim);
    clock.advance(MINUTE);
    expect(await probeToken(sim, first)).toBe(40001);
  });

  it('answers 42001 once the token has lived tokenTtlSeconds', async () => {
    const clock = createClock();
    const sim = await startTestSimulator({ now: clock.now, tokenTtlSeconds: 600 });
    const token = await classicToken(sim);
    clock.advance(600_000 - 1);
    expect(await probeToken(sim, token)).toBe(0);
    clock.advance(1);
    expect(await probeToken(sim, token)).toBe(42001);
  });

  it.each([
    [
      'a wrong grant_type',
      { grant_type: 'authorization_code', appid: ACCOUNT.appId, secret: ACCOUNT.appSecret },
      40002,
      'invalid grant_type',
    ],
    ['no grant_type', { appid: ACCOUNT.appId, secret: ACCOUNT.appSecret }, 40002, 'invalid grant_type'],
    [
      'an unknown appid',
      { grant_type: 'client_credential', appid: 'wxffffffffffffffff', secret: ACCOUNT.appSecret },
      40013,
      'invalid appid',
    ],
    ['no appid', { grant_type: 'client_credential', secret: ACCOUNT.appSecret }, 40013, 'invalid appid'],
    [
      'a malformed secret',
      { grant_type: 'client_credential', appid: ACCOUNT.appId, secret: 'short' },
      40125,
      'invalid appsecret',
    ],
    ['no secret', { grant_type: 'client_credential', appid: ACCOUNT.appId }, 40125, 'invalid appsecret'],
    [
      'a well-formed wrong secret',
      { grant_type: 'client_credential', appid: ACCOUNT.appId, secret: OTHER_ACCOUNT.appSecret },
      40001,
      'invalid credential, access_token is invalid or not latest',
    ],
  ])('answers %s with HTTP 200 and errcode %i', async (_name, params, errcode, errmsg) => {
    const sim = await startTestSimulator();
    const answer = await getJson(`${sim.url}/cgi-bin/token?${tokenQuery(params)}`);
    expect(answer.status).toBe(200);
    expect(answer.json['errcode']).toBe(errcode);
    expect(answer.json['errmsg']).toMatch(RID);
    expect(String(answer.json['errmsg']).replace(RID, '')).toBe(errmsg);
    expect(sim.tokenMints()).toEqual({ token: 0, stable_token: 0 });
  });

  it('records the call without the secret', async () => {
    const sim = await startTestSimulator();
    await classicToken(sim);
    expect(sim.calls).toEqual([
      {
        method: 'GET',
        path: '/cgi-bin/token',
        query: { grant_type: 'client_credential', appid: ACCOUNT.appId, secret: '[redacted]' },
        body: undefined,
        time: expect.any(Number) as unknown,
        appId: ACCOUNT.appId,
        httpStatus: 200,
        errcode: 0,
        faulted: false,
      },
    ]);
  });
});

describe('POST /cgi-bin/stable_token (docs/wechat-protocol.md §6.1)', () => {
  it('returns the same token while it has at least 5 minutes left', async () => {
    const clock = createClock();
    const sim = await startTestSimulator({ now: clock.now });
    const first = await stableToken(sim);
    clock.advance(10 * MINUTE);
    const second = await stableToken(sim);
    expect(first.expiresIn).toBe(7200);
    expect(second).toEqual({ token: first.token, expiresIn: 7200 - 600 });
    expect(sim.tokenMints(ACCOUNT.appId)).toEqual({ token: 0, stable_token: 1 });
  });

  it('rotates 5 minutes before expiry; the old token overlaps until its own expiry', async () => {
    const clock = createClock();
    const sim = await startTestSimulator({ now: clock.now });
    const first = await stableToken(sim);
    clock.advance(7200_000 - 5 * MINUTE + 1);
    const second = await stableToken(sim);
    expect(second.token).not.toBe(first.token);
    expect(second.expiresIn).toBe(7200);
    expect(await probeToken(sim, first.token)).toBe(0);
    clock.advance(5 * MINUTE);
    expect(await probeToken(sim, first.token)).toBe(42001);
    expect(await probeToken(sim, second.token)).toBe(0);
  });

  it('force_refresh invalidates the previous token at once and mints a new one', async () => {
    const sim = await startTestSimulator();
    const first = await stableToken(sim);
    const forced = await stableToken(sim, true);
    expect(forced.token).not.toBe(first.token);
    expect(await probeToken(sim, first.token)).toBe(40001);
    expect(await probeToken(sim, forced.token)).toBe(0);
    expect((await stableToken(sim)).token).toBe(forced.token);
    expect(sim.tokenMints()).toEqual({ token: 0, stable_token: 2 });
  });

  it('is isolated from /cgi-bin/token in both directions', async () => {
    const sim = await startTestSimulator();
    const stable = await stableToken(sim);
    const classic = await classicToken(sim);
    await classicToken(sim);
    await stableToken(sim, true);
    expect(await probeToken(sim, classic)).toBe(0);
    const fresh = await stableToken(sim);
    expect(fresh.token).not.toBe(stable.token);
    expect(await probeToken(sim, fresh.token)).toBe(0);
  });

  it('counts mints per endpoint and per account', async () => {
    const sim = await startTestSimulator();
    await stableToken(sim, false, OTHER_ACCOUNT);
    await classicToken(sim, OTHER_ACCOUNT);
    await classicToken(sim);
    expect(sim.tokenMints(OTHER_ACCOUNT.appId)).toEqual({ token: 1, stable_token: 1 });
    expect(sim.tokenMints(ACCOUNT.appId)).toEqual({ token: 1, stable_token: 0 });
    expect(sim.tokenMints()).toEqual({ token: 2, stable_token: 1 });
    expect(() => sim.tokenMints('wxffffffffffffffff')).toThrow(RangeError);
  });

  const good = {
    grant_type: 'client_credential',
    appid: ACCOUNT.appId,
    secret: ACCOUNT.appSecret,
    force_refresh: false,
  };
  it.each([
    ['a body that is not JSON', '{"grant_type": client_credential}', 47001],
    ['a JSON array', '[1,2]', 47001],
    ['an empty body', '', 44002],
    ['a wrong grant_type', { ...good, grant_type: 'password' }, 40002],
    ['an unknown appid', { ...good, appid: 'wxffffffffffffffff' }, 40013],
    ['a malformed secret', { ...good, secret: 'x' }, 40125],
    ['a well-formed wrong secret', { ...good, secret: OTHER_ACCOUNT.appSecret }, 40001],
    ['a force_refresh that is not a boolean', { ...good, force_refresh: 'yes' }, 47001],
  ])('answers %s with errcode %i', async (_name, body, errcode) => {
    const sim = await startTestSimulator();
    const answer = await postJson(`${sim.url}/cgi-bin/stable_token`, body);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ errcode, errmsg: expect.stringMatching(RID) as unknown });
  });

  it('treats a missing force_refresh as normal mode', async () => {
    const sim = await startTestSimulator();
    const first = await stableToken(sim);
    const { json } = await postJson(`${sim.url}/cgi-bin/stable_token`, {
      grant_type: 'client_credential',
      appid: ACCOUNT.appId,
      secret: ACCOUNT.appSecret,
    });
    expect(json['access_token']).toBe(first.token);
  });

  it('records the body with the secret redacted', async () => {
    const sim = await startTestSimulator();
    await stableToken(sim);
    expect(sim.calls[0]?.body).toEqual({ ...good, secret: '[redacted]' });
  });
});

describe('invalidateTokens and expireTokens', () => {
  it('invalidateTokens turns every token of one account into 40001; the next stable call mints', async () => {
    const sim = await startTestSimulator();
    const classic = await classicToken(sim);
    const stable = await stableToken(sim);
    const other = await classicToken(sim, OTHER_ACCOUNT);
    sim.invalidateTokens(ACCOUNT.appId);
    expect(await probeToken(sim, classic)).toBe(40001);
    expect(await probeToken(sim, stable.token)).toBe(40001);
    expect(await probeToken(sim, other)).toBe(0);
    const next = await stableToken(sim);
    expect(next.token).not.toBe(stable.token);
    expect(await probeToken(sim, next.token)).toBe(0);
  });

  it('without an appId, applies to every account', async () => {
    const sim = await startTestSimulator();
    const mine = await classicToken(sim);
    const other = await classicToken(sim, OTHER_ACCOUNT);
    sim.invalidateTokens();
    expect(await probeToken(sim, mine)).toBe(40001);
    expect(await probeToken(sim, other)).toBe(40001);
  });

  it('expireTokens turns live tokens into 42001 and leaves superseded ones at 40001', async () => {
    const clock = createClock();
    const sim = await startTestSimulator({ now: clock.now });
    const superseded = await classicToken(sim);
    const classic = await classicToken(sim);
    clock.advance(6 * MINUTE);
    const stable = await stableToken(sim);
    sim.expireTokens(ACCOUNT.appId);
    expect(await probeToken(sim, classic)).toBe(42001);
    expect(await probeToken(sim, stable.token)).toBe(42001);
    expect(await probeToken(sim, superseded)).toBe(40001);
    expect((await stableToken(sim)).token).not.toBe(stable.token);
  });

  it('rejects an account the simulator does not have', async () => {
    const sim = await startTestSimulator();
    expect(() => {
      sim.invalidateTokens('wxffffffffffffffff');
    }).toThrow(RangeError);
    expect(() => {
      sim.expireTokens('wxffffffffffffffff');
    }).toThrow(RangeError);
  });
});

describe('access_token on business endpoints (docs/wechat-protocol.md §6.3)', () => {
  it.each([
    ['missing', '', 41001],
    ['empty', '?access_token=', 41001],
    ['malformed', '?access_token=bogus', 40014],
    ['well-formed but unknown', `?access_token=${'A'.repeat(136)}`, 40001],
  ])('answers a %s token with %i', async (_name, query, errcode) => {
    const sim = await startTestSimulator();
    const { status, json } = await getJson(`${sim.url}/cgi-bin/getcallbackip${query}`);
    expect(status).toBe(200);
    expect(json['errcode']).toBe(errcode);
    expect(sim.calls[0]).toMatchObject({ errcode, query: {}, appId: null });
  });
});
