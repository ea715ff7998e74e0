import { randomRid } from '../random-ids.js';

/**
 * Every errcode the simulator answers by itself, with WeChat's errmsg. Sections are those of
 * docs/wechat-protocol.md; rows marked "global" are WeChat's global return codes the
 * reference does not list, used where it is silent (wrong method, media type, missing file part).
 */
export const ERRCODES = {
  '-1': 'system error', // docs/wechat-protocol.md §7.5; only through injectFault
  '0': 'ok',
  '40001': 'invalid credential, access_token is invalid or not latest', // docs/wechat-protocol.md §6.3
  '40002': 'invalid grant_type', // docs/wechat-protocol.md §6.3
  '40003': 'invalid openid', // docs/wechat-protocol.md §7.5
  '40004': 'invalid media type', // global
  '40006': 'invalid media size', // global
  '40007': 'invalid media_id', // docs/wechat-protocol.md §7.5, §8
  '40008': 'invalid message type', // docs/wechat-protocol.md §7.5
  '40013': 'invalid appid', // docs/wechat-protocol.md §6.1
  '40014': 'invalid access_token', // docs/wechat-protocol.md §6.3
  '40033': 'invalid charset', // docs/wechat-protocol.md §7.1
  '40066': 'invalid url', // global
  '40125': 'invalid appsecret', // docs/wechat-protocol.md §6.3
  '40164': 'invalid ip, not in whitelist', // docs/wechat-protocol.md §5.5; with the caller's IP: ipNotWhitelistedBody
  '41001': 'access_token missing', // docs/wechat-protocol.md §6.3
  '41005': 'media data missing', // global
  '42001': 'access_token expired', // docs/wechat-protocol.md §6.3
  '43001': 'require GET method', // global
  '43002': 'require POST method', // global
  '44002': 'empty post data', // docs/wechat-protocol.md §7.5
  '44004': 'empty content', // docs/wechat-protocol.md §7.5
  '45002': 'content size out of limit', // docs/wechat-protocol.md §7.5
  '45008': 'article size out of limit', // docs/wechat-protocol.md §7.5
  '45009': 'reach max api daily quota limit', // docs/wechat-protocol.md §7.5
  '45015': 'response out of time limit or subscription is canceled', // docs/wechat-protocol.md §7.4, §7.5
  '45047': 'out of response count limit', // docs/wechat-protocol.md §7.4, §7.5
  '45072': 'command invalid', // docs/wechat-protocol.md §7.3
  // docs/wechat-protocol.md §7.3; the notes give these two no errmsg, so the texts say what the codes mean.
  '45080': 'typing needs a message exchanged with the user in the last 30 seconds',
  '45081': 'already typing, cannot be set again',
  '47001': 'data format error', // docs/wechat-protocol.md §7.5
  '61451': 'invalid parameter', // docs/wechat-protocol.md §7.5
  '61452': 'invalid kf_account', // docs/wechat-protocol.md §7.5
} as const satisfies Record<string, string>;

/** errmsg for a code; codes only a fault can produce get a neutral text. */
function errmsgOf(errcode: number): string {
  const key = String(errcode);
  return Object.hasOwn(ERRCODES, key) ? ERRCODES[key as keyof typeof ERRCODES] : 'simulated error';
}

/**
 * The JSON WeChat answers for an error: errmsg carries a per-request ` rid: ...` suffix, which is
 * why clients must classify by errcode only (docs/wechat-protocol.md §7.1). Success (0) has no suffix.
 */
export function errorBody(errcode: number): { readonly errcode: number; readonly errmsg: string } {
  const errmsg = errmsgOf(errcode);
  return { errcode, errmsg: errcode === 0 ? errmsg : `${errmsg} rid: ${randomRid()}` };
}

/**
 * WeChat's 40164 names the address it saw, as IPv4 and as IPv4-mapped IPv6 (docs/wechat-protocol.md
 * §5.5): what an operator must add to the whitelist.
 */
export function ipNotWhitelistedBody(ip: string): { readonly errcode: number; readonly errmsg: string } {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return { errcode: 40164, errmsg: `invalid ip ${v4} ipv6 ::ffff:${v4}, not in whitelist rid: ${randomRid()}` };
}
