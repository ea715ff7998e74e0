import { type InboundMessage, buildInboundXml, computeDedupKey, isKnownMessage, parseInboundXml } from '@wxq/wechat';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TO_USER_NAME, createMessage } from './messages.js';

const OPENID_SHAPE = /^[A-Za-z0-9_-]{28}$/;

const EVERY_TYPE: readonly [string, () => InboundMessage][] = [
  ['text', () => createMessage.text('hello')],
  ['image', () => createMessage.image()],
  ['voice', () => createMessage.voice({ recognition: '你好' })],
  ['video', () => createMessage.video()],
  ['shortvideo', () => createMessage.shortvideo()],
  ['location', () => createMessage.location()],
  ['link', () => createMessage.link()],
  ['subscribe', () => createMessage.subscribe()],
  ['subscribe from a QR code', () => createMessage.subscribe({ scene: 'campaign42' })],
  ['unsubscribe', () => createMessage.unsubscribe()],
  ['SCAN', () => createMessage.scan('campaign42')],
  ['LOCATION', () => createMessage.locationReport()],
  ['CLICK', () => createMessage.click('MENU_KEY')],
  ['VIEW', () => createMessage.view('https://example.com', { menuId: '208396938' })],
  ['scancode_push', () => createMessage.scancode('scancode_push')],
  ['scancode_waitmsg', () => createMessage.scancode('scancode_waitmsg', { scanResult: '1' })],
  ['pic_sysphoto', () => createMessage.pic('pic_sysphoto')],
  [
    'pic_photo_or_album',
    () =>
      createMessage.pic('pic_photo_or_album', {
        picMd5Sums: ['1b5f7c23b5bf75682a53e7b6d163e185', '5a75aaca956d97be686719218f275c6b'],
      }),
  ],
  ['pic_weixin', () => createMessage.pic('pic_weixin')],
  ['location_select', () => createMessage.locationSelect({ poiname: '' })],
  ['TEMPLATESENDJOBFINISH', () => createMessage.templateSendJobFinish('9007199254740993')],
  [
    'TEMPLATESENDJOBFINISH, failed',
    () => createMessage.templateSendJobFinish('1', { status: 'failed: system failed' }),
  ],
  [
    'subscribe_msg_popup_event',
    () =>
      createMessage.subscribeMsgPopup([
        { templateId: 'T1', status: 'accept', scene: '2' },
        { templateId: 'T2', status: 'reject' },
      ]),
  ],
  [
    'subscribe_msg_popup_event, one List',
    () => createMessage.subscribeMsgPopup([{ templateId: 'T1', status: 'accept' }]),
  ],
  ['subscribe_msg_change_event', () => createMessage.subscribeMsgChange([{ templateId: 'T1', status: 'reject' }])],
  [
    'subscribe_msg_sent_event',
    () =>
      createMessage.subscribeMsgSent([
        { templateId: 'T1', msgId: '1700827132819554304' },
        { templateId: 'T2', msgId: '1700827132819554305', errorCode: '43101', errorStatus: 'failed:user block' },
      ]),
  ],
];

describe('createMessage', () => {
  it.each(EVERY_TYPE)('%s: a known message that survives WeChat’s XML unchanged', (_name, make) => {
    const message = make();
    expect(isKnownMessage(message)).toBe(true);
    expect(parseInboundXml(buildInboundXml(message))).toEqual(message);
    expect(message.ToUserName).toBe(DEFAULT_TO_USER_NAME);
    expect(message.FromUserName).toMatch(OPENID_SHAPE);
    expect(Number(message.CreateTime)).toBeCloseTo(Date.now() / 1000, -1);
    expect(() => computeDedupKey(message)).not.toThrow();
  });

  it('gives ordinary messages a random 64-bit MsgId above 2^53', () => {
    for (let i = 0; i < 50; i += 1) {
      const { MsgId } = createMessage.text('x');
      expect(MsgId).toMatch(/^\d+$/);
      expect(BigInt(MsgId)).toBeGreaterThan(2n ** 53n);
      expect(BigInt(MsgId)).toBeLessThan(2n ** 63n);
    }
    expect(createMessage.text('x').MsgId).not.toBe(createMessage.text('x').MsgId);
  });

  it('takes the caller’s openid, account, time and MsgId', () => {
    const options = {
      openid: 'oABCD1234efgh5678ijkl9012mn',
      toUserName: 'gh_97417a04a28d',
      createTime: '1714112445',
      msgId: '6054768590064713728',
    };
    expect(createMessage.text('hello', options)).toEqual({
      ToUserName: 'gh_97417a04a28d',
      FromUserName: 'oABCD1234efgh5678ijkl9012mn',
      CreateTime: '1714112445',
      MsgType: 'text',
      Content: 'hello',
      MsgId: '6054768590064713728',
    });
  });

  it('marks a QR-code follow with qrscene_ and a Ticket, a plain follow with neither (docs/wechat-protocol.md §4.3)', () => {
    expect(createMessage.subscribe({ scene: 'campaign42', ticket: 'TICKET' })).toMatchObject({
      Event: 'subscribe',
      EventKey: 'qrscene_campaign42',
      Ticket: 'TICKET',
    });
    expect(createMessage.subscribe()).not.toHaveProperty('EventKey');
    expect(createMessage.scan('campaign42')).toMatchObject({
      Event: 'SCAN',
      EventKey: 'campaign42',
      Ticket: expect.any(String) as unknown,
    });
  });

  it('counts the pictures of a photo event', () => {
    const event = createMessage.pic('pic_sysphoto', { picMd5Sums: ['a', 'b', 'c'] });
    expect(event.SendPicsInfo).toEqual({
      Count: '3',
      PicList: { item: [{ PicMd5Sum: 'a' }, { PicMd5Sum: 'b' }, { PicMd5Sum: 'c' }] },
    });
  });

  it('makes different users unless told otherwise', () => {
    expect(createMessage.click('K').FromUserName).not.toBe(createMessage.click('K').FromUserName);
  });
});
