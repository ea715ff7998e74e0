import { randomBytes } from 'node:crypto';
import type {
  ClickEvent,
  ImageMessage,
  LinkMessage,
  LocationEvent,
  LocationMessage,
  LocationSelectEvent,
  PicEvent,
  ScanCodeEvent,
  ScanEvent,
  ShortVideoMessage,
  SubscribeEvent,
  SubscribeMsgChangeEvent,
  SubscribeMsgPopupEvent,
  SubscribeMsgSentEvent,
  TemplateSendJobFinishEvent,
  TextMessage,
  UnsubscribeEvent,
  VideoMessage,
  ViewEvent,
  VoiceMessage,
} from '@wxq/wechat';
import { randomInt64Above2To53, randomMediaId, randomOpenId } from '../random-ids.js';

/**
 * The account's original id when none is given: `gh_` + 12 hex, as in the reference's examples
 * (docs/wechat-protocol.md §0.3).
 */
export const DEFAULT_TO_USER_NAME = 'gh_0123456789ab';

/** Fields of every push (docs/wechat-protocol.md §4.1). */
export interface MessageOptions {
  /** The user (FromUserName); default a random 28-character OpenID. */
  readonly openid?: string;
  /** The account's `gh_` id; default `DEFAULT_TO_USER_NAME`. */
  readonly toUserName?: string;
  /** Unix seconds; default now. */
  readonly createTime?: string;
}

/** Ordinary messages also carry a MsgId (docs/wechat-protocol.md §4.2). */
export interface UserMessageOptions extends MessageOptions {
  /** Default a random 64-bit decimal above 2^53. */
  readonly msgId?: string;
}

export interface MediaMessageOptions extends UserMessageOptions {
  /** Default random; register bytes for it with the API simulator's `addMedia` to make it downloadable. */
  readonly mediaId?: string;
}

function header(options: MessageOptions): { ToUserName: string; FromUserName: string; CreateTime: string } {
  return {
    ToUserName: options.toUserName ?? DEFAULT_TO_USER_NAME,
    FromUserName: options.openid ?? randomOpenId(),
    CreateTime: options.createTime ?? String(Math.floor(Date.now() / 1000)),
  };
}

/** One template of a subscribe popup or settings change (docs/wechat-protocol.md §12.1). */
export interface SubscribeChoice {
  readonly templateId: string;
  readonly status: 'accept' | 'reject';
}

/** A popup's choice also says where the popup showed: 1 H5 page, 2 article, 0 unknown (§12.1). */
export interface SubscribePopupChoice extends SubscribeChoice {
  /** Default `'1'`, an H5 page. */
  readonly scene?: string;
}

/** One send a `subscribe_msg_sent_event` reports (docs/wechat-protocol.md §12.1). */
export interface SubscribeSentItem {
  readonly templateId: string;
  readonly msgId: string;
  /** Default `'0'`. */
  readonly errorCode?: string;
  /** Default `'success'`. */
  readonly errorStatus?: string;
}

/** What a `TEMPLATESENDJOBFINISH` can report (docs/wechat-protocol.md §11.3; note the space in the last). */
export type TemplateReportStatus = 'success' | 'failed:user block' | 'failed: system failed';

function msgId(options: UserMessageOptions): string {
  return options.msgId ?? randomInt64Above2To53();
}

type VideoOptions = MediaMessageOptions & { readonly thumbMediaId?: string };

/** What a video and a short video carry after MsgType, in WeChat's order (docs/wechat-protocol.md §4.2). */
function videoFields(options: VideoOptions): { MediaId: string; ThumbMediaId: string; MsgId: string } {
  return {
    MediaId: options.mediaId ?? randomMediaId(),
    ThumbMediaId: options.thumbMediaId ?? randomMediaId(),
    MsgId: msgId(options),
  };
}

/**
 * Realistic user messages and events (docs/wechat-protocol.md §4.2, §4.3), typed as @wxq/wechat's message union and in
 * the field order WeChat uses. Feed them to `buildPush`.
 */
