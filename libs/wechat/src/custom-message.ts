// Customer-service message bodies (docs/wechat-protocol.md §7.2), with WeChat's own field names: a CustomMessage is
// exactly the JSON that is posted. They live in the protocol library because three packages speak
// them: the handler SDK records them, the queue carries them, the API client posts them.

interface CustomMessageBase {
  /** The recipient's OpenID. */
  readonly touser: string;
  /** Send as this customer-service account (docs/wechat-protocol.md §7.1). */
  readonly customservice?: { readonly kf_account: string };
}

export interface CustomTextMessage extends CustomMessageBase {
  readonly msgtype: 'text';
  /** May embed `<a href=… data-miniprogram-appid=… data-miniprogram-path=…>` links (docs/wechat-protocol.md §7.2). */
  readonly text: { readonly content: string };
}

export interface CustomImageMessage extends CustomMessageBase {
  readonly msgtype: 'image';
  readonly image: { readonly media_id: string };
}

export interface CustomVoiceMessage extends CustomMessageBase {
  readonly msgtype: 'voice';
  readonly voice: { readonly media_id: string };
}

export interface CustomVideoMessage extends CustomMessageBase {
  readonly msgtype: 'video';
  readonly video: {
    readonly media_id: string;
    readonly thumb_media_id?: string;
    readonly title?: string;
    readonly description?: string;
  };
}

export interface CustomMusicMessage extends CustomMessageBase {
  readonly msgtype: 'music';
  readonly music: {
    readonly title?: string;
    readonly description?: string;
    readonly musicurl: string;
    readonly hqmusicurl: string;
    readonly thumb_media_id: string;
  };
}

export interface NewsArticle {
  readonly title: string;
  readonly description?: string;
  readonly url: string;
  readonly picurl?: string;
}

/** An external link card. */
export interface CustomNewsMessage extends CustomMessageBase {
  readonly msgtype: 'news';
  /** Exactly one article: more are refused with 45008 (docs/wechat-protocol.md §7.2). */
  readonly news: { readonly articles: readonly [NewsArticle] };
}

/**
 * Legacy: since the draft box launch the API refuses media_id articles (docs/wechat-protocol.md §7.2); use
 * mpnewsarticle.
 */
export interface CustomMpnewsMessage extends CustomMessageBase {
  readonly msgtype: 'mpnews';
  readonly mpnews: { readonly media_id: string };
}

/** A published article, by the article_id of the freepublish APIs. */
export interface CustomMpnewsarticleMessage extends CustomMessageBase {
  readonly msgtype: 'mpnewsarticle';
  readonly mpnewsarticle: { readonly article_id: string };
}

/** A menu; formal, verified accounts only (others get 40200, docs/wechat-protocol.md §7.2). */
export interface CustomMsgmenuMessage extends CustomMessageBase {
  readonly msgtype: 'msgmenu';
  readonly msgmenu: {
    readonly head_content?: string;
    readonly list: readonly { readonly id: string; readonly content: string }[];
    readonly tail_content?: string;
  };
}

export interface CustomWxcardMessage extends CustomMessageBase {
  readonly msgtype: 'wxcard';
  /** `card_ext` is the JSON string the card APIs define (wechatpy passes it through, docs/wechat-protocol.md §7.2). */
  readonly wxcard: { readonly card_id: string; readonly card_ext?: string };
}

/** A mini-program card; the mini-program must be linked to the account. */
export interface CustomMiniprogrampageMessage extends CustomMessageBase {
  readonly msgtype: 'miniprogrampage';
  readonly miniprogrampage: {
    readonly title: string;
    readonly appid: string;
    readonly pagepath: string;
    readonly thumb_media_id: string;
  };
}

/** Every customer-service message an Official Account can send (docs/wechat-protocol.md §7.2), by `msgtype`. */
export type CustomMessage =
  | CustomTextMessage
  | CustomImageMessage
  | CustomVoiceMessage
  | CustomVideoMessage
  | CustomMusicMessage
  | CustomNewsMessage
  | CustomMpnewsMessage
  | CustomMpnewsarticleMessage
  | CustomMsgmenuMessage
  | CustomWxcardMessage
  | CustomMiniprogrampageMessage;

export type CustomMessageType = CustomMessage['msgtype'];

/** The typing indicator's two commands (docs/wechat-protocol.md §7.3). */
export type TypingCommand = 'Typing' | 'CancelTyping';

/** The body under a msgtype's own key: `CustomMessageBody<'text'>` is `{ content: string }`. */
export type CustomMessageBody<T extends CustomMessageType> = CustomMessageOfType<T>[T & keyof CustomMessageOfType<T>];

type CustomMessageOfType<T extends CustomMessageType> = Extract<CustomMessage, { readonly msgtype: T }>;
