import { type InboundMessage, parseInboundXml } from '@wxq/wechat';
import { describe, expect, it } from 'vitest';
import {
  ACCOUNT,
  OPENID,
  OTHER_ACCOUNT,
  type TestClock,
  classicToken,
  createClock,
  postJson,
  sendUrl,
  startTestSimulator,
  typingUrl,
} from '../../test/helpers.js';
import { createMessage } from '../push/messages.js';
import type { WechatApiSimulator, WechatApiSimulatorOptions } from './simulator.js';

// The customer-service send rules (docs/wechat-protocol.md §7.3–§7.5), observed over HTTP on a
// manual clock: 48 h and 60 s pass in a call.

const SECOND = 1000;
const HOUR = 3600 * SECOND;
/** 18:00 in Beijing (UTC+8), so a Beijing midnight is six hours away. */
const START = Date.UTC(2024, 0, 1, 10, 0, 0);
const OTHER_USER = 'oOtherUser0000000000000000001';

interface Rig {
  readonly sim: WechatApiSimulator;
  readonly clock: TestClock;
  readonly token: string;
  /** The errcode a text send to `touser` gets. */
  send(touser?: string): Promise<number>;
  typing(command?: string, touser?: string): Promise<number>;
  /** Records a push from `OPENID` (or `openid`) created at the clock's time, unless told otherwise. */
  tell(build: (o: { openid: string; createTime: string }) => InboundMessage, openid?: string): void;
}

async function startRig(options: Partial<WechatApiSimulatorOptions> = { enforceQuota: true }): Promise<Rig> {
  const clock = createClock(START);
  // Tokens outlive the 48 h these tests skip through, so every call below is about the send rules.
  const sim = await startTestSimulator({ now: clock.now, tokenTtlSeconds: 30 * 24 * 3600, ...options });
  const token = await classicToken(sim);
  const errcodeOf = (json: Record<string, unknown>): number =>
    typeof json['errcode'] === 'number' ? json['errcode'] : Number.NaN;
  return {
    sim,
    clock,
    token,
    async send(touser = OPENID) {
      return errcodeOf(
        (await postJson(sendUrl(sim, token), { touser, msgtype: 'text', text: { content: 'hi' } })).json,
      );
    },
    async typing(command = 'Typing', touser = OPENID) {
      return errcodeOf((await postJson(typingUrl(sim, token), { touser, command })).json);
    },
    tell(build, openid = OPENID) {
      sim.recordInteraction({
        appId: ACCOUNT.appId,
        message: build({ openid, createTime: String(Math.floor(clock.now() / 1000)) }),
      });
    },
  };
}

async function sendTimes(rig: Rig, count: number, touser?: string): Promise<number[]> {
  const answers: number[] = [];
  for (let i = 0; i < count; i += 1) answers.push(await rig.send(touser));
  return answers;
}

const text = (o: { openid: string; createTime: string }): InboundMessage => createMessage.text('hello', o);
const subscribe = (o: { openid: string; createTime: string }): InboundMessage => createMessage.subscribe(o);

describe('enforceQuota off (the default): answers as before', () => {
  it('sends and typing succeed with no interaction at all', async () => {
    const rig = await startRig({});
    expect(await sendTimes(rig, 8)).toEqual(Array<number>(8).fill(0));
    expect(await rig.typing()).toBe(0);
    expect(await rig.typing()).toBe(0);
    expect(rig.sim.sends).toHaveLength(8);
  });

  it('still records interactions, for a test to look at', async () => {
    const rig = await startRig({});
    rig.tell(text);
    expect(rig.sim.interactions).toMatchObject([
      { appId: ACCOUNT.appId, openId: OPENID, grant: 'message', outcome: 'applied' },
    ]);
    expect(await sendTimes(rig, 6)).toEqual(Array<number>(6).fill(0));
  });
});

