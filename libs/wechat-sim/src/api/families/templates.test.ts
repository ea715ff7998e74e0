import { describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  OPENID,
  OTHER_ACCOUNT,
  classicToken,
  createClock,
  postJson,
  postRaw,
  rawMsgId,
  sendUrl,
  startTestSimulator,
  templateSendUrl,
} from '../../../test/helpers.js';
import type { WechatApiSimulatorOptions } from '../simulator.js';

// `message/template/send` over HTTP (docs/wechat-protocol.md §11): the answer, its msgid above 2^53,
// the body rules, client_msg_id and the daily quota on a manual clock.

const MINUTE = 60 * 1000;
/** 18:00 in Beijing (UTC+8): midnight there is six hours away. */
const START = Date.UTC(2024, 0, 1, 10, 0, 0);
const TWO_TO_53 = 2n ** 53n;
const SEND = { touser: OPENID, template_id: 'demo_template', data: { thing1: { value: 'Order 42' } } };

async function startRig(options: Partial<WechatApiSimulatorOptions> = {}) {
  const clock = createClock(START);
  const sim = await startTestSimulator({ now: clock.now, tokenTtlSeconds: 30 * 24 * 3600, ...options });
  const token = await classicToken(sim);
  const url = templateSendUrl(sim, token);
  const errcode = async (body: unknown): Promise<unknown> => (await postJson(url, body)).json['errcode'];
  return { sim, clock, token, url, errcode };
}

