// Body checks for template messages (docs/wechat-protocol.md §11.1, §11.2) and subscribe notifications
// (§12.2). The notes give 40003 (bad openid), 40037 (unknown template_id) and 47003 (a bad
// `data.X.value`); like the customer-service checks (custom-message.ts) a field of the wrong JSON
// type is 47001 (data format error), a string that breaks a rule 47003 (argument invalid).
import { type Verdict, OPENID, hasLoneSurrogate } from './custom-message.js';
import { isObject } from './routes.js';

/**
 * `client_msg_id` is at most 64 characters (docs/wechat-protocol.md §11.1). The notes do not say what
 * a longer one gets: 47003 (argument invalid) is our choice.
 */
const MAX_CLIENT_MSG_ID_CHARS = 64;

/** WeChat's limits count characters, so code points, not UTF-16 units. */
const chars = (value: string): number => Array.from(value).length;

/** `data` as sent: keyword → `{ value }`; other fields of a keyword (the retired `color`) are kept. */
export type NotificationData = Readonly<Record<string, { readonly value: string; readonly [field: string]: unknown }>>;

export interface MiniProgramLink {
  readonly appid: string;
  readonly pagepath?: string;
}

/** An accepted `message/template/send` body, wire field names (docs/wechat-protocol.md §11.1). */
export interface TemplateSendBody {
  readonly touser: string;
  readonly template_id: string;
  readonly data: NotificationData;
  readonly url?: string;
  readonly miniprogram?: MiniProgramLink;
  readonly client_msg_id?: string;
}

/** An accepted `message/subscribe/bizsend` body, wire field names (docs/wechat-protocol.md §12.2). */
export interface SubscribeSendBody {
  readonly touser: string;
  readonly template_id: string;
  readonly data: NotificationData;
  readonly page?: string;
  readonly miniprogram?: MiniProgramLink;
}

/** Whether the account has a template of the right kind with this id. */
type TemplateLookup = (templateId: string) => boolean;

/**
 * Checks a `message/template/send` body: 47001 for the wrong JSON types, 40033 for a lone surrogate,
 * 40003 for a missing or malformed touser, 40037 for a template the account lacks, 47003 for a
 * `data` entry without a string `value` or a bad `client_msg_id`, in that order.
 */
export function checkTemplateSend(body: unknown, isTemplate: TemplateLookup): Verdict<TemplateSendBody> {
  const common = checkCommon(body, isTemplate, ['url', 'client_msg_id'], () => true);
  if (!common.ok) return common;
  const { fields, ...value } = common.value;
  const url = fields['url'];
  const clientMsgId = fields['client_msg_id'];
  if (typeof clientMsgId === 'string' && !(clientMsgId !== '' && chars(clientMsgId) <= MAX_CLIENT_MSG_ID_CHARS))
    return refuse(47003);
  return {
    ok: true,
    value: {
      ...value,
      ...(typeof url === 'string' ? { url } : {}),
      ...(typeof clientMsgId === 'string' ? { client_msg_id: clientMsgId } : {}),
    },
  };
}

/**
 * Checks a `message/subscribe/bizsend` body as `checkTemplateSend` does (without `client_msg_id`), and
 * each `data` value against its keyword type's rule (47003, docs/wechat-protocol.md §12.2).
 */
export function checkSubscribeSend(body: unknown, isTemplate: TemplateLookup): Verdict<SubscribeSendBody> {
  const common = checkCommon(body, isTemplate, ['page'], keywordAllows);
  if (!common.ok) return common;
  const { fields, ...value } = common.value;
  const page = fields['page'];
  return { ok: true, value: { ...value, ...(typeof page === 'string' ? { page } : {}) } };
}

interface Common {
  readonly touser: string;
  readonly template_id: string;
  readonly data: NotificationData;
  readonly miniprogram?: MiniProgramLink;
  readonly fields: Readonly<Record<string, unknown>>;
}

type ValueRule = (keyword: string, value: string) => boolean;

