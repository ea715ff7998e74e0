import { describe, expect, expectTypeOf, it } from 'vitest';
import { MessageError } from './errors.js';
import {
  type InboundMessage,
  type SubscribeConsentEntry,
  type SubscribeMsgChangeEvent,
  type SubscribeMsgPopupEvent,
  type SubscribeMsgSentEvent,
  type SubscribeSentEntry,
  type TemplateSendJobFinishEvent,
  isKnownMessage,
} from './messages.js';
import { parseInboundXml } from './parse-message.js';
import { MAX_SUBSCRIBE_LIST_ENTRIES, subscribeEntriesOf } from './subscribe-list.js';
import { ACCOUNT, USER } from '../test/push-fixtures.js';
import { thrownBy } from '../test/thrown-by.js';

// docs/wechat-protocol.md §11.3 and §12.1: the pushes that report notifications and consent.

function push(event: string, body: string): string {
  return `<xml><ToUserName><![CDATA[${ACCOUNT}]]></ToUserName><FromUserName><![CDATA[${USER}]]></FromUserName><CreateTime>1765000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event>${body}</xml>`;
}

const consent = (templateId: string, status: string, scene?: string): string =>
  `<List><TemplateId><![CDATA[${templateId}]]></TemplateId><SubscribeStatusString><![CDATA[${status}]]></SubscribeStatusString>${
    scene === undefined ? '' : `<PopupScene>${scene}</PopupScene>`
  }</List>`;
const sent = (templateId: string, msgId: string, errorCode = '0', status = 'success'): string =>
  `<List><TemplateId><![CDATA[${templateId}]]></TemplateId><MsgID>${msgId}</MsgID><ErrorCode>${errorCode}</ErrorCode><ErrorStatus><![CDATA[${status}]]></ErrorStatus></List>`;

function popup(xml: string): SubscribeMsgPopupEvent {
  const message = parseInboundXml(xml);
  if (!isKnownMessage(message) || message.MsgType !== 'event' || message.Event !== 'subscribe_msg_popup_event')
    return expect.unreachable('not a popup event');
  return message;
}
function change(xml: string): SubscribeMsgChangeEvent {
  const message = parseInboundXml(xml);
  if (!isKnownMessage(message) || message.MsgType !== 'event' || message.Event !== 'subscribe_msg_change_event')
    return expect.unreachable('not a change event');
  return message;
}
function sentEvent(xml: string): SubscribeMsgSentEvent {
  const message = parseInboundXml(xml);
  if (!isKnownMessage(message) || message.MsgType !== 'event' || message.Event !== 'subscribe_msg_sent_event')
    return expect.unreachable('not a sent event');
  return message;
}

describe('TEMPLATESENDJOBFINISH (docs/wechat-protocol.md §11.3)', () => {
  const report = (msgId: string, status = 'failed: system failed'): InboundMessage =>
    parseInboundXml(push('TEMPLATESENDJOBFINISH', `<MsgID>${msgId}</MsgID><Status><![CDATA[${status}]]></Status>`));

  it('keeps a MsgID above 2^64 / 2^53 digit for digit, and Status with its space', () => {
    const message = report('18446744073709551615');
    expect(message).toMatchObject({ Event: 'TEMPLATESENDJOBFINISH', MsgID: '18446744073709551615' });
    expect((message as TemplateSendJobFinishEvent).Status).toBe('failed: system failed');
    expect(report('9007199254740993', 'failed:user block')).toMatchObject({
      MsgID: '9007199254740993',
      Status: 'failed:user block',
    });
    expectTypeOf<TemplateSendJobFinishEvent['MsgID']>().toEqualTypeOf<string>();
  });

  it.each(['abc', '1e18', '-5', '12 34', '0x10', '1.5', '123456789012345678901'])(
    'refuses MsgID %s with a MessageError naming the field',
    (msgId) => {
      const error = thrownBy(() => report(msgId));
      expect(error).toBeInstanceOf(MessageError);
      expect(error).toMatchObject({ code: 'bad_field', field: 'MsgID' });
    },
  );

  it('an absent MsgID reads as empty, as any trimmed field does; 0 (client_msg_id sends) is kept', () => {
    expect(parseInboundXml(push('TEMPLATESENDJOBFINISH', '<Status>success</Status>'))).toMatchObject({ MsgID: '' });
    expect(report('0')).toMatchObject({ MsgID: '0' });
  });
});

