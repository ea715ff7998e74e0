import { WechatApiError, WechatErrcodeError } from './errors.js';
import {
  type PauseScope,
  type PauseSpan,
  type RefusalCode,
  type SendAction,
  type SendKind,
  ruleFor,
} from './send-policy.js';
import { STABLE_TOKEN_PATH, TOKEN_PATH } from './token-endpoints.js';

/** What to do about one send, from WeChat's answer (or its absence). */
export interface SendVerdict {
  readonly action: SendAction;
  /** The metrics' `result` label: `ok`, the errcode, or `transport` (no answer from WeChat). */
  readonly result: 'ok' | 'transport' | `${number}`;
  /**
   * WeChat answered an errcode, so nothing was delivered: a quota reservation goes back. Without an
   * answer (a timeout) the message may have gone out.
   */
  readonly answered: boolean;
  /** `pause_account` only. */
  readonly pause?: PauseSpan | undefined;
  /** `pause_account` only: which of the account's sends wait (all of them, or its notifications). */
  readonly scope?: PauseScope;
  /** `retry_later` only: how long before the same send is tried again. */
  readonly retryAfterSeconds?: number;
  /** `clear_consent` only: the stable reason of the refusal (also the start of `reason`). */
  readonly refusal?: RefusalCode;
  /** Why a send refused for good was refused: the job's failure reason. */
  readonly reason?: string | undefined;
}

const SENT: SendVerdict = { action: 'sent', result: 'ok', answered: true };

/**
 * The verdict on a send of `kind` that resolved (`failure` undefined) or threw `failure`. A failure
 * that is not WeChat's errcode follows its error class (docs/wechat-protocol.md §7.5): timeouts,
 * connection errors, 5xx and 429 are tried again, an unreadable answer or another 4xx is refused;
 * a failure outside the API client (a bug, Redis) is tried again.
 */
export function judgeSend(kind: SendKind, failure?: unknown): SendVerdict {
  if (failure === undefined) return SENT;
  if (failure instanceof WechatErrcodeError) return judgeErrcode(kind, failure);
  const reason = failure instanceof Error ? failure.message : JSON.stringify(failure);
  const refused = failure instanceof WechatApiError && failure.kind === 'permanent';
  return { action: refused ? 'refuse' : 'retry', result: 'transport', answered: false, reason };
}

function judgeErrcode(kind: SendKind, err: WechatErrcodeError): SendVerdict {
  const errcodeReason = `errcode ${err.errcode}: ${err.errmsg}`;
  const result = `${err.errcode}` as const;
  const rule = ruleFor(err.errcode, kind);
  if (rule === undefined) return { action: 'refuse', result, answered: true, reason: errcodeReason };
  // On the token endpoints a token errcode means the AppSecret is wrong (docs/wechat-protocol.md §6.3).
  if (rule.action === 'refresh_token' && isTokenEndpoint(err.api))
    return { action: 'refuse', result, answered: true, reason: errcodeReason };
  const reason = rule.refusal === undefined ? errcodeReason : `${rule.refusal}: ${errcodeReason}`;
  return {
    action: rule.action,
    result,
    answered: true,
    pause: rule.pause,
    ...(rule.scope === undefined ? {} : { scope: rule.scope }),
    ...(rule.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: rule.retryAfterSeconds }),
    ...(rule.refusal === undefined ? {} : { refusal: rule.refusal }),
    reason,
  };
}

function isTokenEndpoint(api: string): boolean {
  return api === TOKEN_PATH || api === STABLE_TOKEN_PATH;
}

/** The actions that end a send for good, unsent. */
const REFUSED: ReadonlySet<SendAction> = new Set([
  'refuse',
  'close_window',
  'exhaust_window',
  'stop_batch',
  'clear_consent',
]);

/** Whether the verdict ends the send for good, unsent (a `stop_batch` ends its campaign's other sends too). */
export function isRefused(verdict: SendVerdict): boolean {
  return REFUSED.has(verdict.action);
}
