import type { XmlRecord, XmlValue } from './xml.js';

// Wire-shaped: field names are WeChat's own (docs/wechat-protocol.md §4 of the reference), every value a string.
// Repeated structures are always arrays, however many items arrived.

interface Header {
  readonly ToUserName: string;
  readonly FromUserName: string;
  /** Unix seconds, digits only. */
  readonly CreateTime: string;
}

interface OrdinaryMessage extends Header {
  /** 64-bit: never parse into a JS number. Empty when WeChat omitted it. */
  readonly MsgId: string;
  /** Present when the message comes from an article (docs/wechat-protocol.md §4.2). */
  readonly MsgDataId?: string;
  readonly Idx?: string;
}

export interface TextMessage extends OrdinaryMessage {
  readonly MsgType: 'text';
  readonly Content: string;
  /** Set when the user tapped an option of a msgmenu customer-service message (docs/wechat-protocol.md §4.2). */
  readonly bizmsgmenuid?: string;
}
export interface ImageMessage extends OrdinaryMessage {
  readonly MsgType: 'image';
  readonly PicUrl: string;
  readonly MediaId: string;
}
export interface VoiceMessage extends OrdinaryMessage {
  readonly MsgType: 'voice';
  readonly MediaId: string;
  readonly Format: string;
  readonly Recognition?: string;
}
export interface VideoMessage extends OrdinaryMessage {
  readonly MsgType: 'video';
  readonly MediaId: string;
  readonly ThumbMediaId: string;
}
export interface ShortVideoMessage extends OrdinaryMessage {
  readonly MsgType: 'shortvideo';
  readonly MediaId: string;
  readonly ThumbMediaId: string;
}
export interface LocationMessage extends OrdinaryMessage {
  readonly MsgType: 'location';
  /** Latitude, despite the name (docs/wechat-protocol.md §4.2). */
  readonly Location_X: string;
  /** Longitude. */
  readonly Location_Y: string;
  readonly Scale: string;
  readonly Label: string;
}
export interface LinkMessage extends OrdinaryMessage {
  readonly MsgType: 'link';
  readonly Title: string;
  readonly Description: string;
  readonly Url: string;
}

interface EventBase extends Header {
  readonly MsgType: 'event';
}

