/**
 * The kinds of send wxq makes: a customer-service message and the typing indicator
 * (docs/wechat-protocol.md §7), a template message (§11) and a subscribe notification (§12). Mass
 * sends would add their kind and their rows.
 */
export type SendKind = 'custom' | 'typing' | 'template' | 'subscribe';

/**
 * What wxq does after WeChat's answer to a send:
 * - `sent`: done (also 40241, a template WeChat calls a duplicate of one it delivered);
 * - `retry`: the same send again later, with backoff;
 * - `retry_later`: the same send again after `retryAfterSeconds`, longer than any backoff step
 *   (43117, too many templates to this user lately);
 * - `refresh_token`: the access_token was refused; the client has already refreshed it and repeated
 *   the call once (docs/wechat-protocol.md §6.2), so what reaches a caller is retried as `retry`;
 * - `pause_account`: the account's sends in `scope` wait until the pause ends (`pause`), then go;
 * - `close_window`: the user's send windows are closed (the ledger learns it); refused for good;
 * - `exhaust_window`: the user's sends are used up until they write again; refused for good;
 * - `refuse`: refused for good, the errcode as the reason;
 * - `stop_batch`: refused for good, and so is every other send of the campaign: the template
 *   itself is refused (40037, 43116), so each of them would fail the same way;
 * - `clear_consent`: refused for good (`refusal` says why) and the user's consent credit for the
 *   template is gone: WeChat holds none (43101).
 */
export type SendAction =
  | 'sent'
  | 'retry'
  | 'retry_later'
  | 'refresh_token'
  | 'pause_account'
  | 'close_window'
  | 'exhaust_window'
  | 'refuse'
  | 'stop_batch'
  | 'clear_consent';

/** How long a `pause_account` lasts: until midnight Beijing time, or until the next minute. */
export type PauseSpan = 'day' | 'minute';

/**
 * Which sends of the account a `pause_account` holds: `account`, every send of the account (the
 * customer-service rows: the account's pause, docs/quota.md); `notifications`, only its template
 * and subscribe sends, because the notification APIs have their own daily caps
 * (docs/wechat-protocol.md §11.1, §12.2) and the account's replies to users must go on.
 */
export type PauseScope = 'account' | 'notifications';

/** A stable reason for a refusal whose errcode alone would not say it to a campaign's report. */
export type RefusalCode = 'no_consent';

export interface SendRule {
  readonly action: SendAction;
  /** `pause_account` only. */
  readonly pause?: PauseSpan;
  /** `pause_account` only. */
  readonly scope?: PauseScope;
  /** `retry_later` only. */
  readonly retryAfterSeconds?: number;
  /** `clear_consent` only. */
  readonly refusal?: RefusalCode;
  /** The kinds of send the rule is about; an errcode answered to another kind is not in the policy. */
  readonly sends: readonly SendKind[];
  /** The section of docs/wechat-protocol.md it comes from. */
  readonly ref: string;
  readonly why: string;
}

/**
 * One errcode's row: a rule, and where the same errcode means something else to other kinds of
 * send, the rule for those (`also`, whose `sends` are disjoint from the row's). 43004 closes a
 * customer-service window, but to a template it only refuses that recipient.
 */
export interface SendRow extends SendRule {
  readonly also?: SendRule;
}

const CUSTOMER_SERVICE: readonly SendKind[] = ['custom', 'typing'];
const TYPING: readonly SendKind[] = ['typing'];
const NOTIFICATIONS: readonly SendKind[] = ['template', 'subscribe'];
const TEMPLATE: readonly SendKind[] = ['template'];
const SUBSCRIBE: readonly SendKind[] = ['subscribe'];
const ANY: readonly SendKind[] = [...CUSTOMER_SERVICE, ...NOTIFICATIONS];

/**
 * How long a recipient WeChat finds sent to too often (43117) waits [R]: 15 minutes, longer than
 * any step of a job's backoff (the longest, the tenth, is about 8.5 min), short enough for most
 * notifications to still be timely. WeChat documents no window (docs/wechat-protocol.md §11.2).
 */
export const TOO_OFTEN_RETRY_AFTER_SECONDS = 900;

/**
 * errcode -> what wxq does, for every errcode docs/wechat-protocol.md names (§6.3, §7.3, §7.5,
 * §11.2, §12.2). By errcode only: `errmsg` carries a per-request ` rid:` suffix (§7.1). Errcodes
 * not here are refused: one never seen is more likely a bug or a new rule than a passing fault,
 * and retrying it would hammer WeChat with a request it refuses.
 */
