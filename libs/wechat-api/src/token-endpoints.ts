import { WechatTransportError } from './errors.js';
import { type JsonRecord, type WechatRequest, parseJsonAnswer, requireString, sendRequest } from './http.js';

export interface TokenEndpointOptions {
  readonly baseUrl: string;
  readonly appId: string;
  readonly appSecret: string;
  readonly timeoutMs: number;
}

export interface StableTokenOptions extends TokenEndpointOptions {
  /**
   * Invalidates the current stable token and mints a new one: 20 per day, at least 30 s apart
   * (docs/wechat-protocol.md §6.1). Only for a leaked token. Default false.
   */
  readonly forceRefresh?: boolean;
}

export interface AccessTokenResult {
  readonly accessToken: string;
  /** Seconds from now; "a value within 7200", always use the returned one (docs/wechat-protocol.md §6.1). */
  readonly expiresInSeconds: number;
}

export const TOKEN_PATH = '/cgi-bin/token';
export const STABLE_TOKEN_PATH = '/cgi-bin/stable_token';

/**
 * Mints a token with `GET /cgi-bin/token` (docs/wechat-protocol.md §6.1). Every call invalidates the
 * previous token five minutes later and counts against 2000 calls a day: call it from a token store, not per
 * request. Throws WechatApiError; errcodes are classified for a token endpoint (40001 = wrong secret,
 * docs/wechat-protocol.md §6.3).
 */
export async function fetchAccessToken(options: TokenEndpointOptions): Promise<AccessTokenResult> {
  const request: WechatRequest = {
    baseUrl: options.baseUrl,
    path: TOKEN_PATH,
    method: 'GET',
    query: { grant_type: 'client_credential', appid: options.appId, secret: options.appSecret },
    timeoutMs: options.timeoutMs,
    secrets: [options.appSecret],
  };
  return toResult(parseJsonAnswer(await sendRequest(request), request, 'token_endpoint'), request);
}

/**
 * Gets the stable token with `POST /cgi-bin/stable_token` (docs/wechat-protocol.md §6.1): in normal mode repeated calls
 * return the same token while it is valid, so concurrent refreshers agree. Throws WechatApiError,
 * classified for a token endpoint (docs/wechat-protocol.md §6.3).
 */
export async function fetchStableAccessToken(options: StableTokenOptions): Promise<AccessTokenResult> {
  const request: WechatRequest = {
    baseUrl: options.baseUrl,
    path: STABLE_TOKEN_PATH,
    method: 'POST',
    query: {},
    body: {
      json: {
        grant_type: 'client_credential',
        appid: options.appId,
        secret: options.appSecret,
        force_refresh: options.forceRefresh ?? false,
      },
    },
    timeoutMs: options.timeoutMs,
    secrets: [options.appSecret],
  };
  return toResult(parseJsonAnswer(await sendRequest(request), request, 'token_endpoint'), request);
}

function toResult(record: JsonRecord, request: WechatRequest): AccessTokenResult {
  const accessToken = requireString(record, 'access_token', request.path);
  const expiresIn = record.expires_in;
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new WechatTransportError('bad_response', request.path, 'answer has no positive expires_in');
  }
  return { accessToken, expiresInSeconds: expiresIn };
}
