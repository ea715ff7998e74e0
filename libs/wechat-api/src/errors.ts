import { type ErrcodeContext, type ErrorKind, classifyErrcode } from './send-policy.js';

/** Stable codes: branch on these (or on `errcode`), never on message text. */
export type WechatApiErrorCode =
  | 'errcode'
  | 'timeout'
  | 'network'
  | 'http_status'
  | 'bad_response'
  | 'token_absent'
  | 'token_wait_timeout'
  | 'token_fetch_failed'
  | 'bad_token';

export type TransportErrorCode = Extract<WechatApiErrorCode, 'timeout' | 'network' | 'http_status' | 'bad_response'>;
export type TokenStoreErrorCode = Extract<
  WechatApiErrorCode,
  'token_absent' | 'token_wait_timeout' | 'token_fetch_failed' | 'bad_token'
>;

/** Where the token store's own failures say they happened (they concern no single API path). */
const TOKEN_STORE_API = 'token-store';

interface WechatApiErrorFields {
  readonly code: WechatApiErrorCode;
  readonly kind: ErrorKind;
  readonly api: string;
  readonly errcode?: number | undefined;
  readonly errmsg?: string | undefined;
  readonly httpStatus?: number | undefined;
}

/**
 * Every failure of this library. `kind` says what to do about it; `api` is the path called
 * (`/cgi-bin/message/custom/send`), never the URL, which carries the access_token or the secret.
 * Messages never contain tokens or secrets.
 */
export class WechatApiError extends Error {
  override name: string = 'WechatApiError';
  readonly code: WechatApiErrorCode;
  readonly kind: ErrorKind;
  readonly api: string;
  /** WeChat's errcode when it answered one; undefined for transport and token-store failures. */
  readonly errcode: number | undefined;
  readonly errmsg: string | undefined;
  readonly httpStatus: number | undefined;

  constructor(fields: WechatApiErrorFields, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = fields.code;
    this.kind = fields.kind;
    this.api = fields.api;
    this.errcode = fields.errcode;
    this.errmsg = fields.errmsg;
    this.httpStatus = fields.httpStatus;
  }

  get isRetryable(): boolean {
    return this.kind === 'retryable';
  }
}

/** WeChat answered a non-zero errcode (HTTP 200 with `{"errcode":…,"errmsg":…}`, docs/wechat-protocol.md §7.1). */
export class WechatErrcodeError extends WechatApiError {
  override name = 'WechatErrcodeError' as const;
  declare readonly code: 'errcode';
  declare readonly errcode: number;
  declare readonly errmsg: string;

  constructor(api: string, errcode: number, errmsg: string, context: ErrcodeContext = 'api') {
    const kind = classifyErrcode(errcode, context);
    super({ code: 'errcode', kind, api, errcode, errmsg }, `${api}: errcode ${errcode} (${kind}): ${errmsg}`);
  }
}

/**
 * The call did not produce a WeChat answer: timeout, connection failure or HTTP error status
 * (retryable: timeouts, network errors, 5xx and 429, docs/wechat-protocol.md §7.5), or an answer we cannot read
 * (`bad_response`, and other 4xx: permanent, since repeating them cannot help).
 */
export class WechatTransportError extends WechatApiError {
  override name = 'WechatTransportError' as const;
  declare readonly code: TransportErrorCode;

  constructor(
    code: TransportErrorCode,
    api: string,
    detail: string,
    options?: ErrorOptions & { readonly httpStatus?: number | undefined },
  ) {
    const httpStatus = options?.httpStatus;
    super({ code, kind: transportKind(code, httpStatus), api, httpStatus }, `${api}: ${code}: ${detail}`, options);
  }
}

/**
 * The token store could not produce a token: absent in read-only mode (`token_absent`), another
 * process's refresh took too long (`token_wait_timeout`), both retryable; the fetch callback threw
 * something that is not a WechatApiError (`token_fetch_failed`) or returned an unusable token
 * (`bad_token`), both permanent.
 */
export class TokenStoreError extends WechatApiError {
  override name = 'TokenStoreError' as const;
  declare readonly code: TokenStoreErrorCode;

  constructor(code: TokenStoreErrorCode, message: string, options?: ErrorOptions) {
    const kind: ErrorKind = code === 'token_absent' || code === 'token_wait_timeout' ? 'retryable' : 'permanent';
    super({ code, kind, api: TOKEN_STORE_API }, message, options);
  }
}

function transportKind(code: TransportErrorCode, httpStatus: number | undefined): ErrorKind {
  switch (code) {
    case 'timeout':
    case 'network':
      return 'retryable';
    case 'http_status':
      return httpStatus !== undefined && (httpStatus >= 500 || httpStatus === 429) ? 'retryable' : 'permanent';
    case 'bad_response':
      return 'permanent';
  }
}
