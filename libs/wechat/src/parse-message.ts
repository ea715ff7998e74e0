import { MessageError } from './errors.js';
import { EVENT_FIELDS, type InboundMessage, type KnownEvent, type KnownMsgType, MESSAGE_FIELDS } from './messages.js';
import {
  MAX_SUBSCRIBE_LIST_ENTRIES,
  SUBSCRIBE_WRAPPERS,
  type SubscribeEventName,
  rawSubscribeEntries,
} from './subscribe-list.js';
import { type XmlRecord, type XmlValue, parseXml } from './xml.js';

type Mutable = Record<string, XmlValue>;

const HEADER_FIELDS = ['ToUserName', 'FromUserName', 'CreateTime', 'MsgType'] as const;
const UNIX_SECONDS = /^\d{1,12}$/;
const knownMsgTypes = caseInsensitiveIndex([...Object.keys(MESSAGE_FIELDS), 'event']);
const knownEvents = caseInsensitiveIndex(Object.keys(EVENT_FIELDS));

/**
 * Parses a push body into the typed message union. Unknown MsgType/Event values are kept whole.
 * @throws XmlError for XML we refuse; MessageError when a header field is missing or malformed
 */
export function parseInboundXml(body: Uint8Array | string): InboundMessage {
  return toInboundMessage(parseXml(body));
}

/**
 * Types an already parsed `<xml>` record (e.g. the inner XML of a compatible-mode push).
 * @throws MessageError when a header field is missing or malformed
 */
export function toInboundMessage(xml: XmlRecord): InboundMessage {
  const message: Mutable = { ...xml };
  for (const field of HEADER_FIELDS) {
    const value = xml[field];
    if (value === undefined || value === '') throw new MessageError('missing_field', field, `${field} is missing`);
    if (typeof value !== 'string') throw new MessageError('bad_field', field, `${field} must be text`);
  }
  if (!UNIX_SECONDS.test(xml['CreateTime'] as string)) {
    throw new MessageError('bad_field', 'CreateTime', 'CreateTime must be Unix seconds');
  }
  // Absent fields of a known type read as '': a push WeChat trimmed is still delivered rather than
  // refused (refusing loses it: a 4xx is an answer, WeChat does not retry it).
  const msgType = knownMsgTypes.get((xml['MsgType'] as string).toLowerCase()) ?? (xml['MsgType'] as string);
  message['MsgType'] = msgType;
  if (msgType === 'event') typeEvent(message);
  else if (Object.hasOwn(MESSAGE_FIELDS, msgType)) {
    requireText(message, [...MESSAGE_FIELDS[msgType as KnownMsgType], 'MsgId']);
  }
  // The checks above are what make the record a message (its header, then MsgType's and Event's
  // fields); TypeScript cannot follow checks made field by field over a list of names.
  return message as unknown as InboundMessage;
}

function typeEvent(message: Mutable): void {
  const event = message['Event'];
  if (event === undefined || event === '') throw new MessageError('missing_field', 'Event', 'Event is missing');
  if (typeof event !== 'string') throw new MessageError('bad_field', 'Event', 'Event must be text');
  const known = knownEvents.get(event.toLowerCase());
  if (known === undefined) return;
  message['Event'] = known;
  requireText(message, EVENT_FIELDS[known as KnownEvent]);
  normaliseNested(message);
}

function requireText(message: Mutable, fields: readonly string[]): void {
  for (const field of fields) {
    const value = message[field];
    if (value === undefined) message[field] = '';
    else if (typeof value !== 'string') throw new MessageError('bad_field', field, `${field} must be text`);
  }
}

