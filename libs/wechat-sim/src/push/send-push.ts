import type { InteractionRecorder } from '../api/interactions.js';
import type { Handshake, Push } from './build-push.js';

/** WeChat gives up on a push after 5 seconds (docs/wechat-protocol.md §5.1). */
const WECHAT_TIMEOUT_MS = 5000;

export interface PushResponse {
  readonly status: number;
  readonly body: string;
}

export interface SendOptions {
  /** Default 5000, WeChat's own patience (docs/wechat-protocol.md §5.1). */
  readonly timeoutMs?: number;
  /** Aborts the request (an AbortError), as well as the timeout. */
  readonly signal?: AbortSignal;
}

export interface SendPushOptions extends SendOptions {
  /**
   * The API simulator to tell of the user action first (the simulator itself, or
   * `createInteractionClient(url)` for one in another process), so a reply finds its window open.
   */
  readonly simulator?: InteractionRecorder;
}

/**
 * POSTs a push to a gateway as WeChat would: `gatewayBaseUrl` + `path` (`/wechat` or
 * `/wechat/<appid>`) + the push's query, XML body. With `simulator`, the simulator records the
 * user action before the push leaves, as WeChat opens the window when the user acts (docs/wechat-protocol.md §7.4).
 * @throws TypeError when `simulator` is given for a push with no typed message; the recorder's
 *   error; the fetch error, including a TimeoutError after `timeoutMs`
 */
export async function sendPush(
  gatewayBaseUrl: string,
  path: string,
  push: Push,
  options: SendPushOptions = {},
): Promise<PushResponse> {
  if (options.simulator !== undefined) {
    if (push.interaction === undefined) throw new TypeError('this push carries no message the simulator could record');
    await options.simulator.recordInteraction(push.interaction);
  }
  const response = await fetch(callbackUrl(gatewayBaseUrl, path, push.query), {
    method: 'POST',
    headers: { 'content-type': 'text/xml' },
    body: push.body,
    signal: requestSignal(options),
  });
  return { status: response.status, body: await response.text() };
}

/**
 * Sends the URL-verification GET (docs/wechat-protocol.md §1); a good gateway answers 200 with exactly
 * `handshake.echostr`.
 * @throws the fetch error, including a TimeoutError after `timeoutMs`
 */
export async function sendHandshake(
  gatewayBaseUrl: string,
  path: string,
  handshake: Handshake,
  options: SendOptions = {},
): Promise<PushResponse> {
  const response = await fetch(callbackUrl(gatewayBaseUrl, path, handshake.query), { signal: requestSignal(options) });
  return { status: response.status, body: await response.text() };
}

function requestSignal(options: SendOptions): AbortSignal {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? WECHAT_TIMEOUT_MS);
  return options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
}

function callbackUrl(baseUrl: string, path: string, query: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}?${query}`;
}