export interface SubscribeEvent extends EventBase {
  readonly Event: 'subscribe';
  /** Absent for a plain follow; `qrscene_<scene>` when the follow came from a parametric QR code. */
  readonly EventKey?: string;
  readonly Ticket?: string;
}
export interface UnsubscribeEvent extends EventBase {
  readonly Event: 'unsubscribe';
  readonly EventKey?: string;
}
export interface ScanEvent extends EventBase {
  readonly Event: 'SCAN';
  /** The scene value, without a prefix. */
  readonly EventKey: string;
  readonly Ticket: string;
}
export interface LocationEvent extends EventBase {
  readonly Event: 'LOCATION';
  readonly Latitude: string;
  readonly Longitude: string;
  readonly Precision: string;
}
export interface ClickEvent extends EventBase {
  readonly Event: 'CLICK';
  readonly EventKey: string;
}
export interface ViewEvent extends EventBase {
  readonly Event: 'VIEW';
  /** The URL opened. */
  readonly EventKey: string;
  readonly MenuId?: string;
}
export interface ViewMiniprogramEvent extends EventBase {
  readonly Event: 'view_miniprogram';
  readonly EventKey: string;
  readonly MenuId?: string;
}
export interface ScanCodeInfo {
  readonly ScanType: string;
  readonly ScanResult: string;
}
export interface ScanCodeEvent extends EventBase {
  readonly Event: 'scancode_push' | 'scancode_waitmsg';
  readonly EventKey: string;
  readonly ScanCodeInfo: ScanCodeInfo;
}
export interface SendPicsInfo {
  readonly Count: string;
  /** Normalised to one PicList whatever shape arrived (docs/wechat-protocol.md §4.3 parser pitfalls). */
  readonly PicList: { readonly item: readonly { readonly PicMd5Sum: string }[] };
}
export interface PicEvent extends EventBase {
  readonly Event: 'pic_sysphoto' | 'pic_photo_or_album' | 'pic_weixin';
  readonly EventKey: string;
  readonly SendPicsInfo: SendPicsInfo;
}
export interface SendLocationInfo {
  readonly Location_X: string;
  readonly Location_Y: string;
  readonly Scale: string;
  readonly Label: string;
  readonly Poiname: string;
}
export interface LocationSelectEvent extends EventBase {
  readonly Event: 'location_select';
  readonly EventKey: string;
  readonly SendLocationInfo: SendLocationInfo;
}
/** The delivery report of a template message (docs/wechat-protocol.md §11.3). */
export interface TemplateSendJobFinishEvent extends EventBase {
  readonly Event: 'TEMPLATESENDJOBFINISH';
  /**
   * Capital D, unlike MsgId (docs/wechat-protocol.md §4.4): the send's msgid, 64-bit, digits only
   * (or '' when absent). Reported as `0` for sends with a client_msg_id [O]: match on the user too.
   */
  readonly MsgID: string;
  /** `success`, `failed:user block`, `failed: system failed` (with the space) [D]; others seen [O]. */
  readonly Status: string;
}
export interface ResultList<Item> {
  readonly Count?: string;
  readonly ResultList?: { readonly item: readonly Item[] };
}
export interface CopyrightCheckItem {
  readonly ArticleIdx?: string;
  readonly UserDeclareState?: string;
  readonly AuditState?: string;
  readonly OriginalArticleUrl?: string;
  readonly OriginalArticleType?: string;
  readonly CanReprint?: string;
  readonly NeedReplaceContent?: string;
  readonly NeedShowReprintSource?: string;
}
export interface MassSendJobFinishEvent extends EventBase {
  readonly Event: 'MASSSENDJOBFINISH';
  readonly MsgID: string;
  readonly Status: string;
  readonly TotalCount: string;
  readonly FilterCount: string;
  readonly SentCount: string;
  readonly ErrorCount: string;
  readonly CopyrightCheckResult?: ResultList<CopyrightCheckItem> & { readonly CheckState?: string };
  readonly ArticleUrlResult?: ResultList<{ readonly ArticleIdx?: string; readonly ArticleUrl?: string }>;
}
export interface PublishEventInfo {
  readonly publish_id: string;
  readonly publish_status: string;
  readonly article_id?: string;
  readonly article_detail?: {
    readonly count?: string;
    readonly item: readonly { readonly idx?: string; readonly article_url?: string }[];
  };
  readonly fail_idx?: readonly string[];
}
export interface PublishJobFinishEvent extends EventBase {
  readonly Event: 'PUBLISHJOBFINISH';
  readonly PublishEventInfo: PublishEventInfo;
}
export interface KfSessionEvent extends EventBase {
  readonly Event: 'kf_create_session' | 'kf_close_session';
  readonly KfAccount: string;
}
export interface KfSwitchSessionEvent extends EventBase {
  readonly Event: 'kf_switch_session';
  readonly FromKfAccount: string;
  readonly ToKfAccount: string;
}
/** One template of a subscribe popup or of a later change in settings (docs/wechat-protocol.md §12.1). */
export interface SubscribeConsentEntry {
  readonly TemplateId: string;
  /** `accept` or `reject` as documented; kept as sent. */
  readonly SubscribeStatusString: string;
  /** Popup only: 1 from an H5 page, 2 from an article (0 in some samples). */
  readonly PopupScene?: string;
}
/** One send reported by subscribe_msg_sent_event (docs/wechat-protocol.md §12.1). */
export interface SubscribeSentEntry {
  readonly TemplateId: string;
  /** 64-bit, digits only (or ''): the msgid of the send's answer, never a JS number. */
  readonly MsgID: string;
  /** `0` on success. */
  readonly ErrorCode: string;
  readonly ErrorStatus: string;
}
/** The user accepted or rejected templates in a popup. Read the entries with subscribeEntriesOf. */
export interface SubscribeMsgPopupEvent extends EventBase {
  readonly Event: 'subscribe_msg_popup_event';
  readonly SubscribeMsgPopupEvent: { readonly List: readonly SubscribeConsentEntry[] };
}
/**
 * The user changed a subscription in settings. `SubscribeMsgChangeEvent` holds the entries also
 * when WeChat sent them under the popup's tag name [O] (docs/wechat-protocol.md §12.1).
 */
export interface SubscribeMsgChangeEvent extends EventBase {
  readonly Event: 'subscribe_msg_change_event';
  readonly SubscribeMsgChangeEvent: { readonly List: readonly SubscribeConsentEntry[] };
}
export interface SubscribeMsgSentEvent extends EventBase {
  readonly Event: 'subscribe_msg_sent_event';
  readonly SubscribeMsgSentEvent: { readonly List: readonly SubscribeSentEntry[] };
}
/**
 * A MsgType or Event this version does not know (WeChat keeps adding them, docs/wechat-protocol.md §4.1;
 * cards, verification, ... docs/wechat-protocol.md §4.3): kept whole, never rejected. Not in the
 * discriminated union, because a `string` discriminant would stop TypeScript narrowing it: test with
 * `isKnownMessage` first.
 */
