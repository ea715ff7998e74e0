import { signPushQuery } from '@wxq/wechat-sim';

// One signed plaintext callback, as WeChat sends it, with a fresh MsgId per request so every push
// is a new job (a duplicate would be a cheaper path and flatter the gateway).

export const BENCH_ACCOUNT = { appId: 'wx0123456789abcdef', token: 'benchtoken42' } as const;

const timestamp = String(Math.floor(Date.now() / 1000));
const nonce = '1234567890';

// Signed once: a plaintext push's signature covers Token, timestamp and nonce, not the body
// (docs/wechat-protocol.md §2.2).
export const PUSH_PATH = `/wechat?${signPushQuery({ token: BENCH_ACCOUNT.token, timestamp, nonce })}`;

let sequence = 0n;
const base = 7_300_000_000_000_000_000n;

/** A text message with the next MsgId (above 2^53, as real ones are). */
export function nextPushBody(): string {
  sequence += 1n;
  return (
    '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>' +
    `<FromUserName><![CDATA[oBench${String(sequence % 1000n).padStart(22, '0')}]]></FromUserName>` +
    `<CreateTime>${timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>` +
    `<Content><![CDATA[benchmark message ${sequence}]]></Content><MsgId>${base + sequence}</MsgId></xml>`
  );
}
