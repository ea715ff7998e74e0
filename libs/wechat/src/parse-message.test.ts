import { describe, expect, expectTypeOf, it } from 'vitest';
import { MessageError, WechatProtocolError, XmlError } from './errors.js';
import {
  type ClickEvent,
  type EventMessage,
  type ImageMessage,
  type InboundMessage,
  type KfSessionEvent,
  type KfSwitchSessionEvent,
  type KnownMessage,
  type LinkMessage,
  type LocationEvent,
  type LocationMessage,
  type LocationSelectEvent,
  type MassSendJobFinishEvent,
  type PicEvent,
  type PublishJobFinishEvent,
  type ScanCodeEvent,
  type ScanCodeInfo,
  type ScanEvent,
  type ShortVideoMessage,
  type SubscribeEvent,
  type SubscribeMsgChangeEvent,
  type SubscribeMsgPopupEvent,
  type SubscribeMsgSentEvent,
  type TemplateSendJobFinishEvent,
  type TextMessage,
  type UnknownPush,
  type UnsubscribeEvent,
  type VideoMessage,
  type ViewEvent,
  type ViewMiniprogramEvent,
  type VoiceMessage,
  assertNever,
  fieldOf,
  isKnownMessage,
} from './messages.js';
import { parseInboundXml, toInboundMessage } from './parse-message.js';
import { ACCOUNT, FIXTURES, USER, fixture } from '../test/push-fixtures.js';
import { parseXml } from './xml.js';
import { thrownBy } from '../test/thrown-by.js';

/**
 * The variant a message narrows to. Each branch also checks, at compile time, that the switch
 * narrowed to exactly that interface, so the union cannot silently widen.
 */
function variantOf(message: InboundMessage): string {
  if (!isKnownMessage(message)) return 'unknown';
  switch (message.MsgType) {
    case 'text':
      expectTypeOf(message).toEqualTypeOf<TextMessage>();
      return message.MsgType;
    case 'image':
      expectTypeOf(message).toEqualTypeOf<ImageMessage>();
      return message.MsgType;
    case 'voice':
      expectTypeOf(message).toEqualTypeOf<VoiceMessage>();
      return message.MsgType;
    case 'video':
      expectTypeOf(message).toEqualTypeOf<VideoMessage>();
      return message.MsgType;
    case 'shortvideo':
      expectTypeOf(message).toEqualTypeOf<ShortVideoMessage>();
      return message.MsgType;
    case 'location':
      expectTypeOf(message).toEqualTypeOf<LocationMessage>();
      return message.MsgType;
    case 'link':
      expectTypeOf(message).toEqualTypeOf<LinkMessage>();
      return message.MsgType;
    case 'event':
      return `event:${eventVariantOf(message)}`;
    default:
      return assertNever(message);
  }
}

