import { buildInboundXml, parseInboundXml } from '@wxq/wechat';
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
  startTestSimulator,
  subscribeSendUrl,
} from '../../../test/helpers.js';
import { createMessage } from '../../push/messages.js';
import type { WechatApiSimulatorOptions } from '../simulator.js';

// `message/subscribe/bizsend` over HTTP (docs/wechat-protocol.md §12): consent credits set by a test
// or learnt from pushed popup and settings-change events, the keyword rules, the daily quota.

/** 18:00 in Beijing (UTC+8): midnight there is six hours away. */
const START = Date.UTC(2024, 0, 1, 10, 0, 0);
const ONCE = 'demo_subscribe_once';
const LONG = 'demo_subscribe_long';
const SEND = { touser: OPENID, template_id: ONCE, data: { thing1: { value: 'Your order shipped' } } };

async function startRig(options: Partial<WechatApiSimulatorOptions> = {}) {
  const clock = createClock(START);
  const sim = await startTestSimulator({ now: clock.now, tokenTtlSeconds: 30 * 24 * 3600, ...options });
  const url = subscribeSendUrl(sim, await classicToken(sim));
  const errcode = async (body: unknown = SEND): Promise<unknown> => (await postJson(url, body)).json['errcode'];
  const createTime = (): string => String(Math.floor(clock.now() / 1000));
  return { sim, clock, url, errcode, createTime };
}

