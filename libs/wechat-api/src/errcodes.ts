/**
 * What a caller should do about a failed call:
 * - `retryable`: try the same call again later, with backoff (BullMQ attempts);
 * - `token_invalid`: the access_token was refused; the client already invalidated it, refreshed and
 *   retried once before this reaches a caller, so a caller treats it like `retryable`;
 * - `permanent`: the same call will fail the same way; fail the job once and show the errcode.
 */
export type ErrorKind = 'retryable' | 'token_invalid' | 'permanent';

export interface ErrcodeEntry {
  readonly kind: ErrorKind;
  /** The section of docs/wechat-protocol.md the classification comes from. */
  readonly ref: string;
  /** What it means for us, in words. */
  readonly why: string;
}

/**
 * errcode -> kind, for every errcode the reference names. Classify by errcode only: `errmsg` carries a
 * per-request ` rid:` suffix (docs/wechat-protocol.md §7.1). Transport failures have no errcode and are
 * `WechatTransportError`s instead: timeouts, connection errors and HTTP 5xx/429 are retryable
 * (docs/wechat-protocol.md §7.5).
 */
export const ERRCODES = {
  // Retryable (docs/wechat-protocol.md §7.5).
  [-1]: { kind: 'retryable', ref: '§7.5, docs/wechat-protocol.md §6.3', why: 'system busy' },
  45011: { kind: 'retryable', ref: '§7.5', why: 'per-minute call frequency; wait for the next minute' },

  // The access_token was refused (docs/wechat-protocol.md §6.3): invalidate-if-same, refresh, retry once
  // (docs/wechat-protocol.md §6.2). On the token endpoints themselves these are configuration errors (see
  // classifyErrcode).
  40001: { kind: 'token_invalid', ref: '§6.3', why: 'token superseded, or from another account' },
  40014: { kind: 'token_invalid', ref: '§6.3', why: 'malformed or unknown token' },
  42001: { kind: 'token_invalid', ref: '§6.3', why: 'token expired' },

  // Permanent for this call (docs/wechat-protocol.md §7.5): the user, the account or our request is the problem.
  45015: { kind: 'permanent', ref: '§7.5', why: 'user outside the 48 h window, or unfollowed' },
  45047: {
    kind: 'permanent',
    ref: '§7.4, docs/wechat-protocol.md §7.5',
    why: 'send quota for this user used up until they write again',
  },
  43004: { kind: 'permanent', ref: '§7.5', why: 'user does not follow the account' },
  40003: { kind: 'permanent', ref: '§7.5', why: 'openid does not belong to this appid' },
  48001: {
    kind: 'permanent',
    ref: '§7.1, docs/wechat-protocol.md §7.5',
    why: 'account lacks the customer-service permission',
  },
  48002: { kind: 'permanent', ref: '§7.5', why: 'user refuses messages' },
  43019: { kind: 'permanent', ref: '§7.5', why: 'user is on the account blacklist' },
  40007: { kind: 'permanent', ref: '§7.5, docs/wechat-protocol.md §8', why: 'invalid or expired media_id (3 days)' },
  40008: { kind: 'permanent', ref: '§7.5', why: 'invalid message type (bug)' },
  45002: { kind: 'permanent', ref: '§7.5', why: 'content too long (bug)' },
  45008: {
    kind: 'permanent',
    ref: '§7.2, docs/wechat-protocol.md §7.5',
    why: 'article limit (news with more than one article)',
  },
  44002: { kind: 'permanent', ref: '§7.5', why: 'empty post data (bug)' },
  44004: { kind: 'permanent', ref: '§7.5', why: 'empty content (bug)' },
  47001: { kind: 'permanent', ref: '§7.5', why: 'data format error (bug)' },
  40033: {
    kind: 'permanent',
    ref: '§7.1, docs/wechat-protocol.md §7.5',
    why: 'invalid charset, e.g. \\uXXXX escapes (bug)',
  },
  40200: {
    kind: 'permanent',
    ref: '§7.2, docs/wechat-protocol.md §7.5',
    why: 'msgtype not available to this account type',
  },
  61451: { kind: 'permanent', ref: '§7.5', why: 'invalid parameter' },
  61452: { kind: 'permanent', ref: '§7.5', why: 'invalid customservice.kf_account' },
  41001: {
    kind: 'permanent',
    ref: '§6.3, docs/wechat-protocol.md §7.5',
    why: 'access_token missing from the request (bug)',
  },
  // Daily quota (docs/wechat-protocol.md §7.5, §6.1): it resets at the start of the next day, far beyond any
  // job backoff, so retries could only burn attempts; the job fails with the errcode visible and someone is
  // alerted (quota can be reset by hand with clear_quota). Permanent for the job, not for the account.
  45009: { kind: 'permanent', ref: '§6.1, docs/wechat-protocol.md §6.3, §7.5', why: 'daily API quota reached' },
  45072: { kind: 'permanent', ref: '§7.3', why: 'typing: invalid command' },
  45080: { kind: 'permanent', ref: '§7.3', why: 'typing: no exchange with the user in the last 30 s' },
  45081: { kind: 'permanent', ref: '§7.3', why: 'typing: already typing' },

  // Token endpoint configuration errors (docs/wechat-protocol.md §6.3, §5.5): alert, do not hammer.
  40002: { kind: 'permanent', ref: '§6.3', why: 'invalid grant_type' },
  40013: { kind: 'permanent', ref: '§6.1, docs/wechat-protocol.md §6.3', why: 'invalid appid' },
  40125: { kind: 'permanent', ref: '§6.3', why: 'invalid appsecret' },
  40164: {
    kind: 'permanent',
    ref: '§5.5, docs/wechat-protocol.md §6.3',
    why: 'caller IP not in the account IP whitelist',
  },
} as const satisfies Record<number, ErrcodeEntry>;

export type KnownErrcode = keyof typeof ERRCODES;

/**
 * Errcodes not in the table are permanent: a code we have never seen is more likely a bug or a
 * new rule than a passing fault, and retrying it would hammer WeChat with a request it refuses.
 */
export const UNKNOWN_ERRCODE_KIND = 'permanent' satisfies ErrorKind;

/** Where an errcode came from: on the token endpoints a "token" errcode is a configuration error. */
export type ErrcodeContext = 'api' | 'token_endpoint';

/** Whether the table lists `errcode` (an unknown one is classified UNKNOWN_ERRCODE_KIND). */
export function isKnownErrcode(errcode: number): errcode is KnownErrcode {
  return Object.hasOwn(ERRCODES, errcode);
}

/**
 * The kind of a non-zero errcode. On `/cgi-bin/token` and `/cgi-bin/stable_token`, 40001 means a
 * wrong AppSecret (docs/wechat-protocol.md §6.3), so the token codes are permanent there.
 */
export function classifyErrcode(errcode: number, context: ErrcodeContext = 'api'): ErrorKind {
  const kind: ErrorKind = isKnownErrcode(errcode) ? ERRCODES[errcode].kind : UNKNOWN_ERRCODE_KIND;
  if (context === 'token_endpoint' && kind === 'token_invalid') return 'permanent';
  return kind;
}