export const createMessage = {
  text(content: string, options: UserMessageOptions = {}): TextMessage {
    return { ...header(options), MsgType: 'text', Content: content, MsgId: msgId(options) };
  },
  image(options: MediaMessageOptions & { readonly picUrl?: string } = {}): ImageMessage {
    const mediaId = options.mediaId ?? randomMediaId();
    const picUrl = options.picUrl ?? `http://mmbiz.qpic.cn/mmbiz_jpg/${randomBytes(12).toString('hex')}/0`;
    return { ...header(options), MsgType: 'image', PicUrl: picUrl, MsgId: msgId(options), MediaId: mediaId };
  },
  voice(options: MediaMessageOptions & { readonly format?: string; readonly recognition?: string } = {}): VoiceMessage {
    const message: VoiceMessage = {
      ...header(options),
      MsgType: 'voice',
      MediaId: options.mediaId ?? randomMediaId(),
      Format: options.format ?? 'amr',
      MsgId: msgId(options),
    };
    return options.recognition === undefined ? message : { ...message, Recognition: options.recognition };
  },
  video(options: VideoOptions = {}): VideoMessage {
    return { ...header(options), MsgType: 'video', ...videoFields(options) };
  },
  shortvideo(options: VideoOptions = {}): ShortVideoMessage {
    return { ...header(options), MsgType: 'shortvideo', ...videoFields(options) };
  },
  /** Location_X is the latitude, Location_Y the longitude (docs/wechat-protocol.md §4.2). */
  location(
    options: UserMessageOptions & {
      readonly latitude?: string;
      readonly longitude?: string;
      readonly scale?: string;
      readonly label?: string;
    } = {},
  ): LocationMessage {
    return {
      ...header(options),
      MsgType: 'location',
      Location_X: options.latitude ?? '23.134521',
      Location_Y: options.longitude ?? '113.358803',
      Scale: options.scale ?? '20',
      Label: options.label ?? '广州市海珠区客村艺苑路 106号',
      MsgId: msgId(options),
    };
  },
  link(
    options: UserMessageOptions & {
      readonly title?: string;
      readonly description?: string;
      readonly url?: string;
    } = {},
  ): LinkMessage {
    return {
      ...header(options),
      MsgType: 'link',
      Title: options.title ?? 'A link',
      Description: options.description ?? 'What the link is about',
      Url: options.url ?? 'https://example.com/article',
      MsgId: msgId(options),
    };
  },
  /**
   * A follow; with `scene`, from a parametric QR code (`EventKey` = `qrscene_` + scene, plus `Ticket`,
   * docs/wechat-protocol.md §4.3).
   */
  subscribe(options: MessageOptions & { readonly scene?: string; readonly ticket?: string } = {}): SubscribeEvent {
    const base: SubscribeEvent = { ...header(options), MsgType: 'event', Event: 'subscribe' };
    if (options.scene === undefined) return base;
    return { ...base, EventKey: `qrscene_${options.scene}`, Ticket: options.ticket ?? randomTicket() };
  },
  unsubscribe(options: MessageOptions = {}): UnsubscribeEvent {
    return { ...header(options), MsgType: 'event', Event: 'unsubscribe' };
  },
  /**
   * An already-following user scanned a parametric QR code: the scene without a prefix
   * (docs/wechat-protocol.md §4.3).
   */
  scan(scene: string, options: MessageOptions & { readonly ticket?: string } = {}): ScanEvent {
    return {
      ...header(options),
      MsgType: 'event',
      Event: 'SCAN',
      EventKey: scene,
      Ticket: options.ticket ?? randomTicket(),
    };
  },
  /** The periodic `LOCATION` report (docs/wechat-protocol.md §4.3). */
  locationReport(
    options: MessageOptions & {
      readonly latitude?: string;
      readonly longitude?: string;
      readonly precision?: string;
    } = {},
  ): LocationEvent {
    return {
      ...header(options),
      MsgType: 'event',
      Event: 'LOCATION',
      Latitude: options.latitude ?? '23.137466',
      Longitude: options.longitude ?? '113.352425',
      Precision: options.precision ?? '119.385040',
    };
  },
  click(eventKey: string, options: MessageOptions = {}): ClickEvent {
    return { ...header(options), MsgType: 'event', Event: 'CLICK', EventKey: eventKey };
  },
  view(url: string, options: MessageOptions & { readonly menuId?: string } = {}): ViewEvent {
    const event: ViewEvent = { ...header(options), MsgType: 'event', Event: 'VIEW', EventKey: url };
    return options.menuId === undefined ? event : { ...event, MenuId: options.menuId };
  },
  scancode(
    event: ScanCodeEvent['Event'],
    options: MessageOptions & {
      readonly eventKey?: string;
      readonly scanType?: string;
      readonly scanResult?: string;
    } = {},
  ): ScanCodeEvent {
    return {
      ...header(options),
      MsgType: 'event',
      Event: event,
      EventKey: options.eventKey ?? 'scan',
      ScanCodeInfo: {
        ScanType: options.scanType ?? 'qrcode',
        ScanResult: options.scanResult ?? 'https://example.com/qr',
      },
    };
  },
  /** A photo menu event; the pictures themselves follow as ordinary image messages (docs/wechat-protocol.md §4.3). */
  pic(
    event: PicEvent['Event'],
    options: MessageOptions & { readonly eventKey?: string; readonly picMd5Sums?: readonly string[] } = {},
  ): PicEvent {
    const sums = options.picMd5Sums ?? [randomBytes(16).toString('hex')];
    return {
      ...header(options),
      MsgType: 'event',
      Event: event,
      EventKey: options.eventKey ?? 'photo',
      SendPicsInfo: { Count: String(sums.length), PicList: { item: sums.map((sum) => ({ PicMd5Sum: sum })) } },
    };
  },
  locationSelect(
    options: MessageOptions & {
      readonly eventKey?: string;
      readonly latitude?: string;
      readonly longitude?: string;
      readonly scale?: string;
      readonly label?: string;
      readonly poiname?: string;
    } = {},
  ): LocationSelectEvent {
    return {
      ...header(options),
      MsgType: 'event',
      Event: 'location_select',
      EventKey: options.eventKey ?? 'location',
      SendLocationInfo: {
        Location_X: options.latitude ?? '23',
        Location_Y: options.longitude ?? '113',
        Scale: options.scale ?? '15',
        Label: options.label ?? '广州市海珠区客村艺苑路 106号',
        Poiname: options.poiname ?? '',
      },
    };
  },
  /**
   * The delivery report of a template message (docs/wechat-protocol.md §11.3): `msgId` is the send's
   * `msgid`, the user its `touser`.
   */
  templateSendJobFinish(
    msgId: string,
    options: MessageOptions & { readonly status?: TemplateReportStatus } = {},
  ): TemplateSendJobFinishEvent {
    return {
      ...header(options),
      MsgType: 'event',
      Event: 'TEMPLATESENDJOBFINISH',
      MsgID: msgId,
      Status: options.status ?? 'success',
    };
  },
  /** The user answered a subscribe popup, one entry per template in it (docs/wechat-protocol.md §12.1). */
  subscribeMsgPopup(choices: readonly SubscribePopupChoice[], options: MessageOptions = {}): SubscribeMsgPopupEvent {
    return {
      ...header(options),
      MsgType: 'event',
      Event: 'subscribe_msg_popup_event',
      SubscribeMsgPopupEvent: {
        List: choices.map((choice) => ({
          TemplateId: choice.templateId,
          SubscribeStatusString: choice.status,
          PopupScene: choice.scene ?? '1',
        })),
      },
    };
  },
  /** The user changed a subscription in the settings, usually a reject (docs/wechat-protocol.md §12.1). */
  subscribeMsgChange(choices: readonly SubscribeChoice[], options: MessageOptions = {}): SubscribeMsgChangeEvent {
    return {
      ...header(options),
      MsgType: 'event',
      Event: 'subscribe_msg_change_event',
      SubscribeMsgChangeEvent: {
        List: choices.map((choice) => ({ TemplateId: choice.templateId, SubscribeStatusString: choice.status })),
      },
    };
  },
  /** The outcome of subscribe sends (docs/wechat-protocol.md §12.1), `List` once per send. */
  subscribeMsgSent(items: readonly SubscribeSentItem[], options: MessageOptions = {}): SubscribeMsgSentEvent {
    return {
      ...header(options),
      MsgType: 'event',
      Event: 'subscribe_msg_sent_event',
      SubscribeMsgSentEvent: {
        List: items.map((item) => ({
          TemplateId: item.templateId,
          MsgID: item.msgId,
          ErrorCode: item.errorCode ?? '0',
          ErrorStatus: item.errorStatus ?? 'success',
        })),
      },
    };
  },
} as const;

/** QR tickets are long URL-safe strings. */
function randomTicket(): string {
  return `gQ${randomBytes(45).toString('base64url')}`;
}
