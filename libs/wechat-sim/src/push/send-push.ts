import type { Handshake, Push } from './build-push.js';

/** WeChat gives up on a push after 5 seconds (§5.1). */
const WECHAT_TIMEOUT_MS = 5000;

export interface PushResponse {
  readonly status: number;
  readonly body: string;
}

export interface SendOptions {
  /** Default 5000, WeChat's own patience (§5.1). */
  readonly timeoutMs?: number;
}

/**
 * POSTs a push to a gateway as WeChat would: `gatewayBaseUrl` + `path` (`/wechat` or
 * `/wechat/<appid>`) + the push's query, XML body.
 * @throws the fetch error, including a TimeoutError after `timeoutMs`
 */
export async function sendPush(gatewayBaseUrl: string, path: string, push: Push, options: SendOptions = {}): Promise<PushResponse> {
  const response = await fetch(callbackUrl(gatewayBaseUrl, path, push.query), {
    method: 'POST',
    headers: { 'content-type': 'text/xml' },
    body: push.body,
    signal: AbortSignal.timeout(options.timeoutMs ?? WECHAT_TIMEOUT_MS),
  });
  return { status: response.status, body: await response.text() };
}

/**
 * Sends the URL-verification GET (§1); a good gateway answers 200 with exactly `handshake.echostr`.
 * @throws the fetch error, including a TimeoutError after `timeoutMs`
 */
export async function sendHandshake(gatewayBaseUrl: string, path: string, handshake: Handshake, options: SendOptions = {}): Promise<PushResponse> {
  const response = await fetch(callbackUrl(gatewayBaseUrl, path, handshake.query), {
    signal: AbortSignal.timeout(options.timeoutMs ?? WECHAT_TIMEOUT_MS),
  });
  return { status: response.status, body: await response.text() };
}

function callbackUrl(baseUrl: string, path: string, query: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}?${query}`;
}
