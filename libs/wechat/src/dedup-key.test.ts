import { describe, expect, it } from 'vitest';
import { computeDedupKey } from './dedup-key.js';
import { type InboundMessage, fieldOf } from './messages.js';
import { parseInboundXml } from './parse-message.js';
import { ACCOUNT, FIXTURES, OTHER_USER, USER, fixture } from '../test/push-fixtures.js';

// Keys per docs/wechat-protocol.md §5.4. They become job ids, so their format is a contract.
const keyOf = (name: string): string => computeDedupKey(parseInboundXml(fixture(name).xml));
const keyOfXml = (xml: string): string => computeDedupKey(parseInboundXml(xml));

const TEXT = 'text, pretty-printed (docs/wechat-protocol.md §2.3), MsgId above 2^53';

function event(fields: string, createTime = '1700009999', user = USER): string {
  return `<xml><ToUserName><![CDATA[${ACCOUNT}]]></ToUserName><FromUserName><![CDATA[${user}]]></FromUserName><CreateTime>${createTime}</CreateTime><MsgType><![CDATA[event]]></MsgType>${fields}</xml>`;
}

function text(msgId: string, user = USER, account = ACCOUNT): string {
  return `<xml><ToUserName><![CDATA[${account}]]></ToUserName><FromUserName><![CDATA[${user}]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>${msgId}</MsgId></xml>`;
}

describe('messages: msg:{ToUserName}:{FromUserName}:{MsgId}', () => {
  it('a text message', () => {
    expect(keyOf(TEXT)).toBe(`msg:${ACCOUNT}:${USER}:9223372036854775001`);
  });

  it('the same push delivered twice gets the same key', () => {
    expect(keyOf(TEXT)).toBe(keyOf(TEXT));
    // A retry is the same push; how the XML was laid out does not matter.
    const compact = fixture(TEXT).xml.replace(/>\s+</g, '><');
    expect(compact).not.toBe(fixture(TEXT).xml);
    expect(keyOfXml(compact)).toBe(keyOf(TEXT));
    expect(computeDedupKey(parseInboundXml(Buffer.from(fixture(TEXT).xml)))).toBe(keyOf(TEXT));
  });

  it('two users with the same MsgId get different keys (docs/wechat-protocol.md §4.4: MsgId is not globally unique)', () => {
    const mine = keyOfXml(text('6054768590064713728'));
    const theirs = keyOfXml(text('6054768590064713728', OTHER_USER));
    expect(mine).toBe(`msg:${ACCOUNT}:${USER}:6054768590064713728`);
    expect(theirs).toBe(`msg:${ACCOUNT}:${OTHER_USER}:6054768590064713728`);
    expect(mine).not.toBe(theirs);
  });

  it('two accounts sharing Redis get different keys', () => {
    expect(keyOfXml(text('1', USER, 'gh_aaaaaaaaaaaa'))).not.toBe(keyOfXml(text('1', USER, 'gh_bbbbbbbbbbbb')));
  });

  it('MsgIds equal as float64 but different integers get different keys', () => {
    expect(Number('9007199254740993')).toBe(Number('9007199254740992'));
    const a = keyOfXml(text('9007199254740993'));
    const b = keyOfXml(text('9007199254740992'));
    expect(a).toBe(`msg:${ACCOUNT}:${USER}:9007199254740993`);
    expect(b).toBe(`msg:${ACCOUNT}:${USER}:9007199254740992`);
    expect(a).not.toBe(b);
    expect(keyOfXml(text('6054768590064713728'))).not.toBe(keyOfXml(text('6054768590064713729')));
  });

  it('every ordinary message type is keyed by its MsgId', () => {
    for (const name of ['image', 'voice without Recognition', 'video', 'shortvideo', 'location', 'link']) {
      const msgId = fieldOf(fixture(name).message, 'MsgId');
      expect(msgId).toMatch(/^\d{16,20}$/);
      expect(keyOf(name)).toBe(`msg:${ACCOUNT}:${USER}:${typeof msgId === 'string' ? msgId : ''}`);
    }
  });
});

