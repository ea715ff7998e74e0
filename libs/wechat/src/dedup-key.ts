import { type InboundMessage, fieldOf, isKnownMessage } from './messages.js';

/**
 * The identity of a push, equal for WeChat's retries of it and different for anything else
 * (docs/wechat-protocol.md §5.4). Messages: account + user + MsgId (MsgId alone collides across users,
 * docs/wechat-protocol.md §4.4). Delivery reports: their MsgID / publish_id. Other events: user + CreateTime
 * + Event + EventKey. Ids are compared as strings, so MsgIds equal as float64 but not as integers stay
 * distinct.
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
    case 'TEMPLATESENDJOBFINISH':
    case 'MASSSENDJOBFINISH':
      if (message.MsgID !== '') return `evt:${account}:${message.Event}:${message.MsgID}`;
      break;
    case 'PUBLISHJOBFINISH':
      if (message.PublishEventInfo.publish_id !== '') {
        return `evt:${account}:${message.Event}:${message.PublishEventInfo.publish_id}`;
      }
      break;
    case 'subscribe_msg_sent_event': {
      const ids = message.SubscribeMsgSentEvent.List.map((item) => item.MsgID).join(',');
      return `evt:${account}:${user}:${message.CreateTime}:${message.Event}:${ids}`;
    }
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

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