export const SEND_POLICY = {
  // Passing faults (§7.5, §11.2).
  [-1]: { action: 'retry', sends: ANY, ref: '§6.3, §7.5, §11.2', why: 'system busy' },
  // The account's limits (§6.1, §7.5): far beyond a job's backoff, so the account waits, jobs kept.
  // A notification API's own cap holds only the notifications (§11.1, §12.2).
  45009: {
    action: 'pause_account',
    pause: 'day',
    scope: 'account',
    sends: CUSTOMER_SERVICE,
    ref: '§6.1, §7.5',
    why: 'daily API quota reached',
    also: {
      action: 'pause_account',
      pause: 'day',
      scope: 'notifications',
      sends: NOTIFICATIONS,
      ref: '§11.1, §11.2, §12.2',
      why: "a notification API's daily cap: notifications wait, replies to users go on",
    },
  },
  45011: {
    action: 'pause_account',
    pause: 'minute',
    scope: 'account',
    sends: CUSTOMER_SERVICE,
    ref: '§7.5',
    why: 'per-minute call limit',
    also: {
      action: 'pause_account',
      pause: 'minute',
      scope: 'notifications',
      sends: NOTIFICATIONS,
      ref: '§7.5, §11.2',
      why: "the notification API's per-minute limit",
    },
  },
  // The access_token was refused (§6.3): on the token endpoints themselves a configuration error.
  40001: { action: 'refresh_token', sends: ANY, ref: '§6.3', why: 'token superseded, or of another account' },
  40014: { action: 'refresh_token', sends: ANY, ref: '§6.3', why: 'malformed or unknown token' },
  42001: { action: 'refresh_token', sends: ANY, ref: '§6.3', why: 'token expired' },
  // What WeChat says about the user's windows (§7.4, §7.5): the ledger learns it. Notifications
  // have no window: to them it is that recipient's refusal (§11.2, §12.2).
  45015: {
    action: 'close_window',
    sends: CUSTOMER_SERVICE,
    ref: '§7.5',
    why: 'outside the 48 h window, or unfollowed',
  },
  43004: {
    action: 'close_window',
    sends: CUSTOMER_SERVICE,
    ref: '§7.5',
    why: 'the user does not follow the account',
    also: {
      action: 'refuse',
      sends: NOTIFICATIONS,
      ref: '§11.2, §12.2',
      why: 'the recipient does not follow the account',
    },
  },
  45047: { action: 'exhaust_window', sends: CUSTOMER_SERVICE, ref: '§7.4, §7.5', why: "the user's sends are used up" },
  // The user, the account or our request is the problem (§7.5): the same send fails the same way.
  40003: { action: 'refuse', sends: ANY, ref: '§7.5, §11.2, §12.2', why: 'openid not of this appid' },
  48001: { action: 'refuse', sends: CUSTOMER_SERVICE, ref: '§7.1, §7.5', why: 'no customer-service permission' },
  48002: { action: 'refuse', sends: CUSTOMER_SERVICE, ref: '§7.5', why: 'the user refuses messages' },
  43019: { action: 'refuse', sends: ANY, ref: '§7.5, §11.2', why: "the user is on the account's blacklist" },
  40007: { action: 'refuse', sends: CUSTOMER_SERVICE, ref: '§7.5, §8', why: 'invalid or expired media_id (3 days)' },
  40008: { action: 'refuse', sends: CUSTOMER_SERVICE, ref: '§7.5', why: 'invalid message type (a bug)' },
  45002: { action: 'refuse', sends: CUSTOMER_SERVICE, ref: '§7.5', why: 'content too long (a bug)' },
  45008: { action: 'refuse', sends: CUSTOMER_SERVICE, ref: '§7.2, §7.5', why: 'news with more than one article' },
  44002: { action: 'refuse', sends: CUSTOMER_SERVICE, ref: '§7.5', why: 'empty post data (a bug)' },
  44004: { action: 'refuse', sends: CUSTOMER_SERVICE, ref: '§7.5', why: 'empty content (a bug)' },
  47001: { action: 'refuse', sends: CUSTOMER_SERVICE, ref: '§7.5', why: 'data format error (a bug)' },
  40033: {
    action: 'refuse',
    sends: CUSTOMER_SERVICE,
    ref: '§7.1, §7.5',
    why: 'invalid charset, \\uXXXX escapes (a bug)',
  },
  40200: { action: 'refuse', sends: CUSTOMER_SERVICE, ref: '§7.2, §7.5', why: 'msgtype not open to this account type' },
  61451: { action: 'refuse', sends: CUSTOMER_SERVICE, ref: '§7.5', why: 'invalid parameter' },
  61452: { action: 'refuse', sends: CUSTOMER_SERVICE, ref: '§7.5', why: 'invalid customservice.kf_account' },
  41001: { action: 'refuse', sends: ANY, ref: '§6.3, §7.5', why: 'access_token missing (a bug)' },
  // Typing (§7.3).
  45072: { action: 'refuse', sends: TYPING, ref: '§7.3', why: 'typing: invalid command' },
  45080: { action: 'refuse', sends: TYPING, ref: '§7.3', why: 'typing: no exchange in the last 30 s' },
  45081: { action: 'refuse', sends: TYPING, ref: '§7.3', why: 'typing: already typing' },
  // Notifications (§11.2, §12.2). A refused template fails every send of the campaign alike.
  40037: { action: 'stop_batch', sends: NOTIFICATIONS, ref: '§11.2, §12.2', why: 'invalid template_id' },
  43116: { action: 'stop_batch', sends: TEMPLATE, ref: '§11.2', why: 'template banned after abuse reports' },
  47003: {
    action: 'refuse',
    sends: NOTIFICATIONS,
    ref: '§11.2, §12.2',
    why: "a data value breaks its keyword's rule",
  },
  43117: {
    action: 'retry_later',
    retryAfterSeconds: TOO_OFTEN_RETRY_AFTER_SECONDS,
    sends: TEMPLATE,
    ref: '§11.2',
    why: 'too many templates to this user lately',
  },
  40241: { action: 'sent', sends: TEMPLATE, ref: '§11.2', why: 'a duplicate of a template delivered within 60 s' },
  43101: {
    action: 'clear_consent',
    refusal: 'no_consent',
    sends: SUBSCRIBE,
    ref: '§12.1, §12.2',
    why: 'no consent left: never given, or its one send used',
  },
  // The token endpoints' configuration errors (§6.3, §5.5), met when a send needs a token: alert, don't hammer.
  40002: { action: 'refuse', sends: ANY, ref: '§6.3', why: 'invalid grant_type' },
  40013: { action: 'refuse', sends: ANY, ref: '§6.1, §6.3', why: 'invalid appid' },
  40125: { action: 'refuse', sends: ANY, ref: '§6.3', why: 'invalid appsecret' },
  40164: { action: 'refuse', sends: ANY, ref: '§5.5, §6.3', why: 'caller IP not in the IP whitelist' },
} as const satisfies Record<number, SendRow>;

