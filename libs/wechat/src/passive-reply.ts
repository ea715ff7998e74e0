import { buildXml } from './build-xml.js';
import type { CustomMessage, NewsArticle } from './custom-message.js';
import type { XmlRecord } from './xml.js';

/** Where a passive reply goes: the answer to a push travels back to the user who sent it. */
export interface PassiveReplyHeader {
  /** The account's `gh_` id: the push's ToUserName. */
  readonly fromUserName: string;
  /** Unix seconds, as a string. */
  readonly createTime: string;
}

/**
 * The message body of a passive reply (docs/wechat-protocol.md §5.2) for a customer-service message,
 * or undefined when it has no passive form: text, image, voice, video, music and news with one
 * article do; menus, cards, mini-program pages and articles by id go by the API only.
 */
function passiveBodyOf(message: CustomMessage): XmlRecord | undefined {
  switch (message.msgtype) {
    case 'text':
      return { MsgType: 'text', Content: message.text.content };
    case 'image':
      return { MsgType: 'image', Image: { MediaId: message.image.media_id } };
    case 'voice':
      return { MsgType: 'voice', Voice: { MediaId: message.voice.media_id } };
    case 'video':
      return {
        MsgType: 'video',
        Video: {
          MediaId: message.video.media_id,
          ...optional('Title', message.video.title),
          ...optional('Description', message.video.description),
        },
      };
    case 'music':
      return {
        MsgType: 'music',
        Music: {
          ...optional('Title', message.music.title),
          ...optional('Description', message.music.description),
          MusicUrl: message.music.musicurl,
          HQMusicUrl: message.music.hqmusicurl,
          ThumbMediaId: message.music.thumb_media_id,
        },
      };
    case 'news': {
      // Typed as one article; a payload from elsewhere may still hold more.
      const articles: readonly NewsArticle[] = message.news.articles;
      const [article] = articles;
      // WeChat shows one article per passive news reply since 2018 (docs/wechat-protocol.md §5.2).
      if (article === undefined || articles.length !== 1) return undefined;
      return {
        MsgType: 'news',
        ArticleCount: '1',
        Articles: {
          item: {
            Title: article.title,
            ...optional('Description', article.description),
            ...optional('PicUrl', article.picurl),
            Url: article.url,
          },
        },
      };
    }
    default:
      return undefined;
  }
}

/** Whether the message can be the passive answer to a push. */
export function isPassiveCapable(message: CustomMessage): boolean {
  return passiveBodyOf(message) !== undefined;
}

/**
 * The plaintext XML of a passive reply, in the field order and layout of the official samples
 * (shared vector `fresh-reply-text`): encrypt it with `sealMessage` for safe and compatible mode.
 * @throws TypeError when the message has no passive form (check {@link isPassiveCapable})
 */
export function buildPassiveReplyXml(message: CustomMessage, header: PassiveReplyHeader): string {
  const body = passiveBodyOf(message);
  if (body === undefined) throw new TypeError(`a ${message.msgtype} message has no passive form`);
  return buildXml({
    ToUserName: message.touser,
    FromUserName: header.fromUserName,
    CreateTime: header.createTime,
    ...body,
  });
}

function optional(name: string, value: string | undefined): XmlRecord {
  return value === undefined ? {} : { [name]: value };
}
