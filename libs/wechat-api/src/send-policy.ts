/**
 * The kinds of send wxq makes: a customer-service message and the typing indicator
 * (docs/wechat-protocol.md §7). Template, subscribe and mass sends add their kinds and their rows.
 */
export type SendKind = 'custom' | 'typing';

/**
 * What wxq does after WeChat's answer to a send:
 * - `sent`: done;
 * - `retry`: the same send again later, with backoff;
 * - `refresh_token`: the access_token was refused; the client has already refreshed it and repeated
 *   the call once (docs/wechat-protocol.md §6.2), so what reaches a caller is retried as `retry`;
 * - `pause_account`: every send of the account waits until the pause ends (`pause`), then goes;
 * - `close_window`: the user's send windows are closed (the ledger learns it); refused for good;
 * - `exhaust_window`: the user's sends are used up until they write again; refused for good;
 * - `refuse`: refused for good, the errcode as the reason.
 */
export type SendAction =
  'sent' | 'retry' | 'refresh_token' | 'pause_account' | 'close_window' | 'exhaust_window' | 'refuse';

/** How long a `pause_account` lasts: until midnight Beijing time, or until the next minute. */
export type PauseSpan = 'day' | 'minute';

export interface SendRule {
  readonly action: Exclude<SendAction, 'sent'>;
  /** `pause_account` only. */
  readonly pause?: PauseSpan;
  /** The kinds of send the row is about; an errcode answered to another kind is not in the policy. */
  readonly sends: readonly SendKind[];
  /** The section of docs/wechat-protocol.md it comes from. */
  readonly ref: string;
  readonly why: string;
}

const ANY: readonly SendKind[] = ['custom', 'typing'];
const TYPING: readonly SendKind[] = ['typing'];

/**
 * errcode -> what wxq does, for every errcode docs/wechat-protocol.md names (§6.3, §7.3, §7.5).
 * By errcode only: `errmsg` carries a per-request ` rid:` suffix (§7.1). Errcodes not here are
 * refused: one never seen is more likely a bug or a new rule than a passing fault, and retrying
 * it would hammer WeChat with a request it refuses.
 */
