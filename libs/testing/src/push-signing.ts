// Signed callbacks for gateway tests, including ones WeChat would never send (odd bytes, a forged
// outer body, a ciphertext of the test's choosing). Every signature comes from @wxq/wechat-sim's
// push builder, so tests, the simulator and `npm run sim` sign one way.
import { cdata, parseXml } from '@wxq/wechat';
import { type PushAccountConfig, buildHandshake, buildPush, signPushQuery } from '@wxq/wechat-sim';

/** A POST as a gateway receives it. The body may be bytes that are not UTF-8. */
export interface SignedPush {
  /** Without the leading `?`. */
  readonly query: string;
  readonly body: string | Buffer;
}

export interface SignPushOptions {
  /** Whose Token signs (and, for encrypted modes, whose EncodingAESKey and AppID seal). */
  readonly account: PushAccountConfig;
  /** Unix seconds; default now. A test of the replay window passes an old one. */
  readonly timestamp?: string;
  /** Default: random digits, like WeChat's. */
  readonly nonce?: string;
  /** The `openid` query parameter. Default: none for a plaintext body, the XML's FromUserName for a sealed one. */
  readonly openid?: string;
}

/**
 * A plaintext-mode push of `body` exactly as given: `signature` covers Token, timestamp and nonce,
 * never the body (docs/wechat-protocol.md §2.2), so any bytes can be sent with a valid signature.
 */
export function signPlaintextPush(body: string | Buffer, options: SignPushOptions): SignedPush {
  return {
    query: signPushQuery({
      token: options.account.token,
      timestamp: options.timestamp,
      nonce: options.nonce,
      openid: options.openid,
    }),
    body,
  };
}

export interface SignEncryptedPushOptions extends SignPushOptions {
  /**
   * Compatible mode only: the plaintext outer body to send instead of `xml`, with the `<Encrypt>`
   * of the sealed `xml` put before its closing `</xml>` (a push whose outer fields lie).
   */
  readonly outerXml?: string;
}

/**
 * An encrypted push of `xml`, sealed byte for byte: `safe` sends only ToUserName and Encrypt; `compatible`
 * sends the plaintext fields beside Encrypt (docs/wechat-protocol.md §2.3). `msg_signature` covers Encrypt.
 * @throws TypeError when the account has no EncodingAESKey, `xml` has no ToUserName, or a
 *   compatible body has no closing `</xml>`
 */
export function signEncryptedPush(
  xml: string,
  mode: 'safe' | 'compatible',
  options: SignEncryptedPushOptions,
): SignedPush {
  const { outerXml } = options;
  if (outerXml !== undefined && mode !== 'compatible') throw new TypeError('outerXml applies to compatible mode only');
  // A forged outer body takes the Encrypt of a safe-mode push: the query is the same in both modes.
  const push = buildPush({
    account: options.account,
    mode: outerXml === undefined ? mode : 'safe',
    message: xml,
    ...times(options),
  });
  const query = options.openid === undefined ? push.query : withParam(push.query, 'openid', options.openid);
  if (outerXml === undefined) return { query, body: push.body };
  const encrypt = parseXml(push.body)['Encrypt'];
  const close = outerXml.lastIndexOf('</xml>');
  if (close === -1 || typeof encrypt !== 'string') throw new TypeError('outerXml needs its closing </xml>');
  return { query, body: `${outerXml.slice(0, close)}<Encrypt>${cdata(encrypt)}</Encrypt>${outerXml.slice(close)}` };
}

/**
 * The query of an encrypted push whose `msg_signature` covers `encrypt`, whatever that is (not
 * base64, the wrong length, sealed for another account): the body is the test's to write.
 */
export function signEncryptedQuery(encrypt: string, options: SignPushOptions): string {
  return signPushQuery({
    token: options.account.token,
    timestamp: options.timestamp,
    nonce: options.nonce,
    openid: options.openid,
    encrypt,
  });
}

/**
 * The query of a URL-verification GET (docs/wechat-protocol.md §1) that a gateway must answer with exactly
 * `echostr`.
 */
export function signHandshake(echostr: string, options: Omit<SignPushOptions, 'openid'>): string {
  return buildHandshake({ token: options.account.token, echostr, ...times(options) }).query;
}

function times(options: SignPushOptions): { timestamp?: string; nonce?: string } {
  return {
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
  };
}

function withParam(query: string, name: string, value: string): string {
  const params = new URLSearchParams(query);
  params.set(name, value);
  return params.toString();
}