// Lists arrive as one element or many, and PicList once or once per picture (docs/wechat-protocol.md §4.3 pitfalls).
function normaliseNested(message: Mutable): void {
  switch (message['Event']) {
    case 'scancode_push':
    case 'scancode_waitmsg':
      message['ScanCodeInfo'] = recordWith(message['ScanCodeInfo'], ['ScanType', 'ScanResult']);
      break;
    case 'pic_sysphoto':
    case 'pic_photo_or_album':
    case 'pic_weixin': {
      const info = recordWith(message['SendPicsInfo'], ['Count']);
      const items = asArray(info['PicList']).flatMap((list) => asArray(asRecord(list)['item']));
      message['SendPicsInfo'] = { ...info, PicList: { item: items.map((item) => recordWith(item, ['PicMd5Sum'])) } };
      break;
    }
    case 'location_select':
      message['SendLocationInfo'] = recordWith(message['SendLocationInfo'], [
        'Location_X',
        'Location_Y',
        'Scale',
        'Label',
        'Poiname',
      ]);
      break;
    case 'MASSSENDJOBFINISH':
      for (const name of ['CopyrightCheckResult', 'ArticleUrlResult']) {
        const result = message[name];
        if (result !== undefined) message[name] = withItems(asRecord(result), 'ResultList');
      }
      break;
    case 'PUBLISHJOBFINISH': {
      const info: Mutable = { ...recordWith(message['PublishEventInfo'], ['publish_id', 'publish_status']) };
      if (info['article_detail'] !== undefined)
        info['article_detail'] = {
          ...asRecord(info['article_detail']),
          item: asArray(asRecord(info['article_detail'])['item']),
        };
      if (info['fail_idx'] !== undefined)
        info['fail_idx'] = asArray(info['fail_idx']).map((idx) => (typeof idx === 'string' ? idx : ''));
      message['PublishEventInfo'] = info;
      break;
    }
    case 'TEMPLATESENDJOBFINISH':
      requireDigits(message, 'MsgID');
      break;
    case 'subscribe_msg_popup_event':
    case 'subscribe_msg_change_event':
    case 'subscribe_msg_sent_event':
      typeSubscribeList(message, message['Event']);
      break;
    default:
      break;
  }
}

/**
 * The event's own wrapper gets every `List` entry, whichever shape arrived (docs/wechat-protocol.md
 * §12.1): one `List` or many, the wrapper repeated, a change event under the popup's tag name.
 */
function typeSubscribeList(message: Mutable, event: SubscribeEventName): void {
  const entries = rawSubscribeEntries((name) => message[name], event);
  if (entries.length > MAX_SUBSCRIBE_LIST_ENTRIES) {
    throw new MessageError('bad_field', 'List', `more than ${MAX_SUBSCRIBE_LIST_ENTRIES} List entries`);
  }
  const sent = event === 'subscribe_msg_sent_event';
  const fields = sent ? ['TemplateId', 'MsgID', 'ErrorCode', 'ErrorStatus'] : ['TemplateId', 'SubscribeStatusString'];
  const list = entries.map((entry) => {
    const record = recordWith(entry, fields);
    if (sent) requireDigits(record, 'MsgID');
    return record;
  });
  message[SUBSCRIBE_WRAPPERS[event][0]] = { List: list };
}

const DIGITS = /^\d{1,20}$/;

/**
 * A 64-bit id (MsgID) is decimal digits or absent (''): anything else cannot match a send's msgid
 * and is not WeChat (docs/wechat-protocol.md §4.1, §11.3).
 */
function requireDigits(record: Mutable, field: string): void {
  const value = record[field];
  if (typeof value === 'string' && value !== '' && !DIGITS.test(value)) {
    throw new MessageError('bad_field', field, `${field} must be decimal digits`);
  }
}

function withItems(record: XmlRecord, listName: string): XmlRecord {
  const list = record[listName];
  if (list === undefined) return record;
  return { ...record, [listName]: { item: asArray(asRecord(list)['item']) } };
}

function asArray(value: XmlValue | undefined): readonly XmlValue[] {
  if (value === undefined || value === '') return [];
  return Array.isArray(value) ? (value as readonly XmlValue[]) : [value];
}

function asRecord(value: XmlValue | undefined): XmlRecord {
  return typeof value === 'object' && !Array.isArray(value) ? (value as XmlRecord) : {};
}

function recordWith(value: XmlValue | undefined, fields: readonly string[]): XmlRecord {
  const record: Mutable = { ...asRecord(value) };
  requireText(record, fields);
  return record;
}

function caseInsensitiveIndex(names: readonly string[]): ReadonlyMap<string, string> {
  return new Map(names.map((name) => [name.toLowerCase(), name]));
}
