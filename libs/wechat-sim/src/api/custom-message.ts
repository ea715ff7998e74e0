// Body checks for the customer-service API, from docs/wechat-protocol.md §7.2 (shapes) and
// docs/wechat-protocol.md §7.5 (codes) of docs/wechat-protocol.md. The reference gives codes for a missing
// media id (40007), an empty text (44004), too many articles (45008), an unknown type (40008), bad JSON
// (47001), a bad openid (40003) and a bad kf_account (61451/61452); for other missing required fields we
// answer 44004 and for fields of the wrong JSON type 47001.

/**
 * OpenIDs are 28 characters of [A-Za-z0-9_-] by SDK validation (docs/wechat-protocol.md §0.3), but the
 * reference's own example user `oABCD1234efgh5678ijkl9012mn` (docs/wechat-protocol.md §2.3, §9.2) has 27,
 * and WeChat's 40003 is about the appid/openid pairing (docs/wechat-protocol.md §7.5), which the simulator
 * cannot know: only the alphabet is checked.
 */
export const OPENID = /^[A-Za-z0-9_-]{1,64}$/;
/** `customservice.kf_account` looks like `test1@kftest` (docs/wechat-protocol.md §7.1). */
const KF_ACCOUNT = /^[^@\s]+@[^@\s]+$/;
/** The custom news message carries at most one article (docs/wechat-protocol.md §7.2, §7.5). */
const MAX_NEWS_ARTICLES = 1;
// `JSON.stringify` escapes lone surrogates, which WeChat refuses as `40033 invalid charset`
// (docs/wechat-protocol.md §7.1).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The msgtype values an Official Account may send (docs/wechat-protocol.md §7.2); `link` is the
 * mini-program's only.
 */
export const CUSTOM_MSG_TYPES = [
  'text',
  'image',
  'voice',
  'video',
  'music',
  'news',
  'mpnews',
  'mpnewsarticle',
  'msgmenu',
  'wxcard',
  'miniprogrampage',
] as const;
export type CustomMsgType = (typeof CUSTOM_MSG_TYPES)[number];

/** An accepted customer-service message, as the client sent it (wire field names, docs/wechat-protocol.md §7.2). */
export interface CustomMessage {
  readonly touser: string;
  readonly msgtype: CustomMsgType;
  readonly customservice?: { readonly kf_account: string };
  readonly [field: string]: unknown;
}

export type TypingCommand = 'Typing' | 'CancelTyping';

/** Whether a temporary media id is known and unexpired. */
type MediaLookup = (mediaId: string) => boolean;

/** A checked body: its value, or the errcode the API answers it with. */
export type Verdict<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errcode: number };

type Check = (body: Readonly<Record<string, unknown>>, hasMedia: MediaLookup) => number;

const MSGTYPE_CHECKS: Readonly<Record<CustomMsgType, Check>> = {
  text: (b) => inObject(b, 'text', stringFields(['content'])),
  image: (b, hasMedia) => inObject(b, 'image', (o) => requireMedia(o, 'media_id', hasMedia)),
  voice: (b, hasMedia) => inObject(b, 'voice', (o) => requireMedia(o, 'media_id', hasMedia)),
  video: (b, hasMedia) =>
    inObject(
      b,
      'video',
      (o) => requireMedia(o, 'media_id', hasMedia) || optionalStrings(o, ['thumb_media_id', 'title', 'description']),
    ),
  music: (b) =>
    inObject(b, 'music', stringFields(['musicurl', 'hqmusicurl', 'thumb_media_id'], ['title', 'description'])),
  news: (b) => inObject(b, 'news', checkArticles),
  // Legacy since the draft box (docs/wechat-protocol.md §7.2); the reference does not say what WeChat answers
  // now, so accepted.
  mpnews: (b) => inObject(b, 'mpnews', (o) => requireString(o, 'media_id', 40007)),
  mpnewsarticle: (b) => inObject(b, 'mpnewsarticle', stringFields(['article_id'])),
  msgmenu: (b) => inObject(b, 'msgmenu', checkMenu),
  wxcard: (b) => inObject(b, 'wxcard', stringFields(['card_id'], ['card_ext'])),
  miniprogrampage: (b) =>
    inObject(b, 'miniprogrampage', stringFields(['appid', 'pagepath', 'thumb_media_id'], ['title'])),
};

/**
 * Checks a `message/custom/send` body (docs/wechat-protocol.md §7.2). Returns the message or the errcode
 * WeChat would answer.
 */
