// Pushes and handshakes signed (and sealed) the way WeChat sends them (reference §1-§3), for the
// default test account or any other.
import { inboundJobId } from '@wxq/queue';
import { buildSafeModeBody, cdata, computeDedupKey, computeSignature, createMessageCrypto, parseInboundXml, sealMessage } from '@wxq/wechat';

/** The default account: an AppID, a console-valid Token and an EncodingAESKey (plaintext still accepted). */
export const APP_ID = 'wx1234567890abcdef';
export const TOKEN = 'gatewayTestToken42';
export const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
export const ACCOUNT_NAME = 'gh_0123456789ab';

export interface TestAccount {
  readonly appId: string;
  readonly token: string;
  readonly encodingAESKey?: string | undefined;
}

export const DEFAULT_ACCOUNT: TestAccount = { appId: APP_ID, token: TOKEN, encodingAESKey: AES_KEY };

export interface SignedPush {
  /** The query string, without `?`. */
  readonly query: string;
  readonly body: string | Buffer;
}

export interface SignOptions {
  readonly account?: TestAccount;
  /** Unix seconds; default now. */
  readonly timestamp?: string;
  readonly nonce?: string;
}

let sequence = 0;

/** A MsgId of 19 digits, unique in this process (like WeChat's, above 2^53). */
export function nextMsgId(): string {
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

/** A text message as WeChat pushes it (§4.2); a fresh MsgId unless one is given. */
export function textXml(fields: TextFields = {}): string {
  return (
    `<xml><ToUserName>${cdata(fields.toUserName ?? ACCOUNT_NAME)}</ToUserName>` +
    `<FromUserName>${cdata(fields.fromUserName ?? 'oTestUser0123456789abcdefgh')}</FromUserName>` +
    `<CreateTime>${fields.createTime ?? nowSeconds()}</CreateTime>` +
    `<MsgType><![CDATA[text]]></MsgType><Content>${cdata(fields.content ?? 'hello')}</Content>` +
    `<MsgId>${fields.msgId ?? nextMsgId()}</MsgId></xml>`
  );
}

/** The `signature`, `timestamp` and `nonce` of a handshake or plaintext push (§1). */
export function signatureParams(options: SignOptions = {}): URLSearchParams {
  const token = (options.account ?? DEFAULT_ACCOUNT).token;
  const timestamp = options.timestamp ?? nowSeconds();
  const nonce = options.nonce ?? String(Math.floor(Math.random() * 1e9));
  return new URLSearchParams({ signature: computeSignature([token, timestamp, nonce]), timestamp, nonce });
}

/** A GET handshake's query string. */
export function handshakeQuery(echostr: string, options: SignOptions = {}): string {
  const params = signatureParams(options);
  params.set('echostr', echostr);
  return params.toString();
}

/** A plaintext push: the body as is, signed with `signature` over the Token. */
export function plaintextPush(xml: string | Buffer, options: SignOptions = {}): SignedPush {
  const params = signatureParams(options);
  params.set('openid', 'oTestUser0123456789abcdefgh');
  return { query: params.toString(), body: xml };
}

/**
 * An encrypted push (§2.3): `safe` sends only ToUserName and Encrypt; `compatible` sends the
 * plaintext fields of `outerXml` (default: `xml`) beside Encrypt. `msg_signature` covers Encrypt.
 */
export function encryptedPush(
  xml: string,
  mode: 'safe' | 'compatible',
  options: SignOptions & { readonly outerXml?: string } = {},
): SignedPush {
  const account = options.account ?? DEFAULT_ACCOUNT;
  if (account.encodingAESKey === undefined) throw new Error('an encrypted push needs an account with an EncodingAESKey');
  const params = signatureParams(options);
  const timestamp = params.get('timestamp') ?? '';
  const nonce = params.get('nonce') ?? '';
  const crypto = createMessageCrypto({ appId: account.appId, encodingAESKey: account.encodingAESKey });
  const sealed = sealMessage(crypto, { token: account.token, timestamp, nonce }, xml);
  params.set('openid', 'oTestUser0123456789abcdefgh');
  params.set('encrypt_type', 'aes');
  params.set('msg_signature', sealed.MsgSignature);
  const body =
    mode === 'safe'
      ? buildSafeModeBody(ACCOUNT_NAME, sealed.Encrypt)
      : (options.outerXml ?? xml).replace('</xml>', `<Encrypt>${cdata(sealed.Encrypt)}</Encrypt></xml>`);
  return { query: params.toString(), body };
}

/** The query of an encrypted push whose `msg_signature` covers `encrypt`, whatever that is. */
export function encryptedQuery(encrypt: string, options: SignOptions = {}): string {
  const token = (options.account ?? DEFAULT_ACCOUNT).token;
  const timestamp = options.timestamp ?? nowSeconds();
  const nonce = options.nonce ?? String(Math.floor(Math.random() * 1e9));
  const msgSignature = computeSignature([token, timestamp, nonce, encrypt]);
  return new URLSearchParams({ timestamp, nonce, encrypt_type: 'aes', msg_signature: msgSignature }).toString();
}

/** A safe-mode body around any `Encrypt` text. */
export function safeModeBody(encrypt: string): string {
  return buildSafeModeBody(ACCOUNT_NAME, encrypt);
}

/** The BullMQ job id the gateway gives a push of `xml` for `appId`. */
export function jobIdOf(xml: string, appId = APP_ID): string {
  return inboundJobId(appId, computeDedupKey(parseInboundXml(xml)));
}