describe('events without an id: evt:{ToUserName}:{FromUserName}:{CreateTime}:{Event}:{EventKey}', () => {
  it('an event without EventKey', () => {
    expect(keyOf('subscribe, plain (no EventKey)')).toBe(`evt:${ACCOUNT}:${USER}:1700002000:subscribe:`);
    expect(keyOf('LOCATION')).toBe(`evt:${ACCOUNT}:${USER}:1700002300:LOCATION:`);
  });

  it('an absent and an empty EventKey are the same push', () => {
    const absent = keyOfXml(event('<Event><![CDATA[subscribe]]></Event>'));
    const empty = keyOfXml(event('<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[]]></EventKey>'));
    expect(absent).toBe(empty);
  });

  it('CLICK with its EventKey', () => {
    expect(keyOf('CLICK')).toBe(`evt:${ACCOUNT}:${USER}:1700002400:CLICK:V1001_TODAY_MUSIC`);
  });

  it('the same event pushed twice gets the same key', () => {
    expect(keyOf('CLICK')).toBe(keyOf('CLICK'));
    expect(keyOf('subscribe from a parametric QR code (qrscene_ + Ticket)')).toBe(
      keyOf('subscribe from a parametric QR code (qrscene_ + Ticket)'),
    );
  });

  it('two events in the same second with different EventKeys get different keys', () => {
    const first = keyOfXml(event('<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[MENU_A]]></EventKey>'));
    const second = keyOfXml(event('<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[MENU_B]]></EventKey>'));
    expect(first).not.toBe(second);
  });

  it('different users, seconds or events get different keys', () => {
    const click = '<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[K]]></EventKey>';
    const keys = new Set([
      keyOfXml(event(click)),
      keyOfXml(event(click, '1700010000')),
      keyOfXml(event(click, '1700009999', OTHER_USER)),
      keyOfXml(event('<Event><![CDATA[VIEW]]></Event><EventKey><![CDATA[K]]></EventKey>')),
    ]);
    expect(keys.size).toBe(4);
  });

  it('the Event spelling of a retry does not matter (scan and SCAN)', () => {
    const upper = keyOfXml(
      event('<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[1]]></EventKey><Ticket><![CDATA[T]]></Ticket>'),
    );
    const lower = keyOfXml(
      event('<Event><![CDATA[scan]]></Event><EventKey><![CDATA[1]]></EventKey><Ticket><![CDATA[T]]></Ticket>'),
    );
    expect(lower).toBe(upper);
    expect(upper).toBe(`evt:${ACCOUNT}:${USER}:1700009999:SCAN:1`);
  });
});