function eventVariantOf(message: EventMessage): string {
  switch (message.Event) {
    case 'subscribe':
      expectTypeOf(message).toEqualTypeOf<SubscribeEvent>();
      return message.Event;
    case 'unsubscribe':
      expectTypeOf(message).toEqualTypeOf<UnsubscribeEvent>();
      return message.Event;
    case 'SCAN':
      expectTypeOf(message).toEqualTypeOf<ScanEvent>();
      return message.Event;
    case 'LOCATION':
      expectTypeOf(message).toEqualTypeOf<LocationEvent>();
      return message.Event;
    case 'CLICK':
      expectTypeOf(message).toEqualTypeOf<ClickEvent>();
      return message.Event;
    case 'VIEW':
      expectTypeOf(message).toEqualTypeOf<ViewEvent>();
      return message.Event;
    case 'view_miniprogram':
      expectTypeOf(message).toEqualTypeOf<ViewMiniprogramEvent>();
      return message.Event;
    case 'scancode_push':
    case 'scancode_waitmsg':
      expectTypeOf(message).toEqualTypeOf<ScanCodeEvent>();
      return message.Event;
    case 'pic_sysphoto':
    case 'pic_photo_or_album':
    case 'pic_weixin':
      expectTypeOf(message).toEqualTypeOf<PicEvent>();
      return message.Event;
    case 'location_select':
      expectTypeOf(message).toEqualTypeOf<LocationSelectEvent>();
      return message.Event;
    case 'TEMPLATESENDJOBFINISH':
      expectTypeOf(message).toEqualTypeOf<TemplateSendJobFinishEvent>();
      return message.Event;
    case 'MASSSENDJOBFINISH':
      expectTypeOf(message).toEqualTypeOf<MassSendJobFinishEvent>();
      return message.Event;
    case 'PUBLISHJOBFINISH':
      expectTypeOf(message).toEqualTypeOf<PublishJobFinishEvent>();
      return message.Event;
    case 'kf_create_session':
    case 'kf_close_session':
      expectTypeOf(message).toEqualTypeOf<KfSessionEvent>();
      return message.Event;
    case 'kf_switch_session':
      expectTypeOf(message).toEqualTypeOf<KfSwitchSessionEvent>();
      return message.Event;
    case 'subscribe_msg_popup_event':
      expectTypeOf(message).toEqualTypeOf<SubscribeMsgPopupEvent>();
      return message.Event;
    case 'subscribe_msg_change_event':
      expectTypeOf(message).toEqualTypeOf<SubscribeMsgChangeEvent>();
      return message.Event;
    case 'subscribe_msg_sent_event':
      expectTypeOf(message).toEqualTypeOf<SubscribeMsgSentEvent>();
      return message.Event;
    default:
      return assertNever(message);
  }
}

function expectMessageError(run: () => unknown, code: 'missing_field' | 'bad_field', field: string): void {
  const error = thrownBy(run);
  expect(error).toBeInstanceOf(MessageError);
  expect(error).toBeInstanceOf(WechatProtocolError);
  expect(error).toMatchObject({ name: 'MessageError', code, field, wxCode: -40002 });
}

const TEXT_XML = fixture('text, compact, CJK and emoji, MsgId 6054768590064713728').xml;
const HEADER_FIELDS = ['ToUserName', 'FromUserName', 'CreateTime', 'MsgType'] as const;

/** TEXT_XML with the element `name` (and its content) replaced by `replacement`. */
function replaceElement(name: string, replacement: string): string {
  const element = new RegExp(`<${name}>.*?</${name}>`);
  expect(TEXT_XML).toMatch(element);
  return TEXT_XML.replace(element, replacement);
}

function push(fields: string): string {
  return `<xml><ToUserName><![CDATA[${ACCOUNT}]]></ToUserName><FromUserName><![CDATA[${USER}]]></FromUserName><CreateTime>1700009999</CreateTime>${fields}</xml>`;
}

describe('parseInboundXml: every message and event type of docs/wechat-protocol.md §4', () => {
  it.each(FIXTURES.map((f) => [f.name, f] as const))('%s', (_name, { xml, message, variant }) => {
    const parsed = parseInboundXml(xml);
    expect(parsed).toStrictEqual(message);
    expect(isKnownMessage(parsed)).toBe(variant !== 'unknown');
    expect(variantOf(parsed)).toBe(variant);
    // The gateway hands over the raw body as bytes: same result.
    expect(parseInboundXml(Buffer.from(xml, 'utf8'))).toStrictEqual(message);
  });

  it('covers every MsgType and Event the union types', () => {
    const variants = new Set(FIXTURES.map((f) => f.variant));
    for (const msgType of ['text', 'image', 'voice', 'video', 'shortvideo', 'location', 'link'] as const) {
      expect(variants).toContain(msgType);
    }
    const events: EventMessage['Event'][] = [
      'subscribe',
      'unsubscribe',
      'SCAN',
      'LOCATION',
      'CLICK',
      'VIEW',
      'view_miniprogram',
      'scancode_push',
      'scancode_waitmsg',
      'pic_sysphoto',
      'pic_photo_or_album',
      'pic_weixin',
      'location_select',
      'TEMPLATESENDJOBFINISH',
      'MASSSENDJOBFINISH',
      'PUBLISHJOBFINISH',
      'kf_create_session',
      'kf_close_session',
      'kf_switch_session',
      'subscribe_msg_popup_event',
      'subscribe_msg_change_event',
      'subscribe_msg_sent_event',
    ];
    for (const event of events) expect(variants).toContain(`event:${event}`);
  });
});