export const SEND_POLICY = {
  // Passing faults (§7.5).
  [-1]: { action: 'retry', sends: ANY, ref: '§6.3, §7.5', why: 'system busy' },
  // The account's limits (§6.1, §7.5): far beyond a job's backoff, so the account waits, jobs kept.
  45009: { action: 'pause_account', pause: 'day', sends: ANY, ref: '§6.1, §7.5', why: 'daily API quota reached' },
  45011: { action: 'pause_account', pause: 'minute', sends: ANY, ref: '§7.5', why: 'per-minute call limit' },
  // The access_token was refused (§6.3): on the token endpoints themselves a configuration error.
  40001: { action: 'refresh_token', sends: ANY, ref: '§6.3', why: 'token superseded, or of another account' },
  40014: { action: 'refresh_token', sends: ANY, ref: '§6.3', why: 'malformed or unknown token' },
  42001: { action: 'refresh_token', sends: ANY, ref: '§6.3', why: 'token expired' },
  // What WeChat says about the user's windows (§7.4, §7.5): the ledger learns it.
  45015: { action: 'close_window', sends: ANY, ref: '§7.5', why: 'outside the 48 h window, or unfollowed' },
  43004: { action: 'close_window', sends: ANY, ref: '§7.5', why: 'the user does not follow the account' },
  45047: { action: 'exhaust_window', sends: ANY, ref: '§7.4, §7.5', why: "the user's sends are used up" },
  // The user, the account or our request is the problem (§7.5): the same send fails the same way.
  40003: { action: 'refuse', sends: ANY, ref: '§7.5', why: 'openid not of this appid' },
  48001: { action: 'refuse', sends: ANY, ref: '§7.1, §7.5', why: 'no customer-service permission' },
  48002: { action: 'refuse', sends: ANY, ref: '§7.5', why: 'the user refuses messages' },
  43019: { action: 'refuse', sends: ANY, ref: '§7.5', why: "the user is on the account's blacklist" },
  40007: { action: 'refuse', sends: ANY, ref: '§7.5, §8', why: 'invalid or expired media_id (3 days)' },
  40008: { action: 'refuse', sends: ANY, ref: '§7.5', why: 'invalid message type (a bug)' },
  45002: { action: 'refuse', sends: ANY, ref: '§7.5', why: 'content too long (a bug)' },
  45008: { action: 'refuse', sends: ANY, ref: '§7.2, §7.5', why: 'news with more than one article' },
  44002: { action: 'refuse', sends: ANY, ref: '§7.5', why: 'empty post data (a bug)' },
  44004: { action: 'refuse', sends: ANY, ref: '§7.5', why: 'empty content (a bug)' },
  47001: { action: 'refuse', sends: ANY, ref: '§7.5', why: 'data format error (a bug)' },
  40033: { action: 'refuse', sends: ANY, ref: '§7.1, §7.5', why: 'invalid charset, \\uXXXX escapes (a bug)' },
  40200: { action: 'refuse', sends: ANY, ref: '§7.2, §7.5', why: 'msgtype not open to this account type' },
  61451: { action: 'refuse', sends: ANY, ref: '§7.5', why: 'invalid parameter' },
  61452: { action: 'refuse', sends: ANY, ref: '§7.5', why: 'invalid customservice.kf_account' },
  41001: { action: 'refuse', sends: ANY, ref: '§6.3, §7.5', why: 'access_token missing (a bug)' },
  // Typing (§7.3).
  45072: { action: 'refuse', sends: TYPING, ref: '§7.3', why: 'typing: invalid command' },
  45080: { action: 'refuse', sends: TYPING, ref: '§7.3', why: 'typing: no exchange in the last 30 s' },
  45081: { action: 'refuse', sends: TYPING, ref: '§7.3', why: 'typing: already typing' },
  // The token endpoints' configuration errors (§6.3, §5.5), met when a send needs a token: alert, don't hammer.
  40002: { action: 'refuse', sends: ANY, ref: '§6.3', why: 'invalid grant_type' },
  40013: { action: 'refuse', sends: ANY, ref: '§6.1, §6.3', why: 'invalid appid' },
  40125: { action: 'refuse', sends: ANY, ref: '§6.3', why: 'invalid appsecret' },
  40164: { action: 'refuse', sends: ANY, ref: '§5.5, §6.3', why: 'caller IP not in the IP whitelist' },
} as const satisfies Record<number, SendRule>;

export type KnownErrcode = keyof typeof SEND_POLICY;

/** Whether the policy has a row for `errcode`. */
export function isKnownErrcode(errcode: number): errcode is KnownErrcode {
  return Object.hasOwn(SEND_POLICY, errcode);
}

/**
 * What a caller of the API client does about a failed call, read off the policy:
 * - `retryable`: try the same call again later, with backoff;
 * - `token_invalid`: the access_token was refused; the client already invalidated it, refreshed and
 *   retried once before this reaches a caller, so a caller treats it like `retryable`;
 * - `permanent`: the same call will fail the same way.
 */
export type ErrorKind = 'retryable' | 'token_invalid' | 'permanent';

/** Where an errcode came from: on the token endpoints a "token" errcode is a configuration error. */
export type ErrcodeContext = 'api' | 'token_endpoint';

/**
 * The kind of a non-zero errcode. On `/cgi-bin/token` and `/cgi-bin/stable_token`, 40001 means a
 * wrong AppSecret (docs/wechat-protocol.md §6.3), so the token codes are permanent there. A pause
 * for the minute is retryable; for the day, far beyond any backoff, permanent.
 */
export function classifyErrcode(errcode: number, context: ErrcodeContext = 'api'): ErrorKind {
  if (!isKnownErrcode(errcode)) return 'permanent';
  const rule: SendRule = SEND_POLICY[errcode];
  switch (rule.action) {
    case 'retry':
      return 'retryable';
    case 'refresh_token':
      return context === 'api' ? 'token_invalid' : 'permanent';
    case 'pause_account':
      return rule.pause === 'minute' ? 'retryable' : 'permanent';
    default:
      return 'permanent';
  }
}