export function checkCustomMessage(body: unknown, hasMedia: MediaLookup): Verdict<CustomMessage> {
  if (!isObject(body)) return { ok: false, errcode: 47001 };
  if (hasLoneSurrogate(body)) return { ok: false, errcode: 40033 };
  const { touser, msgtype } = body;
  if (typeof touser !== 'string' || !OPENID.test(touser)) return { ok: false, errcode: 40003 };
  if (typeof msgtype !== 'string' || !isCustomMsgType(msgtype)) return { ok: false, errcode: 40008 };
  const errcode = MSGTYPE_CHECKS[msgtype](body, hasMedia) || checkCustomService(body['customservice']);
  if (errcode !== 0) return { ok: false, errcode };
  return { ok: true, value: { ...body, touser, msgtype } };
}

/** Checks a `message/custom/typing` body (docs/wechat-protocol.md §7.3). */
export function checkTyping(body: unknown): Verdict<{ readonly touser: string; readonly command: TypingCommand }> {
  if (!isObject(body)) return { ok: false, errcode: 47001 };
  const { touser, command } = body;
  if (typeof touser !== 'string' || !OPENID.test(touser)) return { ok: false, errcode: 40003 };
  if (command !== 'Typing' && command !== 'CancelTyping') return { ok: false, errcode: 45072 };
  return { ok: true, value: { touser, command } };
}

function isCustomMsgType(value: string): value is CustomMsgType {
  return (CUSTOM_MSG_TYPES as readonly string[]).includes(value);
}

function checkArticles(news: Readonly<Record<string, unknown>>): number {
  const { articles } = news;
  if (articles === undefined) return 44004;
  if (!Array.isArray(articles)) return 47001;
  if (articles.length === 0) return 44004;
  if (articles.length > MAX_NEWS_ARTICLES) return 45008;
  const [article] = articles as unknown[];
  if (!isObject(article)) return 47001;
  const wrongType = optionalStrings(article, ['title', 'description', 'url', 'picurl']);
  if (wrongType !== 0) return wrongType;
  return isFilled(article['title']) || isFilled(article['url']) ? 0 : 44004;
}

function checkMenu(menu: Readonly<Record<string, unknown>>): number {
  const { list } = menu;
  if (list === undefined) return 44004;
  if (!Array.isArray(list)) return 47001;
  if (list.length === 0) return 44004;
  for (const item of list as unknown[]) {
    if (!isObject(item)) return 47001;
    const errcode = stringFields(['id', 'content'])(item);
    if (errcode !== 0) return errcode;
  }
  return optionalStrings(menu, ['head_content', 'tail_content']);
}

function checkCustomService(customservice: unknown): number {
  if (customservice === undefined) return 0;
  if (!isObject(customservice)) return 61451;
  const account = customservice['kf_account'];
  return typeof account === 'string' && KF_ACCOUNT.test(account) ? 0 : 61452;
}

function inObject(
  body: Readonly<Record<string, unknown>>,
  name: string,
  check: (object: Readonly<Record<string, unknown>>) => number,
): number {
  const value = body[name];
  if (value === undefined) return 44004;
  return isObject(value) ? check(value) : 47001;
}

/**
 * Required string fields in order (44004 when missing or empty, 47001 when not a string), then
 * optional ones (47001 when not a string): the first failure's errcode, else 0.
 */
function stringFields(
  required: readonly string[],
  optional: readonly string[] = [],
): (object: Readonly<Record<string, unknown>>) => number {
  return (object) => {
    for (const name of required) {
      const errcode = requireString(object, name, 44004);
      if (errcode !== 0) return errcode;
    }
    return optionalStrings(object, optional);
  };
}

function requireString(object: Readonly<Record<string, unknown>>, name: string, missing: number): number {
  const value = object[name];
  if (value === undefined || value === '') return missing;
  return typeof value === 'string' ? 0 : 47001;
}

function requireMedia(object: Readonly<Record<string, unknown>>, name: string, hasMedia: MediaLookup): number {
  const value = object[name];
  if (value !== undefined && typeof value !== 'string') return 47001;
  return value !== undefined && hasMedia(value) ? 0 : 40007;
}

function optionalStrings(object: Readonly<Record<string, unknown>>, names: readonly string[]): number {
  return names.every((name) => object[name] === undefined || typeof object[name] === 'string') ? 0 : 47001;
}

function isFilled(value: unknown): boolean {
  return typeof value === 'string' && value !== '';
}

/** Whether any string (or key) in the JSON value holds a lone surrogate: 40033 (docs/wechat-protocol.md §7.1). */
export function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (Array.isArray(value)) return (value as unknown[]).some(hasLoneSurrogate);
  if (isObject(value))
    return Object.entries(value).some(([key, item]) => LONE_SURROGATE.test(key) || hasLoneSurrogate(item));
  return false;
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
