import {
  type SubscribeConsentEntry,
  type SubscribeMsgChangeEvent,
  type SubscribeMsgPopupEvent,
  type SubscribeMsgSentEvent,
  type SubscribeSentEntry,
  fieldOf,
} from './messages.js';
import type { XmlRecord, XmlValue } from './xml.js';

/**
 * The most `List` entries one subscribe event may carry [R]. A popup offers a handful of
 * templates (docs/wechat-protocol.md §12.1) and a sent report one per send; more is not WeChat.
 */
export const MAX_SUBSCRIBE_LIST_ENTRIES = 100;

/** The wrapper element of each subscribe event, in the order they are looked for (docs/wechat-protocol.md §12.1). */
export const SUBSCRIBE_WRAPPERS = {
  subscribe_msg_popup_event: ['SubscribeMsgPopupEvent', 'SubscribeMsgChangeEvent'],
  // One sample of the change event reuses the popup's tag name [O]: accept both.
  subscribe_msg_change_event: ['SubscribeMsgChangeEvent', 'SubscribeMsgPopupEvent'],
  subscribe_msg_sent_event: ['SubscribeMsgSentEvent'],
} as const;

export type SubscribeEventName = keyof typeof SUBSCRIBE_WRAPPERS;

/**
 * The `List` entries of a subscribe event, normalised whatever shape arrived: one `List` or many,
 * the wrapper once or repeated, under the event's own tag name or (change event) the popup's, from
 * this parser or from a message an older version parsed and queued. Total: never throws; a field
 * that is not text reads as '', an entry without a TemplateId is dropped (nothing can be done with
 * it), and at most MAX_SUBSCRIBE_LIST_ENTRIES are answered. docs/wechat-protocol.md §12.1.
 */
export function subscribeEntriesOf(
  message: SubscribeMsgPopupEvent | SubscribeMsgChangeEvent,
): readonly SubscribeConsentEntry[];
export function subscribeEntriesOf(message: SubscribeMsgSentEvent): readonly SubscribeSentEntry[];
export function subscribeEntriesOf(
  message: SubscribeMsgPopupEvent | SubscribeMsgChangeEvent | SubscribeMsgSentEvent,
): readonly SubscribeConsentEntry[] | readonly SubscribeSentEntry[] {
  const raw = rawSubscribeEntries((name) => fieldOf(message, name), message.Event).slice(0, MAX_SUBSCRIBE_LIST_ENTRIES);
  return message.Event === 'subscribe_msg_sent_event' ? raw.flatMap(sentEntry) : raw.flatMap(consentEntry);
}

/**
 * The raw `List` records of the first wrapper that has any (`field` reads an element of the push
 * by name), in order: what the parser types and what subscribeEntriesOf reads. The first with
 * entries rather than the first present, because a version that knew only the change event's own
 * tag queued `SubscribeMsgChangeEvent: {List: []}` beside the popup-named element. At most
 * MAX_SUBSCRIBE_LIST_ENTRIES + 1, so that a caller can tell "too many" without reading them all.
 */
export function rawSubscribeEntries(
  field: (name: string) => XmlValue | undefined,
  event: SubscribeEventName,
): XmlRecord[] {
  for (const name of SUBSCRIBE_WRAPPERS[event]) {
    const entries: XmlRecord[] = [];
    for (const part of asArray(field(name))) {
      for (const entry of asArray(asRecord(part)['List'])) {
        if (entries.length > MAX_SUBSCRIBE_LIST_ENTRIES) return entries;
        entries.push(asRecord(entry));
      }
    }
    if (entries.length > 0) return entries;
  }
  return [];
}

function consentEntry(entry: XmlRecord): SubscribeConsentEntry[] {
  const TemplateId = textOf(entry['TemplateId']);
  const SubscribeStatusString = textOf(entry['SubscribeStatusString']);
  const PopupScene = entry['PopupScene'];
  if (TemplateId === '') return [];
  return [
    typeof PopupScene === 'string'
      ? { TemplateId, SubscribeStatusString, PopupScene }
      : { TemplateId, SubscribeStatusString },
  ];
}

function sentEntry(entry: XmlRecord): SubscribeSentEntry[] {
  const TemplateId = textOf(entry['TemplateId']);
  if (TemplateId === '') return [];
  return [
    {
      TemplateId,
      MsgID: textOf(entry['MsgID']),
      ErrorCode: textOf(entry['ErrorCode']),
      ErrorStatus: textOf(entry['ErrorStatus']),
    },
  ];
}

function textOf(value: XmlValue | undefined): string {
  return typeof value === 'string' ? value : '';
}

function asArray(value: XmlValue | undefined): readonly XmlValue[] {
  if (value === undefined || value === '') return [];
  return Array.isArray(value) ? (value as readonly XmlValue[]) : [value];
}

function asRecord(value: XmlValue | undefined): XmlRecord {
  return typeof value === 'object' && !Array.isArray(value) ? (value as XmlRecord) : {};
}