describe('delivery reports keyed by their own id', () => {
  it('TEMPLATESENDJOBFINISH by MsgID', () => {
    expect(keyOf('TEMPLATESENDJOBFINISH')).toBe(`evt:${ACCOUNT}:TEMPLATESENDJOBFINISH:200163836`);
  });

  it('MASSSENDJOBFINISH by MsgID', () => {
    expect(keyOf('MASSSENDJOBFINISH, one item in each result list')).toBe(
      `evt:${ACCOUNT}:MASSSENDJOBFINISH:1000001625`,
    );
    expect(keyOf('MASSSENDJOBFINISH, several items in each result list')).toBe(
      `evt:${ACCOUNT}:MASSSENDJOBFINISH:1000001626`,
    );
  });

  it('two reports of one second differ by MsgID; a 64-bit MsgID is kept exactly', () => {
    const report = (msgId: string): string =>
      keyOfXml(
        event(
          `<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>${msgId}</MsgID><Status><![CDATA[success]]></Status>`,
        ),
      );
    expect(report('9007199254740993')).not.toBe(report('9007199254740992'));
    expect(report('9007199254740993')).toBe(`evt:${ACCOUNT}:TEMPLATESENDJOBFINISH:9007199254740993`);
  });

  it('a report without MsgID falls back to the composite key', () => {
    expect(
      keyOfXml(event('<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><Status><![CDATA[success]]></Status>')),
    ).toBe(`evt:${ACCOUNT}:${USER}:1700009999:TEMPLATESENDJOBFINISH:`);
  });

  it('PUBLISHJOBFINISH by publish_id', () => {
    expect(keyOf('PUBLISHJOBFINISH, published')).toBe(`evt:${ACCOUNT}:PUBLISHJOBFINISH:2247503051`);
    expect(keyOf('PUBLISHJOBFINISH, failed articles (fail_idx repeated)')).toBe(
      `evt:${ACCOUNT}:PUBLISHJOBFINISH:2247503052`,
    );
  });

  it('subscribe_msg_sent_event includes every MsgID', () => {
    expect(keyOf('subscribe_msg_sent_event, one List')).toBe(
      `evt:${ACCOUNT}:${USER}:1700004500:subscribe_msg_sent_event:1700827132819554304`,
    );
    expect(keyOf('subscribe_msg_sent_event, several List')).toBe(
      `evt:${ACCOUNT}:${USER}:1700004600:subscribe_msg_sent_event:1700827132819554305,1700827132819554306`,
    );
  });

  it('two subscribe_msg_sent_events of one second differ by their MsgIDs', () => {
    const sent = (msgId: string): string =>
      keyOfXml(
        event(
          `<Event><![CDATA[subscribe_msg_sent_event]]></Event><SubscribeMsgSentEvent><List><TemplateId><![CDATA[t]]></TemplateId><MsgID>${msgId}</MsgID><ErrorCode>0</ErrorCode><ErrorStatus><![CDATA[success]]></ErrorStatus></List></SubscribeMsgSentEvent>`,
        ),
      );
    expect(sent('1700827132819554304')).not.toBe(sent('1700827132819554305'));
  });
});

describe('notification reports and consent events: a retry is one job, two events stay two (docs/wechat-protocol.md §11.3, §12.1)', () => {
  const report = (msgId: string, createTime = '1700009999', user = USER): string =>
    keyOfXml(
      event(
        `<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event><MsgID>${msgId}</MsgID><Status><![CDATA[success]]></Status>`,
        createTime,
        user,
      ),
    );
  const consent = (eventName: string, wrapper: string, lists: string, createTime = '1700009999'): string =>
    keyOfXml(event(`<Event><![CDATA[${eventName}]]></Event><${wrapper}>${lists}</${wrapper}>`, createTime));
  const list = (templateId: string, status: string): string =>
    `<List><TemplateId><![CDATA[${templateId}]]></TemplateId><SubscribeStatusString><![CDATA[${status}]]></SubscribeStatusString></List>`;

  it('a template report with MsgID 0 (a client_msg_id send) is keyed by its user and second, not by the 0 all of them share', () => {
    expect(report('0')).toBe(`evt:${ACCOUNT}:${USER}:1700009999:TEMPLATESENDJOBFINISH:`);
    expect(report('0')).toBe(report('0'));
    expect(report('0', '1700009999', OTHER_USER)).not.toBe(report('0'));
    expect(report('0', '1700010000')).not.toBe(report('0'));
  });

  it('a popup event is keyed by user, second and what it says, so a retry matches and another popup does not', () => {
    const accepted = consent('subscribe_msg_popup_event', 'SubscribeMsgPopupEvent', list('T1', 'accept'));
    expect(accepted).toBe(`evt:${ACCOUNT}:${USER}:1700009999:subscribe_msg_popup_event:T1=accept`);
    expect(consent('subscribe_msg_popup_event', 'SubscribeMsgPopupEvent', list('T1', 'accept'))).toBe(accepted);
    const others = new Set([
      accepted,
      consent('subscribe_msg_popup_event', 'SubscribeMsgPopupEvent', list('T2', 'accept')),
      consent('subscribe_msg_popup_event', 'SubscribeMsgPopupEvent', list('T1', 'reject')),
      consent('subscribe_msg_popup_event', 'SubscribeMsgPopupEvent', list('T1', 'accept') + list('T2', 'accept')),
      consent('subscribe_msg_change_event', 'SubscribeMsgChangeEvent', list('T1', 'accept')),
    ]);
    expect(others.size).toBe(5);
  });

  it('a change event gets the same key under either tag name', () => {
    expect(consent('subscribe_msg_change_event', 'SubscribeMsgPopupEvent', list('T1', 'reject'))).toBe(
      consent('subscribe_msg_change_event', 'SubscribeMsgChangeEvent', list('T1', 'reject')),
    );
  });

  it('a long list is hashed, so the key stays short enough to log; different lists still differ', () => {
    const many = (status: string): string =>
      consent(
        'subscribe_msg_popup_event',
        'SubscribeMsgPopupEvent',
        Array.from({ length: 50 }, (_, i) => list(`template-${i}-0123456789abcdef0123456789`, status)).join(''),
      );
    expect(many('accept')).toMatch(
      new RegExp(`^evt:${ACCOUNT}:${USER}:1700009999:subscribe_msg_popup_event:sha1-[0-9a-f]{40}$`),
    );
    expect(many('accept')).toBe(many('accept'));
    expect(many('reject')).not.toBe(many('accept'));
  });

  it('a hand-built subscribe event without a List does not throw', () => {
    const bare = {
      ToUserName: ACCOUNT,
      FromUserName: USER,
      CreateTime: '1',
      MsgType: 'event',
      Event: 'subscribe_msg_sent_event',
    } as unknown as InboundMessage;
    expect(computeDedupKey(bare)).toBe(`evt:${ACCOUNT}:${USER}:1:subscribe_msg_sent_event:`);
  });
});

