import { WechatProtocolError } from '@wxq/wechat';

/** Errors the gateway raises itself; each maps to one status in `answerFor`. */
export class GatewayError extends Error {
  override name = 'GatewayError' as const;
  readonly code: GatewayErrorCode;
  constructor(code: GatewayErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

export type GatewayErrorCode =
  | 'body_too_large'
  | 'body_aborted'
  | 'unknown_account'
  | 'ip_forbidden'
  | 'allowlist_unknown'
  | 'enqueue_timeout'
  | 'redis_unavailable'
  | 'draining';

const GATEWAY_STATUS = {
  body_too_large: 413,
  body_aborted: 400,
  unknown_account: 404,
  ip_forbidden: 403,
  // WECHAT_IP_ALLOWLIST=auto before a first list is known: a 403 would lose the push (WeChat does not
  // retry it), a 503 has WeChat deliver it again, maybe to a gateway that knows the list.
  allowlist_unknown: 503,
  // 503, never `success`: WeChat then retries the push (docs/wechat-protocol.md §5.3, gateway failure policy).
  enqueue_timeout: 503,
  redis_unavailable: 503,
  draining: 503,
} as const satisfies Record<GatewayErrorCode, number>;

const AUTH_CODES: ReadonlySet<string> = new Set(['bad_signature', 'stale_timestamp', 'encryption_required']);

export interface ErrorAnswer {
  readonly status: number;
  /** Stable, safe to show: a code, never a message with input in it. */
  readonly body: string;
  /** For logs and metrics. */
  readonly outcome: string;
}

/** The one place where errors become statuses. Anything unknown is a 500 without detail. */
export function answerFor(error: unknown): ErrorAnswer {
  if (error instanceof GatewayError)
    return { status: GATEWAY_STATUS[error.code], body: error.code, outcome: error.code };
  if (error instanceof WechatProtocolError) {
    return { status: AUTH_CODES.has(error.code) ? 401 : 400, body: error.code, outcome: error.code };
  }
  return { status: 500, body: 'internal_error', outcome: 'internal_error' };
}