describe('subscribe_msg_popup_event and subscribe_msg_change_event (docs/wechat-protocol.md §12.1)', () => {
  it('one List or many become the same typed list, PopupScene kept', () => {
    const one = popup(
      push(
        'subscribe_msg_popup_event',
        `<SubscribeMsgPopupEvent>${consent('T1', 'accept', '2')}</SubscribeMsgPopupEvent>`,
      ),
    );
    expect(one.SubscribeMsgPopupEvent.List).toStrictEqual([
      { TemplateId: 'T1', SubscribeStatusString: 'accept', PopupScene: '2' },
    ]);
    const many = popup(
      push(
        'subscribe_msg_popup_event',
        `<SubscribeMsgPopupEvent>${consent('T1', 'accept', '1')}${consent('T2', 'reject', '1')}${consent('T3', 'accept', '0')}</SubscribeMsgPopupEvent>`,
      ),
    );
    expect(subscribeEntriesOf(many)).toStrictEqual([
      { TemplateId: 'T1', SubscribeStatusString: 'accept', PopupScene: '1' },
      { TemplateId: 'T2', SubscribeStatusString: 'reject', PopupScene: '1' },
      { TemplateId: 'T3', SubscribeStatusString: 'accept', PopupScene: '0' },
    ]);
    expectTypeOf(subscribeEntriesOf(many)).toEqualTypeOf<readonly SubscribeConsentEntry[]>();
  });

  it('a change event under its own tag or the popup tag name gives the same entries', () => {
    const own = change(
      push(
        'subscribe_msg_change_event',
        `<SubscribeMsgChangeEvent>${consent('T1', 'reject')}</SubscribeMsgChangeEvent>`,
      ),
    );
    const borrowed = change(
      push('subscribe_msg_change_event', `<SubscribeMsgPopupEvent>${consent('T1', 'reject')}</SubscribeMsgPopupEvent>`),
    );
    const expected = [{ TemplateId: 'T1', SubscribeStatusString: 'reject' }];
    expect(own.SubscribeMsgChangeEvent.List).toStrictEqual(expected);
    expect(borrowed.SubscribeMsgChangeEvent.List).toStrictEqual(expected);
    expect(subscribeEntriesOf(own)).toStrictEqual(expected);
    expect(subscribeEntriesOf(borrowed)).toStrictEqual(expected);
  });

  it('reads a change event an older parser queued, whose entries stayed under the popup tag name', () => {
    // What a version that knew only SubscribeMsgChangeEvent put in a job: an empty typed list and
    // the raw popup element beside it.
    const queued = {
      ToUserName: ACCOUNT,
      FromUserName: USER,
      CreateTime: '1765000000',
      MsgType: 'event',
      Event: 'subscribe_msg_change_event',
      SubscribeMsgChangeEvent: { List: [] },
      SubscribeMsgPopupEvent: { List: { TemplateId: 'T1', SubscribeStatusString: 'reject' } },
    } as const;
    expect(subscribeEntriesOf(queued)).toStrictEqual([{ TemplateId: 'T1', SubscribeStatusString: 'reject' }]);
  });

  it('a repeated wrapper is read as one list', () => {
    const message = popup(
      push(
        'subscribe_msg_popup_event',
        `<SubscribeMsgPopupEvent>${consent('T1', 'accept')}</SubscribeMsgPopupEvent><SubscribeMsgPopupEvent>${consent('T2', 'accept')}</SubscribeMsgPopupEvent>`,
      ),
    );
    expect(subscribeEntriesOf(message).map((entry) => entry.TemplateId)).toStrictEqual(['T1', 'T2']);
  });

  it.each([
    ['no wrapper', ''],
    ['an empty wrapper', '<SubscribeMsgPopupEvent></SubscribeMsgPopupEvent>'],
    ['a self-closing wrapper', '<SubscribeMsgPopupEvent/>'],
    ['an empty List', '<SubscribeMsgPopupEvent><List></List></SubscribeMsgPopupEvent>'],
    ['text instead of List', '<SubscribeMsgPopupEvent>accept</SubscribeMsgPopupEvent>'],
    [
      'a List without TemplateId',
      '<SubscribeMsgPopupEvent><List><SubscribeStatusString>accept</SubscribeStatusString></List></SubscribeMsgPopupEvent>',
    ],
  ])('%s: an empty list, not an error', (_, body) => {
    const message = popup(push('subscribe_msg_popup_event', body));
    expect(subscribeEntriesOf(message)).toStrictEqual([]);
  });

  it(`more than ${MAX_SUBSCRIBE_LIST_ENTRIES} List entries is a MessageError; exactly that many parse`, () => {
    const lists = (n: number) => Array.from({ length: n }, (_, i) => consent(`T${i}`, 'accept')).join('');
    const most = popup(
      push(
        'subscribe_msg_popup_event',
        `<SubscribeMsgPopupEvent>${lists(MAX_SUBSCRIBE_LIST_ENTRIES)}</SubscribeMsgPopupEvent>`,
      ),
    );
    expect(subscribeEntriesOf(most)).toHaveLength(MAX_SUBSCRIBE_LIST_ENTRIES);
    const error = thrownBy(() =>
      parseInboundXml(
        push(
          'subscribe_msg_popup_event',
          `<SubscribeMsgPopupEvent>${lists(MAX_SUBSCRIBE_LIST_ENTRIES + 1)}</SubscribeMsgPopupEvent>`,
        ),
      ),
    );
    expect(error).toBeInstanceOf(MessageError);
    expect(error).toMatchObject({ code: 'bad_field', field: 'List' });
  });

  it('a hand-built message with any shape is read without throwing, and capped', () => {
    const shapes: unknown[] = [
      undefined,
      '',
      'text',
      [],
      [''],
      { List: 'x' },
      { List: [{ TemplateId: { nested: 'x' } }] },
      { List: Array.from({ length: 5_000 }, (_, i) => ({ TemplateId: `T${i}`, SubscribeStatusString: 'accept' })) },
    ];
    for (const shape of shapes) {
      const message = {
        ToUserName: ACCOUNT,
        FromUserName: USER,
        CreateTime: '1',
        MsgType: 'event',
        Event: 'subscribe_msg_popup_event',
        SubscribeMsgPopupEvent: shape,
      } as unknown as SubscribeMsgPopupEvent;
      expect(subscribeEntriesOf(message).length).toBeLessThanOrEqual(MAX_SUBSCRIBE_LIST_ENTRIES);
    }
  });
});