function checkCommon(
  body: unknown,
  isTemplate: TemplateLookup,
  optionalStrings: readonly string[],
  allows: ValueRule,
): Verdict<Common> {
  if (!isObject(body)) return refuse(47001);
  const { touser, template_id: templateId, data, miniprogram } = body;
  for (const name of ['touser', 'template_id', ...optionalStrings]) {
    if (body[name] !== undefined && typeof body[name] !== 'string') return refuse(47001);
  }
  if (data !== undefined && !isObject(data)) return refuse(47001);
  const link = checkMiniProgram(miniprogram);
  if (typeof link === 'number') return refuse(link);
  if (hasLoneSurrogate(body)) return refuse(40033);
  if (typeof touser !== 'string' || !OPENID.test(touser)) return refuse(40003);
  if (typeof templateId !== 'string' || !isTemplate(templateId)) return refuse(40037);
  // `data` is required: a notification with no keywords shows nothing.
  if (data === undefined || Object.keys(data).length === 0 || !isData(data, allows)) return refuse(47003);
  return {
    ok: true,
    value: {
      touser,
      template_id: templateId,
      data,
      ...(link === undefined ? {} : { miniprogram: link }),
      fields: body,
    },
  };
}

function checkMiniProgram(value: unknown): MiniProgramLink | undefined | number {
  if (value === undefined) return undefined;
  if (!isObject(value)) return 47001;
  const { appid, pagepath } = value;
  if ((appid !== undefined && typeof appid !== 'string') || (pagepath !== undefined && typeof pagepath !== 'string'))
    return 47001;
  if (typeof appid !== 'string' || appid === '') return 47003;
  return typeof pagepath === 'string' ? { appid, pagepath } : { appid };
}

/** Whether every entry is `{ value: string }` with a value `allows` accepts. */
function isData(data: Readonly<Record<string, unknown>>, allows: ValueRule): data is NotificationData {
  return Object.entries(data).every(
    ([keyword, entry]) => isObject(entry) && typeof entry['value'] === 'string' && allows(keyword, entry['value']),
  );
}

/**
 * The keyword type is the key without its trailing digits: `thing1` → `thing`,
 * `character_string12` → `character_string` (docs/wechat-protocol.md §12.2).
 */
function keywordType(keyword: string): string {
  return keyword.replace(/\d+$/, '');
}

const ONLY_ASCII = /^[\x20-\x7e]*$/;

/**
 * Each keyword type's rule. `thing` (≤ 20 characters) and `number` (≤ 32 digits) are docs/wechat-protocol.md
 * §12.2's; the others follow WeChat's keyword table as the SDKs quote it ("…" in §12.2), read leniently
 * where its format is prose (time, date). A type not listed takes any value; every type refuses an
 * empty one.
 */
const KEYWORD_RULES = new Map<string, (value: string) => boolean>([
  ['thing', (v) => chars(v) <= 20],
  ['number', (v) => /^\d+(?:\.\d+)?$/.test(v) && v.replace('.', '').length <= 32],
  ['letter', (v) => /^[A-Za-z]{1,32}$/.test(v)],
  ['symbol', (v) => chars(v) <= 5 && !/[\p{L}\p{N}]/u.test(v)],
  ['character_string', (v) => /^[\x21-\x7e]{1,32}$/.test(v)],
  ['time', (v) => chars(v) <= 40 && /\d/.test(v)],
  ['date', (v) => chars(v) <= 40 && /\d/.test(v)],
  ['amount', (v) => /^\D?\d{1,10}(?:\.\d{1,2})?元?$/u.test(v)],
  ['phone_number', (v) => /^[\d+\-() ]{1,17}$/.test(v)],
  ['car_number', (v) => chars(v) <= 8],
  // 10 characters of Chinese, or 20 of Latin letters.
  ['name', (v) => (ONLY_ASCII.test(v) ? v.length <= 20 : chars(v) <= 10)],
  ['phrase', (v) => chars(v) <= 5],
]);

function keywordAllows(keyword: string, value: string): boolean {
  if (value === '') return false;
  const rule = KEYWORD_RULES.get(keywordType(keyword));
  return rule === undefined || rule(value);
}

function refuse(errcode: number): { readonly ok: false; readonly errcode: number } {
  return { ok: false, errcode };
}
