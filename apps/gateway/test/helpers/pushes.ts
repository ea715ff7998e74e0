// What the gateway tests push: the default account, text messages, and the job id a push becomes.
// Pushes and handshakes are signed (and sealed) by @wxq/testing's sign* functions, which use
// @wxq/wechat-sim's push builder, so tests, the simulator and `npm run sim` sign one way.
import { inboundJobId } from '@wxq/queue';
import type { SignPushOptions } from '@wxq/testing';
import { buildSafeModeBody, cdata, computeDedupKey, parseInboundXml } from '@wxq/wechat';

/** The default account: an AppID, a console-valid Token and an EncodingAESKey (plaintext still accepted). */
export const APP_ID = 'wx1234567890abcdef';
export const TOKEN = 'gatewayTestToken42';
export const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const ACCOUNT_NAME = 'gh_0123456789ab';
/** The user {@link textXml}'s messages come from. */
export const OPEN_ID = 'oTestUser0123456789abcdefgh';

/** The account every test gateway is configured with; pass it as `{ account: DEFAULT_ACCOUNT }` to sign for it. */
export const DEFAULT_ACCOUNT: SignPushOptions['account'] = { appId: APP_ID, token: TOKEN, encodingAESKey: AES_KEY };

let sequence = 0;

/** A MsgId of 19 digits, unique in this process (like WeChat's, above 2^53). */
function nextMsgId(): string {
  sequence += 1;
  return `7${String(Date.now()).padStart(13, '0')}${String(sequence).padStart(5, '0')}`;
}

export function nowSeconds(): string {
  return String(Math.floor(Date.now() / 1000));
}

export interface TextFields {
  readonly content?: string;
  readonly msgId?: string;
  readonly toUserName?: string;
  readonly fromUserName?: string;
  readonly createTime?: string;
}

/**
 * A text message as WeChat pushes it (docs/wechat-protocol.md §4.2) to the default account from {@link
 * OPEN_ID}; a fresh MsgId unless one is given.
 */
export function textXml(fields: TextFields = {}): string {
  return (
    `<xml><ToUserName>${cdata(fields.toUserName ?? ACCOUNT_NAME)}</ToUserName>` +
    `<FromUserName>${cdata(fields.fromUserName ?? OPEN_ID)}</FromUserName>` +
    `<CreateTime>${fields.createTime ?? nowSeconds()}</CreateTime>` +
    `<MsgType><![CDATA[text]]></MsgType><Content>${cdata(fields.content ?? 'hello')}</Content>` +
    `<MsgId>${fields.msgId ?? nextMsgId()}</MsgId></xml>`
  );
}

/** A safe-mode body around any `Encrypt` text, for the query `signEncryptedQuery` signs. */
export function safeModeBody(encrypt: string): string {
  return buildSafeModeBody(ACCOUNT_NAME, encrypt);
}

/** The BullMQ job id the gateway gives a push of `xml` for `appId`. */
export function jobIdOf(xml: string, appId = APP_ID): string {
  return inboundJobId(appId, computeDedupKey(parseInboundXml(xml)));
}