describe('send windows (docs/wechat-protocol.md §7.4)', () => {
  it('answers 45015 to a user who never interacted, and spends nothing', async () => {
    const rig = await startRig();
    expect(await rig.send()).toBe(45015);
    expect(rig.sim.sends).toEqual([]);
    expect(rig.sim.calls.at(-1)).toMatchObject({ errcode: 45015, faulted: false, appId: ACCOUNT.appId });
  });

  it('a user message allows 5 sends, then 45047 while its 48 h last', async () => {
    const rig = await startRig();
    rig.tell(text);
    expect(rig.sim.sendWindows(ACCOUNT.appId, OPENID)).toEqual([
      { kind: 'message', sendsLeft: 5, closesAt: START + 48 * HOUR },
    ]);
    expect(await sendTimes(rig, 6)).toEqual([0, 0, 0, 0, 0, 45047]);
    rig.clock.advance(47 * HOUR);
    expect(await rig.send()).toBe(45047);
    expect(rig.sim.sends).toHaveLength(5);
  });

  it('the message window closes 48 h after the CreateTime: 45015 from then on', async () => {
    const rig = await startRig();
    rig.tell(text);
    expect(await rig.send()).toBe(0);
    rig.clock.advance(48 * HOUR - 1);
    expect(await rig.send()).toBe(0);
    rig.clock.advance(1);
    expect(await rig.send()).toBe(45015);
    expect(rig.sim.sendWindows(ACCOUNT.appId, OPENID)).toEqual([]);
  });

  it('counts the 48 h from the CreateTime, not from when the simulator was told', async () => {
    const rig = await startRig();
    const createTime = String(Math.floor((START - 47 * HOUR) / 1000));
    rig.sim.recordInteraction({
      appId: ACCOUNT.appId,
      message: createMessage.text('old', { openid: OPENID, createTime }),
    });
    expect(await rig.send()).toBe(0);
    rig.clock.advance(HOUR);
    expect(await rig.send()).toBe(45015);
  });

  it.each([
    ['subscribe', subscribe],
    [
      'subscribe from a parametric QR code',
      (o: { openid: string; createTime: string }) => createMessage.subscribe({ ...o, scene: '7' }),
    ],
    ['SCAN', (o: { openid: string; createTime: string }) => createMessage.scan('7', o)],
    ['CLICK', (o: { openid: string; createTime: string }) => createMessage.click('MENU', o)],
    ['scancode_push', (o: { openid: string; createTime: string }) => createMessage.scancode('scancode_push', o)],
    ['scancode_waitmsg', (o: { openid: string; createTime: string }) => createMessage.scancode('scancode_waitmsg', o)],
    [
      'a msgmenu tap (text with bizmsgmenuid)',
      (o: { openid: string; createTime: string }) => ({ ...createMessage.text('满意', o), bizmsgmenuid: '101' }),
    ],
  ])('%s allows 3 sends within 60 s', async (_name, build) => {
    const rig = await startRig();
    rig.tell(build);
    expect(rig.sim.interactions.at(-1)).toMatchObject({ grant: 'event', outcome: 'applied' });
    expect(rig.sim.sendWindows(ACCOUNT.appId, OPENID)).toEqual([
      { kind: 'event', sendsLeft: 3, closesAt: START + 60 * SECOND },
    ]);
    expect(await sendTimes(rig, 4)).toEqual([0, 0, 0, 45047]);
  });

  it('the event window closes 60 s after the CreateTime', async () => {
    const rig = await startRig();
    rig.tell(subscribe);
    expect(await rig.send()).toBe(0);
    rig.clock.advance(60 * SECOND - 1);
    expect(await rig.send()).toBe(0);
    rig.clock.advance(1);
    expect(await rig.send()).toBe(45015);
  });

  it('45047 while a used-up window is still open, 45015 once it has closed', async () => {
    const rig = await startRig();
    rig.tell(subscribe);
    expect(await sendTimes(rig, 4)).toEqual([0, 0, 0, 45047]);
    rig.clock.advance(30 * SECOND);
    expect(await rig.send()).toBe(45047);
    rig.clock.advance(30 * SECOND);
    expect(await rig.send()).toBe(45015);
  });

  it.each([
    ['VIEW', (o: { openid: string; createTime: string }) => createMessage.view('https://example.com/', o)],
    ['LOCATION', (o: { openid: string; createTime: string }) => createMessage.locationReport(o)],
    ['pic_sysphoto', (o: { openid: string; createTime: string }) => createMessage.pic('pic_sysphoto', o)],
    ['location_select', (o: { openid: string; createTime: string }) => createMessage.locationSelect(o)],
    [
      'a delivery report (TEMPLATESENDJOBFINISH)',
      (o: { openid: string; createTime: string }) =>
        parseInboundXml(
          `<xml><ToUserName>gh_0123456789ab</ToUserName><FromUserName>${o.openid}</FromUserName><CreateTime>${o.createTime}</CreateTime><MsgType>event</MsgType><Event>TEMPLATESENDJOBFINISH</Event><MsgID>200163836</MsgID><Status>success</Status></xml>`,
        ),
    ],
  ])('%s opens no window', async (_name, build) => {
    const rig = await startRig();
    rig.tell(build);
    expect(rig.sim.interactions.at(-1)).toMatchObject({ grant: 'none', outcome: 'applied' });
    expect(await rig.send()).toBe(45015);
  });

  it('any other MsgType than event is a user message: 5 sends for 48 h', async () => {
    const rig = await startRig();
    rig.tell((o) => createMessage.image(o));
    rig.clock.advance(SECOND);
    rig.tell((o) => ({
      ToUserName: 'gh_0123456789ab',
      FromUserName: o.openid,
      CreateTime: o.createTime,
      MsgType: 'miniprogrampage',
      MsgId: '1',
    }));
    expect(rig.sim.interactions.map((i) => i.grant)).toEqual(['message', 'message']);
    expect(rig.sim.sendWindows(ACCOUNT.appId, OPENID)).toEqual([
      { kind: 'message', sendsLeft: 5, closesAt: START + SECOND + 48 * HOUR },
    ]);
  });

  it('a new grant replaces the old window of its kind: sends do not add up', async () => {
    const rig = await startRig();
    rig.tell(text);
    expect(await sendTimes(rig, 3)).toEqual([0, 0, 0]);
    rig.clock.advance(HOUR);
    rig.tell(text);
    expect(rig.sim.sendWindows(ACCOUNT.appId, OPENID)).toEqual([
      { kind: 'message', sendsLeft: 5, closesAt: START + 49 * HOUR },
    ]);
    expect(await sendTimes(rig, 6)).toEqual([0, 0, 0, 0, 0, 45047]);
  });

  it('a new event replaces the event window and leaves the message window alone', async () => {
    const rig = await startRig();
    rig.tell(text);
    rig.tell(subscribe);
    expect(await sendTimes(rig, 2)).toEqual([0, 0]);
    rig.clock.advance(10 * SECOND);
    rig.tell((o) => createMessage.click('MENU', o));
    expect(rig.sim.sendWindows(ACCOUNT.appId, OPENID)).toEqual([
      { kind: 'event', sendsLeft: 3, closesAt: START + 70 * SECOND },
      { kind: 'message', sendsLeft: 5, closesAt: START + 48 * HOUR },
    ]);
  });

  it('a send takes from the open window that closes first', async () => {
    const rig = await startRig();
    rig.tell(text);
    rig.tell(subscribe);
    expect(await sendTimes(rig, 3)).toEqual([0, 0, 0]);
    expect(rig.sim.sendWindows(ACCOUNT.appId, OPENID)).toEqual([
      { kind: 'event', sendsLeft: 0, closesAt: START + 60 * SECOND },
      { kind: 'message', sendsLeft: 5, closesAt: START + 48 * HOUR },
    ]);
    // The event window still has time but no sends: the message window serves.
    expect(await sendTimes(rig, 6)).toEqual([0, 0, 0, 0, 0, 45047]);
  });

  it('an event window opened late closes first too: it is taken before the message window', async () => {
    const rig = await startRig();
    rig.tell(text);
    rig.clock.advance(48 * HOUR - 30 * SECOND);
    rig.tell(subscribe);
    // The message window closes in 30 s, the event window in 60 s: the message window goes first.
    expect(await sendTimes(rig, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(rig.sim.sendWindows(ACCOUNT.appId, OPENID)).toEqual([
      { kind: 'message', sendsLeft: 0, closesAt: START + 48 * HOUR },
      { kind: 'event', sendsLeft: 3, closesAt: START + 48 * HOUR + 30 * SECOND },
    ]);
  });

  it('unsubscribe closes every window: 45015 until the user acts again', async () => {
    const rig = await startRig();
    rig.tell(text);
    rig.tell((o) => createMessage.click('MENU', o));
    rig.clock.advance(5 * SECOND);
    rig.tell((o) => createMessage.unsubscribe(o));
    expect(rig.sim.interactions.at(-1)).toMatchObject({ grant: 'close', outcome: 'applied' });
    expect(rig.sim.sendWindows(ACCOUNT.appId, OPENID)).toEqual([]);
    expect(await rig.send()).toBe(45015);
    rig.clock.advance(5 * SECOND);
    rig.tell(subscribe);
    expect(await sendTimes(rig, 4)).toEqual([0, 0, 0, 45047]);
  });

  it('the same push told twice is one action: it does not refill the window', async () => {
    const rig = await startRig();
    const message = createMessage.text('hello', { openid: OPENID, createTime: String(START / 1000) });
    rig.sim.recordInteraction({ appId: ACCOUNT.appId, message });
    expect(await sendTimes(rig, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(rig.sim.recordInteraction({ appId: ACCOUNT.appId, message })).toMatchObject({ outcome: 'duplicate' });
    expect(await rig.send()).toBe(45047);
  });

  it('a push older than the window of its kind changes nothing (WeChat goes by the latest action)', async () => {
    const rig = await startRig();
    rig.tell(text);
    const older = createMessage.text('older', { openid: OPENID, createTime: String((START - 50 * HOUR) / 1000) });
    expect(rig.sim.recordInteraction({ appId: ACCOUNT.appId, message: older })).toMatchObject({
      outcome: 'superseded',
    });
    expect(rig.sim.sendWindows(ACCOUNT.appId, OPENID)).toEqual([
      { kind: 'message', sendsLeft: 5, closesAt: START + 48 * HOUR },
    ]);
  });

  it('a grant from before an unsubscribe stays closed', async () => {
    const rig = await startRig();
    rig.tell((o) => createMessage.unsubscribe(o));
    const before = createMessage.text('before', { openid: OPENID, createTime: String((START - 10 * SECOND) / 1000) });
    expect(rig.sim.recordInteraction({ appId: ACCOUNT.appId, message: before })).toMatchObject({
      outcome: 'superseded',
    });
    expect(await rig.send()).toBe(45015);
  });

  it('windows belong to one user of one account', async () => {
    const rig = await startRig();
    rig.tell(text);
    expect(await rig.send(OTHER_USER)).toBe(45015);
    const otherToken = await classicToken(rig.sim, OTHER_ACCOUNT);
    const other = await postJson(sendUrl(rig.sim, otherToken), {
      touser: OPENID,
      msgtype: 'text',
      text: { content: 'hi' },
    });
    expect(other.json['errcode']).toBe(45015);
    expect(await rig.send()).toBe(0);
  });

  it('a send answered by an injected fault spends nothing', async () => {
    const rig = await startRig();
    rig.tell(subscribe);
    rig.sim.injectFault({ path: '/cgi-bin/message/custom/send', errcode: -1, times: 2 });
    expect(await sendTimes(rig, 5)).toEqual([-1, -1, 0, 0, 0]);
    expect(await rig.send()).toBe(45047);
  });

  it('a refused body (40003, 44004) spends nothing', async () => {
    const rig = await startRig();
    rig.tell(subscribe);
    expect(
      (await postJson(sendUrl(rig.sim, rig.token), { touser: OPENID, msgtype: 'text', text: { content: '' } })).json[
        'errcode'
      ],
    ).toBe(44004);
    expect(await sendTimes(rig, 4)).toEqual([0, 0, 0, 45047]);
  });

  it('takes its numbers from the quota option', async () => {
    const rig = await startRig({ enforceQuota: true, quota: { messageSends: 2, eventSends: 1 } });
    rig.tell(subscribe);
    expect(await sendTimes(rig, 2)).toEqual([0, 45047]);
    rig.tell(text);
    expect(await sendTimes(rig, 3)).toEqual([0, 0, 45047]);
  });

  it('reset() forgets windows and interactions', async () => {
    const rig = await startRig();
    rig.tell(text);
    rig.sim.reset();
    expect(rig.sim.interactions).toEqual([]);
    const token = await classicToken(rig.sim);
    const answer = await postJson(sendUrl(rig.sim, token), {
      touser: OPENID,
      msgtype: 'text',
      text: { content: 'hi' },
    });
    expect(answer.json['errcode']).toBe(45015);
  });

  it('refuses quota numbers that are not positive whole numbers', async () => {
    await expect(startTestSimulator({ quota: { messageSends: 0 } })).rejects.toThrow(TypeError);
    await expect(startTestSimulator({ quota: { eventSends: 1.5 } })).rejects.toThrow(TypeError);
    await expect(startTestSimulator({ dailySendQuota: -1 })).rejects.toThrow(TypeError);
  });
});

describe('typing (docs/wechat-protocol.md §7.3)', () => {
  it('answers 45080 without an exchange in the last 30 s', async () => {
    const rig = await startRig();
    expect(await rig.typing()).toBe(45080);
    rig.tell(text);
    rig.clock.advance(30 * SECOND);
    expect(await rig.typing()).toBe(0);
    rig.clock.advance(15 * SECOND);
    // 45 s after the message: too long ago.
    rig.tell((o) => createMessage.view('https://example.com/', o));
    expect(await rig.typing()).toBe(45080);
  });

  it('counts 30 s from the exchange: at 30 s it may, just after not', async () => {
    const rig = await startRig();
    rig.tell(text);
    rig.clock.advance(30 * SECOND + 1);
    expect(await rig.typing()).toBe(45080);
  });

  it('answers 45081 while an earlier Typing still shows (15 s)', async () => {
    const rig = await startRig();
    rig.tell(text);
    expect(await rig.typing()).toBe(0);
    rig.clock.advance(15 * SECOND - 1);
    expect(await rig.typing()).toBe(45081);
    rig.clock.advance(1);
    expect(await rig.typing()).toBe(0);
  });

  it('a message sent ends the indicator and counts as an exchange', async () => {
    const rig = await startRig();
    rig.tell(text);
    expect(await rig.typing()).toBe(0);
    rig.clock.advance(20 * SECOND);
    expect(await rig.send()).toBe(0);
    expect(await rig.typing()).toBe(0);
    // 45 s after the user's message, but 25 s after the account's send.
    rig.clock.advance(25 * SECOND);
    expect(await rig.typing()).toBe(0);
  });

  it('CancelTyping ends the indicator', async () => {
    const rig = await startRig();
    rig.tell(text);
    expect(await rig.typing()).toBe(0);
    expect(await rig.typing('CancelTyping')).toBe(0);
    expect(await rig.typing()).toBe(0);
  });

  it('spends no send', async () => {
    const rig = await startRig();
    rig.tell(subscribe);
    expect(await rig.typing()).toBe(0);
    rig.clock.advance(15 * SECOND);
    expect(await rig.typing()).toBe(0);
    expect(await sendTimes(rig, 4)).toEqual([0, 0, 0, 45047]);
  });

  it('works only when a send would be allowed: 45047 with the window used up, 45015 after an unsubscribe', async () => {
    const rig = await startRig();
    rig.tell(subscribe);
    expect(await sendTimes(rig, 3)).toEqual([0, 0, 0]);
    expect(await rig.typing()).toBe(45047);
    rig.tell((o) => createMessage.unsubscribe(o));
    expect(await rig.typing()).toBe(45015);
  });

  it('typing without enforceQuota succeeds as before, however often', async () => {
    const rig = await startRig({});
    expect([await rig.typing(), await rig.typing(), await rig.typing('CancelTyping')]).toEqual([0, 0, 0]);
  });
});

describe('the daily send quota (45009)', () => {
  it('answers 45009 past the quota until midnight Beijing time', async () => {
    const rig = await startRig({ dailySendQuota: 2 });
    expect(await sendTimes(rig, 3)).toEqual([0, 0, 45009]);
    // 23:59:59.999 in Beijing (15:59:59.999 UTC): still the same day.
    rig.clock.advance(6 * HOUR - 1);
    expect(await rig.send()).toBe(45009);
    rig.clock.advance(1);
    expect(await sendTimes(rig, 3)).toEqual([0, 0, 45009]);
  });

  it('does not reset at midnight UTC', async () => {
    const rig = await startRig({ dailySendQuota: 1 });
    rig.clock.advance(7 * HOUR); // 01:00 on 2 January in Beijing, 17:00 UTC on the 1st
    expect(await sendTimes(rig, 2)).toEqual([0, 45009]);
    rig.clock.advance(7 * HOUR); // 00:00 UTC on the 2nd, 08:00 in Beijing: the same Beijing day
    expect(await rig.send()).toBe(45009);
  });

  it('is per account, and counts only sends that went', async () => {
    const rig = await startRig({ enforceQuota: true, dailySendQuota: 2 });
    expect(await rig.send()).toBe(45015);
    rig.sim.injectFault({ path: '/cgi-bin/message/custom/send', errcode: -1 });
    expect(await rig.send()).toBe(-1);
    rig.tell(text);
    expect(await sendTimes(rig, 3)).toEqual([0, 0, 45009]);
    const otherToken = await classicToken(rig.sim, OTHER_ACCOUNT);
    rig.sim.recordInteraction({
      appId: OTHER_ACCOUNT.appId,
      message: createMessage.text('hi', { openid: OPENID, createTime: String(START / 1000) }),
    });
    expect(
      (await postJson(sendUrl(rig.sim, otherToken), { touser: OPENID, msgtype: 'text', text: { content: 'hi' } })).json[
        'errcode'
      ],
    ).toBe(0);
  });

  it('comes before the user’s window: 45009 even with sends left, and spends none of them', async () => {
    const rig = await startRig({ enforceQuota: true, dailySendQuota: 1 });
    rig.tell(text);
    expect(await sendTimes(rig, 2)).toEqual([0, 45009]);
    expect(rig.sim.sendWindows(ACCOUNT.appId, OPENID)).toMatchObject([{ kind: 'message', sendsLeft: 4 }]);
  });
});