describe('message/subscribe/bizsend', () => {
  describe('consent (docs/wechat-protocol.md §12.1)', () => {
    it('answers 43101 without an accept; one accept allows one send', async () => {
      const { sim, url, errcode } = await startRig();
      expect(await errcode()).toBe(43101);
      expect(sim.subscribeConsent(ACCOUNT.appId, OPENID, ONCE, 'accept')).toMatchObject({ credits: 1, canSend: true });
      const { text } = await postRaw(url, SEND);
      expect(text).toMatch(/^\{"errcode":0,"errmsg":"ok","msgid":\d+\}$/);
      const msgid = rawMsgId(text) ?? '';
      expect(BigInt(msgid)).toBeGreaterThan(2n ** 53n);
      expect(await errcode()).toBe(43101);
      expect(sim.subscribeSends).toEqual([{ appId: ACCOUNT.appId, ...SEND, msgid, time: START }]);
      expect(sim.subscribeConsentOf(ACCOUNT.appId, OPENID, ONCE)).toMatchObject({ credits: 0, canSend: false });
    });

    it('adds accepts up, and a reject clears them', async () => {
      const { sim, errcode } = await startRig();
      sim.subscribeConsent(ACCOUNT.appId, OPENID, ONCE, 'accept');
      sim.subscribeConsent(ACCOUNT.appId, OPENID, ONCE, 'accept');
      expect(await errcode()).toBe(0);
      sim.subscribeConsent(ACCOUNT.appId, OPENID, ONCE, 'accept');
      expect(sim.subscribeConsent(ACCOUNT.appId, OPENID, ONCE, 'reject')).toMatchObject({ credits: 0 });
      expect(await errcode()).toBe(43101);
      expect(sim.subscribeSends).toHaveLength(1);
    });

    it('keeps credits per account, user and template', async () => {
      const { sim, errcode } = await startRig({
        accounts: [
          {
            ...ACCOUNT,
            templates: [
              { id: ONCE, kind: 'subscribe' },
              { id: 'T2', kind: 'subscribe' },
            ],
          },
          { ...OTHER_ACCOUNT, templates: [{ id: ONCE, kind: 'subscribe' }] },
        ],
      });
      sim.subscribeConsent(OTHER_ACCOUNT.appId, OPENID, ONCE, 'accept');
      sim.subscribeConsent(ACCOUNT.appId, 'oOtherUser0000000000000000001', ONCE, 'accept');
      sim.subscribeConsent(ACCOUNT.appId, OPENID, 'T2', 'accept');
      expect(await errcode()).toBe(43101);
      expect(await errcode({ ...SEND, template_id: 'T2' })).toBe(0);
    });

    it('needs no credit for a long-term template, until the user rejects it', async () => {
      const { sim, errcode } = await startRig();
      const long = { ...SEND, template_id: LONG };
      expect([await errcode(long), await errcode(long)]).toEqual([0, 0]);
      sim.subscribeConsent(ACCOUNT.appId, OPENID, LONG, 'reject');
      expect(await errcode(long)).toBe(43101);
      sim.subscribeConsent(ACCOUNT.appId, OPENID, LONG, 'accept');
      expect(await errcode(long)).toBe(0);
    });

    it('refuses consent for an account or template the simulator does not have', async () => {
      const { sim } = await startRig();
      expect(() => sim.subscribeConsent('wxnope', OPENID, ONCE, 'accept')).toThrow(RangeError);
      expect(() => sim.subscribeConsent(ACCOUNT.appId, OPENID, 'nope', 'accept')).toThrow(RangeError);
      expect(() => sim.subscribeConsent(ACCOUNT.appId, OPENID, 'demo_template', 'accept')).toThrow(RangeError);
    });

    it('learns an accept from a pushed popup, once however often it is told', async () => {
      const { sim, errcode, createTime } = await startRig();
      const popup = createMessage.subscribeMsgPopup(
        [
          { templateId: ONCE, status: 'accept', scene: '2' },
          { templateId: LONG, status: 'reject' },
          { templateId: 'unknown', status: 'accept' },
        ],
        { openid: OPENID, createTime: createTime() },
      );
      const recorded = sim.recordInteraction({ appId: ACCOUNT.appId, message: popup });
      expect(recorded.consent).toEqual([
        {
          templateId: ONCE,
          status: 'accept',
          outcome: 'applied',
          consent: {
            appId: ACCOUNT.appId,
            openId: OPENID,
            templateId: ONCE,
            longTerm: false,
            credits: 1,
            canSend: true,
          },
        },
        {
          templateId: LONG,
          status: 'reject',
          outcome: 'applied',
          consent: expect.objectContaining({ canSend: false }) as unknown,
        },
        { templateId: 'unknown', status: 'accept', outcome: 'ignored' },
      ]);
      // WeChat's retry of the same push is the same answer of the user.
      expect(sim.recordInteraction({ appId: ACCOUNT.appId, message: popup }).consent?.[0]?.outcome).toBe('duplicate');
      expect([await errcode(), await errcode()]).toEqual([0, 43101]);
      expect(await errcode({ ...SEND, template_id: LONG })).toBe(43101);
    });

    it('learns from a popup parsed from its XML, with one List or several', async () => {
      const { sim, errcode, createTime } = await startRig();
      const xml = (status: string) =>
        `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[${OPENID}]]></FromUserName>` +
        `<CreateTime>${createTime()}</CreateTime><MsgType><![CDATA[event]]></MsgType>` +
        `<Event><![CDATA[subscribe_msg_popup_event]]></Event><SubscribeMsgPopupEvent><List>` +
        `<TemplateId><![CDATA[${ONCE}]]></TemplateId><SubscribeStatusString><![CDATA[${status}]]></SubscribeStatusString>` +
        `<PopupScene>2</PopupScene></List></SubscribeMsgPopupEvent></xml>`;
      sim.recordInteraction({ appId: ACCOUNT.appId, message: parseInboundXml(xml('accept')) });
      expect(await errcode()).toBe(0);
    });

    it('learns a reject from a settings change, also when it reuses the popup tag name', async () => {
      const { sim, clock, errcode, createTime } = await startRig();
      sim.subscribeConsent(ACCOUNT.appId, OPENID, ONCE, 'accept');
      const change = createMessage.subscribeMsgChange([{ templateId: ONCE, status: 'reject' }], {
        openid: OPENID,
        createTime: createTime(),
      });
      expect(sim.recordInteraction({ appId: ACCOUNT.appId, message: change }).consent).toMatchObject([
        { outcome: 'applied', consent: { credits: 0 } },
      ]);
      expect(await errcode()).toBe(43101);
      // One sample of the change event wraps its List in <SubscribeMsgPopupEvent> (§12.1: accept both).
      sim.subscribeConsent(ACCOUNT.appId, OPENID, ONCE, 'accept');
      clock.advance(1000);
      const odd = parseInboundXml(
        buildInboundXml(change)
          .replace(/SubscribeMsgChangeEvent/g, 'SubscribeMsgPopupEvent')
          .replace(/<CreateTime>\d+/, `<CreateTime>${createTime()}`),
      );
      expect(sim.recordInteraction({ appId: ACCOUNT.appId, message: odd }).consent).toMatchObject([
        { templateId: ONCE, outcome: 'applied' },
      ]);
      expect(await errcode()).toBe(43101);
    });

    it('learns from a popup told over HTTP, as `npm run sim` tells it', async () => {
      const { sim, errcode, createTime } = await startRig();
      const popup = createMessage.subscribeMsgPopup([{ templateId: ONCE, status: 'accept' }], {
        openid: OPENID,
        createTime: createTime(),
      });
      const response = await fetch(`${sim.url}/sim/interactions?appid=${ACCOUNT.appId}`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: buildInboundXml(popup),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        interaction: { grant: 'none', consent: [{ templateId: ONCE, outcome: 'applied', consent: { credits: 1 } }] },
      });
      const consents = await (await fetch(`${sim.url}/sim/subscribe-consents?openid=${OPENID}`)).json();
      expect(consents).toMatchObject({ consents: [{ templateId: ONCE, credits: 1, canSend: true }] });
      expect(await errcode()).toBe(0);
    });

    it('ignores entries without a TemplateId or with another status', async () => {
      const { sim, createTime } = await startRig();
      const popup = createMessage.subscribeMsgPopup(
        [
          { templateId: ONCE, status: 'maybe' as 'accept' },
          { templateId: '', status: 'accept' },
        ],
        { openid: OPENID, createTime: createTime() },
      );
      expect(sim.recordInteraction({ appId: ACCOUNT.appId, message: popup }).consent).toEqual([
        { templateId: ONCE, status: 'maybe', outcome: 'ignored' },
      ]);
      expect(sim.subscribeConsentOf(ACCOUNT.appId, OPENID, ONCE).credits).toBe(0);
    });
  });

  describe('the body (docs/wechat-protocol.md §12.2)', () => {
    it.each([
      ['an empty body', 44002, ''],
      ['a body that is not JSON', 47001, '{{'],
      ['a JSON number', 47001, '42'],
      ['data as an array', 47001, { ...SEND, data: [] }],
      ['page of the wrong type', 47001, { ...SEND, page: {} }],
      ['no touser', 40003, { template_id: ONCE, data: SEND.data }],
      ['an unknown template', 40037, { ...SEND, template_id: 'nope' }],
      ['a template message id', 40037, { ...SEND, template_id: 'demo_template' }],
      ['a non-string value', 47003, { ...SEND, data: { thing1: { value: 1 } } }],
      ['an empty value', 47003, { ...SEND, data: { thing1: { value: '' } } }],
      ['a thing of 21 characters', 47003, { ...SEND, data: { thing1: { value: 'x'.repeat(21) } } }],
      ['a number of 33 digits', 47003, { ...SEND, data: { number2: { value: '1'.repeat(33) } } }],
      ['a number with letters', 47003, { ...SEND, data: { number2: { value: '12a' } } }],
      ['a letter with digits', 47003, { ...SEND, data: { letter3: { value: 'ab1' } } }],
      ['a character_string with spaces', 47003, { ...SEND, data: { character_string4: { value: 'a b' } } }],
      ['a phone_number with letters', 47003, { ...SEND, data: { phone_number5: { value: 'call me' } } }],
      ['a time without a digit', 47003, { ...SEND, data: { time6: { value: 'soon' } } }],
    ])('answers %s with %i and spends no credit', async (_name, expected, body) => {
      const { sim, errcode } = await startRig();
      sim.subscribeConsent(ACCOUNT.appId, OPENID, ONCE, 'accept');
      expect(await errcode(body)).toBe(expected);
      expect(sim.subscribeConsentOf(ACCOUNT.appId, OPENID, ONCE).credits).toBe(1);
      expect(sim.subscribeSends).toEqual([]);
    });

    it('takes values within their keyword rules, counting characters, not bytes', async () => {
      const { sim, errcode } = await startRig();
      sim.subscribeConsent(ACCOUNT.appId, OPENID, ONCE, 'accept');
      const data = {
        thing1: { value: '您的订单已发货，请注意查收快递包裹谢谢' }, // 20 characters
        number2: { value: `${'9'.repeat(30)}.5` },
        character_string3: { value: 'SF1234567890' },
        time4: { value: '2026-12-07 10:00' },
        phone_number5: { value: '+86 138-0000-0000' },
        amount6: { value: '¥12.50' },
        // A keyword type the rules do not know takes any value, even one named after Object's prototype.
        constructor7: { value: 'anything at all, however long it is' },
      };
      expect(await errcode({ ...SEND, data, page: 'https://example.com/x' })).toBe(0);
      expect(sim.subscribeSends[0]).toMatchObject({ data, page: 'https://example.com/x' });
    });

    it('keeps serving after an oversized body', async () => {
      const { url, errcode, sim } = await startRig();
      const { status } = await postRaw(url, { ...SEND, data: { thing1: { value: 'x'.repeat(1_100_000) } } });
      expect(status).toBe(413);
      expect(await errcode({ ...SEND, template_id: LONG })).toBe(0);
      expect(sim.subscribeSends).toHaveLength(1);
    });
  });

  it('answers 45009 past the daily quota until midnight Beijing time, without spending credit', async () => {
    const { sim, clock, errcode } = await startRig({ dailySubscribeQuota: 1 });
    const long = { ...SEND, template_id: LONG };
    expect(await errcode(long)).toBe(0);
    sim.subscribeConsent(ACCOUNT.appId, OPENID, ONCE, 'accept');
    expect(await errcode()).toBe(45009);
    clock.advance(6 * 3600 * 1000);
    expect(await errcode()).toBe(0);
  });

  it('applies injected faults, and lists sends at /sim/subscribe-sends', async () => {
    const { sim, errcode } = await startRig();
    sim.injectFault({ path: '/cgi-bin/message/subscribe/bizsend', errcode: -1, times: 2 });
    const long = { ...SEND, template_id: LONG };
    expect([await errcode(long), await errcode(long), await errcode(long)]).toEqual([-1, -1, 0]);
    const listed = await (await fetch(`${sim.url}/sim/subscribe-sends`)).json();
    expect(listed).toEqual({ total: 1, sends: sim.subscribeSends });
    sim.reset();
    expect(sim.subscribeSends).toEqual([]);
  });
});