describe('subscribe_msg_sent_event (docs/wechat-protocol.md §12.1)', () => {
  it('entries with TemplateId, a 64-bit MsgID kept as text, ErrorCode and ErrorStatus', () => {
    const message = sentEvent(
      push(
        'subscribe_msg_sent_event',
        `<SubscribeMsgSentEvent>${sent('T1', '1700827132819554304')}${sent('T2', '18446744073709551615', '10005', 'fail:user reject')}</SubscribeMsgSentEvent>`,
      ),
    );
    expect(subscribeEntriesOf(message)).toStrictEqual([
      { TemplateId: 'T1', MsgID: '1700827132819554304', ErrorCode: '0', ErrorStatus: 'success' },
      { TemplateId: 'T2', MsgID: '18446744073709551615', ErrorCode: '10005', ErrorStatus: 'fail:user reject' },
    ]);
    expectTypeOf(subscribeEntriesOf(message)).toEqualTypeOf<readonly SubscribeSentEntry[]>();
  });

  it('a non-numeric MsgID in any entry is a MessageError naming MsgID', () => {
    const error = thrownBy(() =>
      parseInboundXml(
        push(
          'subscribe_msg_sent_event',
          `<SubscribeMsgSentEvent>${sent('T1', '1')}${sent('T2', 'DROP TABLE')}</SubscribeMsgSentEvent>`,
        ),
      ),
    );
    expect(error).toBeInstanceOf(MessageError);
    expect(error).toMatchObject({ code: 'bad_field', field: 'MsgID' });
  });

  it('a missing List is an empty list', () => {
    expect(subscribeEntriesOf(sentEvent(push('subscribe_msg_sent_event', '')))).toStrictEqual([]);
  });
});
