import { createHash } from 'node:crypto';
import { type InboundMessage, fieldOf, isKnownMessage } from './messages.js';
import { subscribeEntriesOf } from './subscribe-list.js';

/**
 * The identity of a push, equal for WeChat's retries of it and different for anything else
 * (docs/wechat-protocol.md §5.4). Messages: account + user + MsgId (MsgId alone collides across users,
 * docs/wechat-protocol.md §4.4). Delivery reports: their MsgID / publish_id. Subscribe events: user +
 * CreateTime + Event + their List. Other events: user + CreateTime + Event + EventKey. Ids are
 * compared as strings, so MsgIds equal as float64 but not as integers stay distinct.
 */
export function computeDedupKey(message: InboundMessage): string {
  const account = message.ToUserName;
  const user = message.FromUserName;
  if (message.MsgType !== 'event') {
    const msgId = text(fieldOf(message, 'MsgId'));
    return msgId === ''
      ? `msg:${account}:${user}:${message.CreateTime}:${message.MsgType}`
      : `msg:${account}:${user}:${msgId}`;
  }
  if (!isKnownMessage(message)) return genericEventKey(message);
  switch (message.Event) {
    // A report is keyed by the msgid it reports, so a retried report is one job and counts once.
    // MsgID 0 has been reported for every send with a client_msg_id [O] (docs/wechat-protocol.md
    // §11.3): as a key it would make all those reports of ten minutes one, so it, like an absent
    // MsgID, falls back to the user's key (user + CreateTime + Event), which a retry shares too.
    case 'TEMPLATESENDJOBFINISH':
    case 'MASSSENDJOBFINISH':
      if (message.MsgID !== '' && message.MsgID !== '0') return `evt:${account}:${message.Event}:${message.MsgID}`;
      break;
    case 'PUBLISHJOBFINISH':
      if (message.PublishEventInfo.publish_id !== '') {
        return `evt:${account}:${message.Event}:${message.PublishEventInfo.publish_id}`;
      }
      break;
    // Subscribe events carry no id of their own, and a retry is the same body with the same
    // CreateTime: user + CreateTime + Event + what the List says. The List is part of the key so
    // that two different events of one second stay two (a consent accepted is a send credit, a
    // report a send's outcome: losing one is as wrong as counting one twice); it is read with
    // subscribeEntriesOf, so both tag names and any shape give the same key. Long lists are
    // hashed, since the key is logged with every job (docs/wechat-protocol.md §5.4, §12.1).
    case 'subscribe_msg_sent_event':
      return `evt:${account}:${user}:${message.CreateTime}:${message.Event}:${bounded(
        subscribeEntriesOf(message)
          .map((entry) => entry.MsgID)
          .join(','),
      )}`;
    case 'subscribe_msg_popup_event':
    case 'subscribe_msg_change_event':
      return `evt:${account}:${user}:${message.CreateTime}:${message.Event}:${bounded(
        subscribeEntriesOf(message)
          .map((entry) => `${entry.TemplateId}=${entry.SubscribeStatusString}`)
          .join(','),
      )}`;
    default:
      break;
  }
  return genericEventKey(message);
}

function genericEventKey(message: InboundMessage): string {
  const account = message.ToUserName;
  const user = message.FromUserName;
  const event = text(fieldOf(message, 'Event'));
  // Card events can share a second; WxJava adds UserCardCode for them (docs/wechat-protocol.md §5.4).
  const cardCode = text(fieldOf(message, 'UserCardCode'));
  const eventKey = text(fieldOf(message, 'EventKey'));
  return `evt:${account}:${user}:${message.CreateTime}:${event}:${eventKey}${cardCode === '' ? '' : `:${cardCode}`}`;
}

/** The most characters of a key's list part kept as they are; longer ones become their SHA-1. */
const MAX_LIST_KEY_CHARS = 200;

function bounded(list: string): string {
  return list.length <= MAX_LIST_KEY_CHARS ? list : `sha1-${createHash('sha1').update(list).digest('hex')}`;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
