import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { ACCOUNT, OPENID, classicToken, getJson, postJson, sendUrl, startTestSimulator } from '../../test/helpers.js';

const SEND = '/cgi-bin/message/custom/send';
const text = (content: string) => ({ touser: OPENID, msgtype: 'text', text: { content } });

describe('injectFault', () => {
  it('answers an errcode instead of the real result, once by default', async () => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    sim.injectFault({ path: SEND, errcode: 48001 });
    const faulted = await postJson(sendUrl(sim, token), text('one'));
    const real = await postJson(sendUrl(sim, token), text('two'));
    expect(faulted).toMatchObject({
      status: 200,
      json: { errcode: 48001, errmsg: expect.stringMatching(/^simulated error rid: /) as unknown },
    });
    expect(real.json).toEqual({ errcode: 0, errmsg: 'ok' });
    expect(sim.sends).toHaveLength(1);
    expect(sim.calls.slice(-2).map((c) => [c.errcode, c.faulted, c.appId])).toEqual([
      [48001, true, ACCOUNT.appId],
      [0, false, ACCOUNT.appId],
    ]);
  });

  it('uses WeChat’s errmsg for codes it knows, e.g. -1', async () => {
    const sim = await startTestSimulator();
    sim.injectFault({ path: '/cgi-bin/token', errcode: -1 });
    const { json } = await getJson(
      `${sim.url}/cgi-bin/token?grant_type=client_credential&appid=${ACCOUNT.appId}&secret=${ACCOUNT.appSecret}`,
    );
    expect(json['errcode']).toBe(-1);
    expect(json['errmsg']).toMatch(/^system error rid: /);
    expect(sim.tokenMints()).toEqual({ token: 0, stable_token: 0 });
  });

  it('answers an HTTP status with an HTML body, as a proxy would', async () => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    sim.injectFault({ path: SEND, httpStatus: 502 });
    const response = await fetch(sendUrl(sim, token), { method: 'POST', body: JSON.stringify(text('x')) });
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('text/html');
    expect(await response.text()).toContain('502');
    expect(sim.calls.at(-1)).toMatchObject({ httpStatus: 502, errcode: null, faulted: true });
    expect(sim.sends).toEqual([]);
  });

  it('answers an HTTP status with an errcode body when both are given', async () => {
    const sim = await startTestSimulator();
    sim.injectFault({ path: '/cgi-bin/getcallbackip', httpStatus: 503, errcode: -1 });
    const { status, json } = await getJson(`${sim.url}/cgi-bin/getcallbackip`);
    expect(status).toBe(503);
    expect(json['errcode']).toBe(-1);
  });

  it('delays by latencyMs, then gives the real result', async () => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    sim.injectFault({ path: SEND, latencyMs: 200 });
    const started = performance.now();
    const answer = await postJson(sendUrl(sim, token), text('slow'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(answer.json['errcode']).toBe(0);
    expect(sim.calls.at(-1)?.faulted).toBe(false);
  });

  it('still performs a send whose client gave up during the latency (the double-send case, docs/wechat-protocol.md §7.5)', async () => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    sim.injectFault({ path: SEND, latencyMs: 300 });
    const request = fetch(sendUrl(sim, token), {
      method: 'POST',
      body: JSON.stringify(text('late')),
      signal: AbortSignal.timeout(50),
    });
    await expect(request).rejects.toMatchObject({ name: 'TimeoutError' });
    const sends = await sim.waitForSends(1, 5000);
    expect(sends[0]?.message).toEqual(text('late'));
  });

  it('drops the connection without an answer', async () => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    sim.injectFault({ path: SEND, dropConnection: true });
    await expect(postJson(sendUrl(sim, token), text('lost'))).rejects.toThrow(TypeError);
    expect(sim.calls.at(-1)).toMatchObject({
      path: SEND,
      httpStatus: null,
      errcode: null,
      faulted: true,
      appId: ACCOUNT.appId,
    });
    expect(sim.sends).toEqual([]);
    expect((await postJson(sendUrl(sim, token), text('next'))).json['errcode']).toBe(0);
  });

  it('applies `times` times, then stops', async () => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    sim.injectFault({ path: SEND, errcode: 45011, times: 2 });
    const codes = [];
    for (let i = 0; i < 3; i += 1) codes.push((await postJson(sendUrl(sim, token), text(String(i)))).json['errcode']);
    expect(codes).toEqual([45011, 45011, 0]);
  });

  it('applies forever with times: Infinity, until clearFaults', async () => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    sim.injectFault({ path: SEND, errcode: 45009, times: Number.POSITIVE_INFINITY });
    for (let i = 0; i < 5; i += 1) expect((await postJson(sendUrl(sim, token), text('x'))).json['errcode']).toBe(45009);
    sim.clearFaults();
    expect((await postJson(sendUrl(sim, token), text('x'))).json['errcode']).toBe(0);
  });

  it('applies only where `when` says so, and sees the parsed body', async () => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    const blocked = 'oBLOCKEDuser0123456789abcdef';
    sim.injectFault({
      path: SEND,
      errcode: 48002,
      times: Number.POSITIVE_INFINITY,
      when: (request) => (request.body as { touser?: unknown } | undefined)?.touser === blocked,
    });
    expect((await postJson(sendUrl(sim, token), { ...text('hi'), touser: blocked })).json['errcode']).toBe(48002);
    expect((await postJson(sendUrl(sim, token), text('hi'))).json['errcode']).toBe(0);
  });

  it('takes the first matching fault in the order injected, and only on its path', async () => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    sim.injectFault({ path: SEND, errcode: 45047 });
    sim.injectFault({ path: SEND, errcode: 43004 });
    expect(await probe(sim.url, token)).toBe(0);
    const codes = [];
    for (let i = 0; i < 3; i += 1) codes.push((await postJson(sendUrl(sim, token), text('x'))).json['errcode']);
    expect(codes).toEqual([45047, 43004, 0]);
  });

  it('refuses a fault that could never apply', async () => {
    const sim = await startTestSimulator();
    expect(() => {
      sim.injectFault({ path: 'cgi-bin/token', errcode: -1 });
    }).toThrow(RangeError);
    expect(() => {
      sim.injectFault({ path: SEND, errcode: -1, times: 0 });
    }).toThrow(RangeError);
    expect(() => {
      sim.injectFault({ path: SEND, errcode: -1, times: 1.5 });
    }).toThrow(RangeError);
    expect(() => {
      sim.injectFault({ path: SEND, httpStatus: 99 });
    }).toThrow(RangeError);
    expect(() => {
      sim.injectFault({ path: SEND, times: 3 });
    }).toThrow(RangeError);
    expect(() => {
      sim.injectFault({ path: SEND, latencyMs: -1 });
    }).toThrow(RangeError);
  });
});

async function probe(url: string, token: string): Promise<unknown> {
  const { json } = await getJson(`${url}/cgi-bin/getcallbackip?access_token=${token}`);
  return json['errcode'] ?? 0;
}