describe('message/template/send', () => {
  it('answers ok with a msgid above 2^53 as raw digits, and records the send', async () => {
    const { sim, url } = await startRig();
    const body = {
      ...SEND,
      url: 'https://example.com/order/42',
      miniprogram: { appid: 'wx1111111111111111', pagepath: 'pages/order?id=42' },
      client_msg_id: 'order-42-shipped',
    };
    const { status, text } = await postRaw(url, body);
    expect(status).toBe(200);
    expect(text).toMatch(/^\{"errcode":0,"errmsg":"ok","msgid":\d+\}$/);
    const msgid = rawMsgId(text) ?? '';
    expect(BigInt(msgid)).toBeGreaterThan(TWO_TO_53);
    expect(sim.templateSends).toEqual([{ appId: ACCOUNT.appId, ...body, msgid, time: START }]);
    expect(sim.calls.at(-1)).toMatchObject({ path: '/cgi-bin/message/template/send', errcode: 0 });
  });

  it('gives every send its own msgid', async () => {
    const { url } = await startRig();
    const ids = [];
    for (let i = 0; i < 3; i += 1) ids.push(rawMsgId((await postRaw(url, SEND)).text));
    expect(new Set(ids).size).toBe(3);
  });

  it('checks the token first, as every business endpoint does (docs/wechat-protocol.md §6.3)', async () => {
    const { sim, token } = await startRig();
    const base = `${sim.url}/cgi-bin/message/template/send`;
    expect((await postJson(base, SEND)).json['errcode']).toBe(41001);
    expect((await postJson(`${base}?access_token=forged`, SEND)).json['errcode']).toBe(40014);
    sim.invalidateTokens();
    expect((await postJson(templateSendUrl(sim, token), SEND)).json['errcode']).toBe(40001);
    const fresh = await classicToken(sim);
    sim.expireTokens();
    expect((await postJson(templateSendUrl(sim, fresh), SEND)).json['errcode']).toBe(42001);
    expect(sim.templateSends).toEqual([]);
  });

  it('answers 40037 for a template the account does not have, or a subscribe template', async () => {
    const { errcode } = await startRig({
      accounts: [ACCOUNT, { ...OTHER_ACCOUNT, templates: [{ id: 'other_only' }] }],
    });
    expect(await errcode({ ...SEND, template_id: 'nope' })).toBe(40037);
    expect(await errcode({ ...SEND, template_id: 'other_only' })).toBe(40037);
    expect(await errcode({ ...SEND, template_id: 'demo_subscribe_once' })).toBe(40037);
    expect(await errcode({ ...SEND, template_id: undefined })).toBe(40037);
  });

  it('serves the configured templates instead of the demo set', async () => {
    const rig = await startRig({
      accounts: [{ ...ACCOUNT, templates: [{ id: 'ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY' }] }],
    });
    expect(await rig.errcode({ ...SEND, template_id: 'ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY' })).toBe(0);
    expect(await rig.errcode(SEND)).toBe(40037);
  });

  it.each([
    ['an empty body', 44002, ''],
    ['a body that is not JSON', 47001, '{"touser":'],
    ['a JSON array', 47001, '[1,2]'],
    ['a JSON string', 47001, '"hello"'],
    ['touser of the wrong type', 47001, { ...SEND, touser: 42 }],
    ['template_id of the wrong type', 47001, { ...SEND, template_id: ['demo_template'] }],
    ['data as an array', 47001, { ...SEND, data: [{ value: 'x' }] }],
    ['data as a string', 47001, { ...SEND, data: 'thing1' }],
    ['url of the wrong type', 47001, { ...SEND, url: 42 }],
    ['miniprogram as a string', 47001, { ...SEND, miniprogram: 'wx1111111111111111' }],
    ['miniprogram with a numeric pagepath', 47001, { ...SEND, miniprogram: { appid: 'wx1', pagepath: 1 } }],
    ['client_msg_id of the wrong type', 47001, { ...SEND, client_msg_id: 7 }],
    ['no touser', 40003, { template_id: SEND.template_id, data: SEND.data }],
    ['an empty touser', 40003, { ...SEND, touser: '' }],
    ['a touser outside the OpenID alphabet', 40003, { ...SEND, touser: 'o<script>' }],
    ['a lone surrogate', 40033, { ...SEND, data: { thing1: { value: '\uD800' } } }],
    ['no data', 47003, { touser: OPENID, template_id: SEND.template_id }],
    ['empty data', 47003, { ...SEND, data: {} }],
    ['a keyword that is not an object', 47003, { ...SEND, data: { thing1: 'Order 42' } }],
    ['a keyword without value', 47003, { ...SEND, data: { thing1: { color: '#173177' } } }],
    ['a numeric value', 47003, { ...SEND, data: { thing1: { value: 42 } } }],
    ['a null value', 47003, { ...SEND, data: { thing1: { value: null } } }],
    ['miniprogram without appid', 47003, { ...SEND, miniprogram: { pagepath: 'pages/x' } }],
    ['an empty client_msg_id', 47003, { ...SEND, client_msg_id: '' }],
    ['a client_msg_id over 64 characters', 47003, { ...SEND, client_msg_id: 'x'.repeat(65) }],
  ])('answers %s with %i and records nothing', async (_name, expected, body) => {
    const { sim, url } = await startRig();
    const { status, text } = await postRaw(url, body);
    expect(status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ errcode: expected, errmsg: expect.stringMatching(/ rid: /) as unknown });
    expect(sim.templateSends).toEqual([]);
    expect(sim.reports).toEqual([]);
  });

  it('takes a client_msg_id of 64 characters, and keeps the retired color field of a keyword', async () => {
    const { sim, errcode } = await startRig();
    expect(
      await errcode({ ...SEND, client_msg_id: 'x'.repeat(64), data: { thing1: { value: 'a', color: '#173177' } } }),
    ).toBe(0);
    expect(sim.templateSends[0]?.data).toEqual({ thing1: { value: 'a', color: '#173177' } });
  });

  it('answers an oversized body 413 with 45002 and keeps serving', async () => {
    const { sim, url, errcode } = await startRig();
    const huge = { ...SEND, data: { thing1: { value: 'x'.repeat(2 * 1024 * 1024) } } };
    const { status, text } = await postRaw(url, huge);
    expect(status).toBe(413);
    expect(JSON.parse(text)).toMatchObject({ errcode: 45002 });
    expect(await errcode(SEND)).toBe(0);
    expect(sim.templateSends).toHaveLength(1);
  });

  it('answers 43002 to a GET', async () => {
    const { url } = await startRig();
    const response = await fetch(url);
    expect(((await response.json()) as Record<string, unknown>)['errcode']).toBe(43002);
  });

  describe('client_msg_id (docs/wechat-protocol.md §11.1)', () => {
    it('answers a repeat within 10 minutes with the same msgid and sends nothing', async () => {
      const { sim, clock, url } = await startRig();
      const body = { ...SEND, client_msg_id: 'order-42-shipped' };
      const first = rawMsgId((await postRaw(url, body)).text);
      clock.advance(10 * MINUTE - 1);
      // Even with other content: the key is (openid, client_msg_id).
      const again = await postRaw(url, { ...body, data: { thing1: { value: 'changed' } } });
      expect(again.text).toMatch(/^\{"errcode":0,"errmsg":"ok","msgid":\d+\}$/);
      expect(rawMsgId(again.text)).toBe(first);
      expect(sim.templateSends).toHaveLength(1);
      expect(sim.reports).toHaveLength(1);
    });

    it('sends again after 10 minutes, with a new msgid', async () => {
      const { sim, clock, url } = await startRig();
      const body = { ...SEND, client_msg_id: 'order-42-shipped' };
      const first = rawMsgId((await postRaw(url, body)).text);
      clock.advance(10 * MINUTE);
      const second = rawMsgId((await postRaw(url, body)).text);
      expect(second).not.toBe(first);
      // The new send starts a new 10 minutes.
      clock.advance(5 * MINUTE);
      expect(rawMsgId((await postRaw(url, body)).text)).toBe(second);
      expect(sim.templateSends.map((send) => send.msgid)).toEqual([first, second]);
    });

    it('is per user and per account', async () => {
      const { sim, url } = await startRig();
      const body = { ...SEND, client_msg_id: 'same' };
      const ids = [
        rawMsgId((await postRaw(url, body)).text),
        rawMsgId((await postRaw(url, { ...body, touser: 'oOtherUser0000000000000000001' })).text),
        rawMsgId((await postRaw(templateSendUrl(sim, await classicToken(sim, OTHER_ACCOUNT)), body)).text),
      ];
      expect(new Set(ids).size).toBe(3);
      expect(sim.templateSends).toHaveLength(3);
    });

    it('does not spend the daily quota on a repeat', async () => {
      const { url, errcode } = await startRig({ dailyTemplateQuota: 1 });
      const body = { ...SEND, client_msg_id: 'once' };
      const first = rawMsgId((await postRaw(url, body)).text);
      expect(rawMsgId((await postRaw(url, body)).text)).toBe(first);
      expect(await errcode(SEND)).toBe(45009);
    });
  });

  describe('the daily quota (docs/wechat-protocol.md §11.1, §11.2)', () => {
    it('answers 45009 past it until midnight Beijing time, per account', async () => {
      const { sim, clock, errcode } = await startRig({ dailyTemplateQuota: 2 });
      expect([await errcode(SEND), await errcode(SEND), await errcode(SEND)]).toEqual([0, 0, 45009]);
      const other = templateSendUrl(sim, await classicToken(sim, OTHER_ACCOUNT));
      expect((await postJson(other, SEND)).json['errcode']).toBe(0);
      clock.advance(6 * 60 * MINUTE - 1);
      expect(await errcode(SEND)).toBe(45009);
      clock.advance(1);
      expect(await errcode(SEND)).toBe(0);
      expect(sim.templateSends).toHaveLength(4);
    });

    it('is apart from the customer-service quota', async () => {
      const { sim, token, errcode } = await startRig({ dailyTemplateQuota: 1, dailySendQuota: 1 });
      const text = { touser: OPENID, msgtype: 'text', text: { content: 'hi' } };
      expect((await postJson(sendUrl(sim, token), text)).json['errcode']).toBe(0);
      expect(await errcode(SEND)).toBe(0);
      expect((await postJson(sendUrl(sim, token), text)).json['errcode']).toBe(45009);
      expect(await errcode(SEND)).toBe(45009);
    });

    it('refuses a quota that is not a whole number', async () => {
      await expect(startTestSimulator({ dailyTemplateQuota: 1.5 })).rejects.toThrow(/dailyTemplateQuota/);
    });
  });

  describe('faults', () => {
    it('answers an injected -1 once, then sends', async () => {
      const { sim, errcode } = await startRig();
      sim.injectFault({ path: '/cgi-bin/message/template/send', errcode: -1 });
      expect(await errcode(SEND)).toBe(-1);
      expect(sim.templateSends).toEqual([]);
      expect(await errcode(SEND)).toBe(0);
      expect(sim.calls.map((call) => call.faulted)).toEqual([false, true, false]);
    });

    it('answers an injected HTTP 500 without an errcode', async () => {
      const { sim, url } = await startRig();
      sim.injectFault({ path: '/cgi-bin/message/template/send', httpStatus: 500 });
      const { status, text } = await postRaw(url, SEND);
      expect(status).toBe(500);
      expect(text).toContain('<h1>500</h1>');
      expect(sim.templateSends).toEqual([]);
    });

    it('lets a fault pick the send by its body', async () => {
      const { sim, errcode } = await startRig();
      sim.injectFault({
        path: '/cgi-bin/message/template/send',
        errcode: 43116,
        when: ({ body }) => typeof body === 'object' && body !== null && 'client_msg_id' in body,
      });
      expect(await errcode(SEND)).toBe(0);
      expect(await errcode({ ...SEND, client_msg_id: 'x' })).toBe(43116);
    });
  });

  it('lists the sends at /sim/template-sends, msgids as strings, and forgets them on reset', async () => {
    const { sim, url } = await startRig();
    await postRaw(url, SEND);
    const before = rawMsgId((await postRaw(url, { ...SEND, client_msg_id: 'a' })).text);
    const listed = await (await fetch(`${sim.url}/sim/template-sends?after=1`)).json();
    expect(listed).toEqual({ total: 2, sends: [sim.templateSends[1]] });
    expect(sim.templateSends[1]?.msgid).toBe(before);
    sim.reset();
    expect(sim.templateSends).toEqual([]);
    // The client_msg_id memory went too: the same id sends again.
    const after = await postRaw(templateSendUrl(sim, await classicToken(sim)), { ...SEND, client_msg_id: 'a' });
    expect(rawMsgId(after.text)).not.toBe(before);
    expect(sim.templateSends).toHaveLength(1);
  });
});