export type KnownErrcode = keyof typeof SEND_POLICY;

/** Whether the policy has a row for `errcode`. */
export function isKnownErrcode(errcode: number): errcode is KnownErrcode {
  return Object.hasOwn(SEND_POLICY, errcode);
}

/** The rule for `errcode` answered to a send of `kind`, or undefined when the policy has none (refused). */
export function ruleFor(errcode: number, kind: SendKind): SendRule | undefined {
  if (!isKnownErrcode(errcode)) return undefined;
  const row: SendRow = SEND_POLICY[errcode];
  if (row.sends.includes(kind)) return row;
  return row.also?.sends.includes(kind) === true ? row.also : undefined;
}

/**
 * What a caller of the API client does about a failed call, read off the policy:
 * - `retryable`: try the same call again later, with backoff;
 * - `token_invalid`: the access_token was refused; the client already invalidated it, refreshed and
 *   retried once before this reaches a caller, so a caller treats it like `retryable`;
 * - `permanent`: the same call will fail the same way (or, 40241, need not be made again).
 */
export type ErrorKind = 'retryable' | 'token_invalid' | 'permanent';

/** Where an errcode came from: on the token endpoints a "token" errcode is a configuration error. */
export type ErrcodeContext = 'api' | 'token_endpoint';

/**
 * The kind of a non-zero errcode, from its row's first rule (the API client does not know the
 * kind of send; judgeSend does). On `/cgi-bin/token` and `/cgi-bin/stable_token`, 40001 means a
 * wrong AppSecret (docs/wechat-protocol.md §6.3), so the token codes are permanent there. A pause
 * for the minute is retryable; for the day, far beyond any backoff, permanent; so is a delivered
 * duplicate (40241), whose call must not be repeated.
 */
export function classifyErrcode(errcode: number, context: ErrcodeContext = 'api'): ErrorKind {
  if (!isKnownErrcode(errcode)) return 'permanent';
  const rule: SendRule = SEND_POLICY[errcode];
  switch (rule.action) {
    case 'retry':
    case 'retry_later':
      return 'retryable';
    case 'refresh_token':
      return context === 'api' ? 'token_invalid' : 'permanent';
    case 'pause_account':
      return rule.pause === 'minute' ? 'retryable' : 'permanent';
    default:
      return 'permanent';
  }
}