describe('ids stay exact strings (docs/wechat-protocol.md §0.3, §4.1)', () => {
  it.each(['9223372036854775001', '6054768590064713728', '18446744073709551615'])('MsgId %s', (msgId) => {
    const message = parseInboundXml(replaceElement('MsgId', `<MsgId>${msgId}</MsgId>`));
    expect(fieldOf(message, 'MsgId')).toBe(msgId);
    expect(BigInt(msgId) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
  });

  it('a MsgId with leading zeros or a 64-bit MsgID is not reformatted', () => {
    expect(fieldOf(parseInboundXml(replaceElement('MsgId', '<MsgId>000123</MsgId>')), 'MsgId')).toBe('000123');
    const sent = parseInboundXml(fixture('subscribe_msg_sent_event, one List').xml);
    expect(isKnownMessage(sent) && sent.MsgType === 'event' && sent.Event === 'subscribe_msg_sent_event').toBe(true);
    expect(sent).toMatchObject({ SubscribeMsgSentEvent: { List: [{ MsgID: '1700827132819554304' }] } });
  });

  it('CreateTime keeps its digits', () => {
    expect(parseInboundXml(TEXT_XML).CreateTime).toBe('1700000456');
  });
});

describe('case tolerance (docs/wechat-protocol.md §4.1: wechatpy lower-cases both)', () => {
  it('Event scan becomes SCAN', () => {
    const message = parseInboundXml(fixture('SCAN spelled in lower case').xml);
    expect(fieldOf(message, 'Event')).toBe('SCAN');
    expect(variantOf(message)).toBe('event:SCAN');
  });

  it('MsgType TEXT becomes text', () => {
    const message = parseInboundXml(fixture('text with MsgType in upper case').xml);
    expect(message.MsgType).toBe('text');
    expect(variantOf(message)).toBe('text');
  });

  it.each(['click', 'Click', 'cLiCk'])('Event %s becomes CLICK', (event) => {
    const message = parseInboundXml(
      push(`<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event><EventKey><![CDATA[K]]></EventKey>`),
    );
    expect(message).toStrictEqual({
      ToUserName: ACCOUNT,
      FromUserName: USER,
      CreateTime: '1700009999',
      MsgType: 'event',
      Event: 'CLICK',
      EventKey: 'K',
    });
  });

  it.each(['SUBSCRIBE_MSG_POPUP_EVENT', 'Kf_Create_Session', 'templatesendjobfinish'])(
    'Event %s is recognised',
    (event) => {
      const message = parseInboundXml(push(`<MsgType>event</MsgType><Event>${event}</Event>`));
      expect(isKnownMessage(message)).toBe(true);
      expect(fieldOf(message, 'Event')).toBe(
        event === 'templatesendjobfinish' ? 'TEMPLATESENDJOBFINISH' : event.toLowerCase(),
      );
    },
  );

  // Same tolerance for the event discriminant itself: otherwise an `EVENT` push is an unknown
  // message, and its dedup key (msg:...:CreateTime:MsgType) merges distinct events of one second.
  it.each(['EVENT', 'Event'])('MsgType %s is an event', (msgType) => {
    const message = parseInboundXml(
      push(
        `<MsgType><![CDATA[${msgType}]]></MsgType><Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[K]]></EventKey>`,
      ),
    );
    expect(message.MsgType).toBe('event');
    expect(variantOf(message)).toBe('event:CLICK');
  });

  it('an unknown MsgType or Event keeps its spelling', () => {
    expect(parseInboundXml(push('<MsgType>FILE</MsgType>')).MsgType).toBe('FILE');
    expect(fieldOf(parseInboundXml(push('<MsgType>event</MsgType><Event>User_Get_Card</Event>')), 'Event')).toBe(
      'User_Get_Card',
    );
  });
});

describe('unknown types are kept whole (docs/wechat-protocol.md §4.1)', () => {
  it.each([
    'unknown MsgType file (WeCom only, docs/wechat-protocol.md §4.2)',
    'unknown MsgType miniprogrampage',
    'unknown Event user_get_card with its own fields',
    'unknown Event debug_demo (console push test) with a nested element',
  ])('%s', (name) => {
    const { xml, message } = fixture(name);
    const parsed = parseInboundXml(xml);
    expect(isKnownMessage(parsed)).toBe(false);
    expect(parsed).toStrictEqual(message);
    // Every raw field is there, exactly as parseXml saw it.
    expect(parsed).toStrictEqual(parseXml(xml));
  });

  it('reads unknown fields with fieldOf', () => {
    const card = parseInboundXml(fixture('unknown Event user_get_card with its own fields').xml);
    expect(fieldOf(card, 'UserCardCode')).toBe('226009850808');
    expect(fieldOf(card, 'FriendUserName')).toBe('');
    expect(fieldOf(card, 'NoSuchField')).toBeUndefined();
    const demo = parseInboundXml(fixture('unknown Event debug_demo (console push test) with a nested element').xml);
    expect(fieldOf(demo, 'Extra')).toStrictEqual({ Count: '2', item: [{ v: 'a' }, { v: 'b' }] });
  });

  it.each(['toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'])(
    'an Event named after an Object.prototype member (%s) is unknown, not known',
    (event) => {
      const message = parseInboundXml(push(`<MsgType>event</MsgType><Event>${event}</Event>`));
      expect(isKnownMessage(message)).toBe(false);
      expect(fieldOf(message, 'Event')).toBe(event);
    },
  );

  it.each(['toString', 'constructor_', 'valueOf'])('a MsgType named %s is unknown', (msgType) => {
    const message = parseInboundXml(push(`<MsgType>${msgType}</MsgType>`));
    expect(isKnownMessage(message)).toBe(false);
    expect(message.MsgType).toBe(msgType);
  });
});

describe('extra fields on known types survive', () => {
  it('Encrypt on a compatible-mode text', () => {
    const message = parseInboundXml(fixture('text in compatible mode: the extra Encrypt element survives').xml);
    expect(variantOf(message)).toBe('text');
    expect(fieldOf(message, 'Encrypt')).toBe('aw3Tjb31Xmg91ZiaU8E1CL4HAmTjdxdyQ64C9QScoIvR');
  });

  it('bizmsgmenuid, MsgDataId and Idx are typed', () => {
    const menu = parseInboundXml(fixture('text from a msgmenu click (bizmsgmenuid)').xml);
    const article = parseInboundXml(fixture('text from an article (MsgDataId + Idx)').xml);
    if (!isKnownMessage(menu) || menu.MsgType !== 'text' || !isKnownMessage(article) || article.MsgType !== 'text') {
      return expect.unreachable('both are text messages');
    }
    expect(menu.bizmsgmenuid).toBe('101');
    expect([article.MsgDataId, article.Idx]).toStrictEqual(['2247483650', '1']);
  });

  it('an element WeChat adds later, nested or not, on an event', () => {
    const message = parseInboundXml(
      push(
        '<MsgType>event</MsgType><Event>CLICK</Event><EventKey>K</EventKey><URL><![CDATA[https://x]]></URL><Future><A>1</A><A>2</A></Future>',
      ),
    );
    expect(variantOf(message)).toBe('event:CLICK');
    expect(fieldOf(message, 'URL')).toBe('https://x');
    expect(fieldOf(message, 'Future')).toStrictEqual({ A: ['1', '2'] });
  });

  it('absent fields of a known type read as empty strings', () => {
    expect(parseInboundXml(push('<MsgType>text</MsgType>'))).toStrictEqual({
      ToUserName: ACCOUNT,
      FromUserName: USER,
      CreateTime: '1700009999',
      MsgType: 'text',
      Content: '',
      MsgId: '',
    });
    expect(parseInboundXml(push('<MsgType>event</MsgType><Event>scancode_push</Event>'))).toMatchObject({
      EventKey: '',
      ScanCodeInfo: { ScanType: '', ScanResult: '' },
    });
  });

  // The List fields are typed as strings like ScanCodeInfo's, so they get the same treatment:
  // absent reads as '', nested is refused (a nested MsgID would otherwise reach the dedup key).
  it('subscribe-message List items get their typed fields', () => {
    const popup = parseInboundXml(
      push(
        '<MsgType>event</MsgType><Event>subscribe_msg_popup_event</Event><SubscribeMsgPopupEvent><List><TemplateId>t</TemplateId></List></SubscribeMsgPopupEvent>',
      ),
    );
    expect(popup).toMatchObject({ SubscribeMsgPopupEvent: { List: [{ TemplateId: 't', SubscribeStatusString: '' }] } });
    expectMessageError(
      () =>
        parseInboundXml(
          push(
            '<MsgType>event</MsgType><Event>subscribe_msg_sent_event</Event><SubscribeMsgSentEvent><List><TemplateId>t</TemplateId><MsgID><a>1</a></MsgID><ErrorCode>0</ErrorCode><ErrorStatus>success</ErrorStatus></List></SubscribeMsgSentEvent>',
          ),
        ),
      'bad_field',
      'MsgID',
    );
  });
});

describe('header problems are MessageErrors naming the field', () => {
  it.each(HEADER_FIELDS)('missing %s', (field) => {
    expectMessageError(() => parseInboundXml(replaceElement(field, '')), 'missing_field', field);
  });

  it.each(HEADER_FIELDS)('empty %s (CDATA, element and self-closing)', (field) => {
    expectMessageError(
      () => parseInboundXml(replaceElement(field, `<${field}><![CDATA[]]></${field}>`)),
      'missing_field',
      field,
    );
    expectMessageError(() => parseInboundXml(replaceElement(field, `<${field}></${field}>`)), 'missing_field', field);
    expectMessageError(() => parseInboundXml(replaceElement(field, `<${field}/>`)), 'missing_field', field);
  });

  it.each(HEADER_FIELDS)('%s given as a nested element', (field) => {
    expectMessageError(
      () => parseInboundXml(replaceElement(field, `<${field}><a>1</a></${field}>`)),
      'bad_field',
      field,
    );
  });

  it.each(HEADER_FIELDS)('%s repeated', (field) => {
    const element = new RegExp(`<${field}>.*?</${field}>`).exec(TEXT_XML)?.[0] ?? '';
    expectMessageError(() => parseInboundXml(replaceElement(field, element + element)), 'bad_field', field);
  });

  it('MsgType event without Event', () => {
    expectMessageError(
      () => parseInboundXml(push('<MsgType>event</MsgType><EventKey>K</EventKey>')),
      'missing_field',
      'Event',
    );
    expectMessageError(
      () => parseInboundXml(push('<MsgType>event</MsgType><Event><![CDATA[]]></Event>')),
      'missing_field',
      'Event',
    );
  });

  it('Event nested or repeated', () => {
    expectMessageError(
      () => parseInboundXml(push('<MsgType>event</MsgType><Event><a>CLICK</a></Event>')),
      'bad_field',
      'Event',
    );
    expectMessageError(
      () => parseInboundXml(push('<MsgType>event</MsgType><Event>CLICK</Event><Event>VIEW</Event>')),
      'bad_field',
      'Event',
    );
  });

  it.each(['abc', '1700000000.5', '-1700000000', '1.7e9', '2023-11-14T22:13:20Z', '0x6553F100', '1700000000000'])(
    'CreateTime %s is not Unix seconds',
    (createTime) => {
      expectMessageError(
        () => parseInboundXml(replaceElement('CreateTime', `<CreateTime>${createTime}</CreateTime>`)),
        'bad_field',
        'CreateTime',
      );
    },
  );

  it('CreateTime in CDATA or padded with whitespace is accepted', () => {
    expect(
      parseInboundXml(replaceElement('CreateTime', '<CreateTime><![CDATA[1700000456]]></CreateTime>')).CreateTime,
    ).toBe('1700000456');
    expect(parseInboundXml(replaceElement('CreateTime', '<CreateTime>\n  1700000456\n</CreateTime>')).CreateTime).toBe(
      '1700000456',
    );
  });

  it('a typed field given as a nested element', () => {
    expectMessageError(
      () => parseInboundXml(replaceElement('Content', '<Content><b>x</b></Content>')),
      'bad_field',
      'Content',
    );
    expectMessageError(
      () => parseInboundXml(replaceElement('MsgId', '<MsgId>1</MsgId><MsgId>2</MsgId>')),
      'bad_field',
      'MsgId',
    );
    expectMessageError(
      () =>
        parseInboundXml(
          push(
            '<MsgType>event</MsgType><Event>location_select</Event><EventKey>6</EventKey><SendLocationInfo><Label><x/></Label></SendLocationInfo>',
          ),
        ),
      'bad_field',
      'Label',
    );
  });

  it('XML problems stay XmlErrors', () => {
    const error = thrownBy(() => parseInboundXml('<xml><ToUserName>a</ToUserName>'));
    expect(error).toBeInstanceOf(XmlError);
    expect(error).toMatchObject({ code: 'bad_xml' });
  });
});

describe('toInboundMessage', () => {
  it('types an already parsed record the same way', () => {
    for (const { xml, message } of FIXTURES) expect(toInboundMessage(parseXml(xml))).toStrictEqual(message);
  });

  it('does not modify its input', () => {
    const record = parseXml(fixture('SCAN spelled in lower case').xml);
    const copy = structuredClone(record);
    toInboundMessage(record);
    expect(record).toStrictEqual(copy);
  });
});

describe('types', () => {
  it('isKnownMessage, MsgType and Event narrow to ScanCodeEvent', () => {
    const message = parseInboundXml(fixture('scancode_push').xml);
    if (!(isKnownMessage(message) && message.MsgType === 'event' && message.Event === 'scancode_push')) {
      return expect.unreachable('a scancode_push event');
    }
    expectTypeOf(message).toEqualTypeOf<ScanCodeEvent>();
    expectTypeOf(message).toHaveProperty('ScanCodeInfo');
    expectTypeOf(message.ScanCodeInfo).toEqualTypeOf<ScanCodeInfo>();
    expectTypeOf(message.ScanCodeInfo.ScanResult).toEqualTypeOf<string>();
    expect(message.ScanCodeInfo).toStrictEqual({ ScanType: 'qrcode', ScanResult: '1' });
  });

  it('nothing variant-specific is readable before narrowing', () => {
    const message = parseInboundXml(fixture('scancode_push').xml);
    expectTypeOf(message).toEqualTypeOf<InboundMessage>();
    // @ts-expect-error ScanCodeInfo exists on one variant only
    expect(message.ScanCodeInfo).toBeDefined();
    if (message.MsgType === 'event' && message.Event === 'scancode_push') {
      // Without isKnownMessage an UnknownPush (string discriminants) is still possible.
      expectTypeOf(message).toExtend<UnknownPush | ScanCodeEvent>();
      expectTypeOf(message).not.toEqualTypeOf<ScanCodeEvent>();
    }
  });

  it('a switch over KnownMessage["MsgType"] ending in assertNever compiles', () => {
    function kindOf(msgType: KnownMessage['MsgType']): 'user' | 'event' {
      switch (msgType) {
        case 'text':
        case 'image':
        case 'voice':
        case 'video':
        case 'shortvideo':
        case 'location':
        case 'link':
          return 'user';
        case 'event':
          return 'event';
        default:
          return assertNever(msgType);
      }
    }
    expectTypeOf<KnownMessage['MsgType']>().toEqualTypeOf<
      'text' | 'image' | 'voice' | 'video' | 'shortvideo' | 'location' | 'link' | 'event'
    >();
    expect(kindOf('link')).toBe('user');
    expect(kindOf('event')).toBe('event');
    expect(() => assertNever('file' as never)).toThrow(/unexpected variant/);
  });

  it('ids are typed as strings, never numbers', () => {
    expectTypeOf<TextMessage['MsgId']>().toEqualTypeOf<string>();
    expectTypeOf<TemplateSendJobFinishEvent['MsgID']>().toEqualTypeOf<string>();
    expectTypeOf<SubscribeMsgSentEvent['SubscribeMsgSentEvent']['List'][number]['MsgID']>().toEqualTypeOf<string>();
    expectTypeOf<PublishJobFinishEvent['PublishEventInfo']['publish_id']>().toEqualTypeOf<string>();
  });
});