export interface UnknownPush extends Header {
  readonly MsgType: string;
  readonly Event?: string;
  readonly [field: string]: XmlValue | undefined;
}

export type EventMessage =
  | SubscribeEvent
  | UnsubscribeEvent
  | ScanEvent
  | LocationEvent
  | ClickEvent
  | ViewEvent
  | ViewMiniprogramEvent
  | ScanCodeEvent
  | PicEvent
  | LocationSelectEvent
  | TemplateSendJobFinishEvent
  | MassSendJobFinishEvent
  | PublishJobFinishEvent
  | KfSessionEvent
  | KfSwitchSessionEvent
  | SubscribeMsgPopupEvent
  | SubscribeMsgChangeEvent
  | SubscribeMsgSentEvent;

export type UserMessage =
  TextMessage | ImageMessage | VoiceMessage | VideoMessage | ShortVideoMessage | LocationMessage | LinkMessage;

/** Every push this version types, discriminated by `MsgType`, then by `Event`. */
export type KnownMessage = UserMessage | EventMessage;

/** Every push: a known one, or an unknown one kept whole. */
export type InboundMessage = KnownMessage | UnknownPush;

export type KnownMsgType = UserMessage['MsgType'];
export type KnownEvent = EventMessage['Event'];

/**
 * The text fields each known type always carries (docs/wechat-protocol.md §4.2, §4.3). Records keyed by the literal
 * unions, so adding a variant without its row does not compile.
 */
export const MESSAGE_FIELDS = {
  text: ['Content'],
  image: ['PicUrl', 'MediaId'],
  voice: ['MediaId', 'Format'],
  video: ['MediaId', 'ThumbMediaId'],
  shortvideo: ['MediaId', 'ThumbMediaId'],
  location: ['Location_X', 'Location_Y', 'Scale', 'Label'],
  link: ['Title', 'Description', 'Url'],
} as const satisfies Record<KnownMsgType, readonly string[]>;

export const EVENT_FIELDS = {
  subscribe: [],
  unsubscribe: [],
  SCAN: ['EventKey', 'Ticket'],
  LOCATION: ['Latitude', 'Longitude', 'Precision'],
  CLICK: ['EventKey'],
  VIEW: ['EventKey'],
  view_miniprogram: ['EventKey'],
  scancode_push: ['EventKey'],
  scancode_waitmsg: ['EventKey'],
  pic_sysphoto: ['EventKey'],
  pic_photo_or_album: ['EventKey'],
  pic_weixin: ['EventKey'],
  location_select: ['EventKey'],
  TEMPLATESENDJOBFINISH: ['MsgID', 'Status'],
  MASSSENDJOBFINISH: ['MsgID', 'Status', 'TotalCount', 'FilterCount', 'SentCount', 'ErrorCount'],
  PUBLISHJOBFINISH: [],
  kf_create_session: ['KfAccount'],
  kf_close_session: ['KfAccount'],
  kf_switch_session: ['FromKfAccount', 'ToKfAccount'],
  subscribe_msg_popup_event: [],
  subscribe_msg_change_event: [],
  subscribe_msg_sent_event: [],
} as const satisfies Record<KnownEvent, readonly string[]>;

/** True when this version types the push; then `MsgType` and `Event` narrow it. */
export function isKnownMessage(message: InboundMessage): message is KnownMessage {
  return message.MsgType === 'event'
    ? typeof message.Event === 'string' && Object.hasOwn(EVENT_FIELDS, message.Event)
    : Object.hasOwn(MESSAGE_FIELDS, message.MsgType);
}

/** For exhaustive switches over the union. */
export function assertNever(value: never): never {
  throw new Error(`unexpected variant: ${JSON.stringify(value)}`);
}

/** A field by name, also the ones this version does not type (e.g. an `URL` WeChat added). */
export function fieldOf(message: InboundMessage, name: string): XmlValue | undefined {
  // The message interfaces have no index signature, so TypeScript will not read one as a record;
  // every push is one, made by parseInboundXml from an XmlRecord.
  return (message as unknown as XmlRecord)[name];
}