describe('unknown types', () => {
  it('an unknown event with UserCardCode (card events can share a second, docs/wechat-protocol.md §5.4)', () => {
    expect(keyOf('unknown Event user_get_card with its own fields')).toBe(
      `evt:${ACCOUNT}:${USER}:1700005200:user_get_card::226009850808`,
    );
    const card = (code: string): string =>
      keyOfXml(
        event(
          `<Event><![CDATA[user_get_card]]></Event><CardId><![CDATA[c]]></CardId><UserCardCode><![CDATA[${code}]]></UserCardCode>`,
        ),
      );
    expect(card('111')).not.toBe(card('222'));
  });

  it('an unknown event without EventKey or card code', () => {
    expect(keyOf('unknown Event debug_demo (console push test) with a nested element')).toBe(
      `evt:${ACCOUNT}:${USER}:1700005300:debug_demo:`,
    );
  });

  it('an unknown MsgType with MsgId is keyed like a message', () => {
    expect(keyOf('unknown MsgType file (WeCom only, docs/wechat-protocol.md §4.2)')).toBe(
      `msg:${ACCOUNT}:${USER}:6054768590064713800`,
    );
    expect(keyOf('unknown MsgType miniprogrampage')).toBe(`msg:${ACCOUNT}:${USER}:6054768590064713801`);
  });

  it('an unknown MsgType without MsgId falls back to CreateTime and MsgType', () => {
    const xml = `<xml><ToUserName><![CDATA[${ACCOUNT}]]></ToUserName><FromUserName><![CDATA[${USER}]]></FromUserName><CreateTime>1700005400</CreateTime><MsgType><![CDATA[device_text]]></MsgType><Content><![CDATA[x]]></Content></xml>`;
    expect(keyOfXml(xml)).toBe(`msg:${ACCOUNT}:${USER}:1700005400:device_text`);
  });
});

describe('every fixture', () => {
  it('gets a deterministic key, and different pushes get different keys', () => {
    const keys = new Map<string, string>();
    for (const { name, xml, message } of FIXTURES) {
      const key = computeDedupKey(message);
      expect(computeDedupKey(parseInboundXml(xml))).toBe(key);
      expect(key).toMatch(/^(msg|evt):gh_0123456789ab:/);
      expect(keys.get(key), `${name} collides`).toBeUndefined();
      keys.set(key, name);
    }
  });

  it('does not depend on fields outside the identity (Content, Ticket, Status)', () => {
    const edited: InboundMessage = { ...fixture(TEXT).message, Content: 'edited' };
    expect(computeDedupKey(edited)).toBe(keyOf(TEXT));
  });
});
