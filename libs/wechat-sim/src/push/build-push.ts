import {
  type InboundMessage,
  type PushMode,
  type XmlRecord,
  type XmlValue,
  assertNever,
  buildXml,
  computeSignature,
  createMessageCrypto,
  sealMessage,
} from '@wxq/wechat';
import { randomInt64Above2To53, randomNonce, randomWechatPrefix } from '../random-ids.js';

/** What WeChat knows about an account when it pushes: the console's Token and EncodingAESKey. */
export interface PushAccountConfig {
  readonly appId: string;
  readonly token: string;
  /** Needed for the compatible and safe modes (§2.1). */
  readonly encodingAESKey?: string;
}

/**
 * How the outer body is laid out: `compact` (one line) or `indented` (one element per line, four
 * spaces, final newline, as the official examples and the shared vectors are). Only whitespace
 * between elements differs; the encrypted inner XML is always compact.
 */
export type PushBodyLayout = 'compact' | 'indented';

export interface BuildPushOptions {
  readonly account: PushAccountConfig;
  readonly mode: PushMode;
  readonly message: InboundMessage | XmlRecord;
  /** Unix seconds; default now. */
  readonly timestamp?: string;
  /** Default: 9–10 random digits, like WeChat's. */
  readonly nonce?: string;
  /** The 16-byte ciphertext prefix; default 16 random lowercase hex characters, like WeChat's (§3.2). */
  readonly random?: () => Buffer;
  /** Default `compact`. */
  readonly layout?: PushBodyLayout;
}

/** A push as WeChat sends it: the query string of the POST and its body. */
export interface Push {
  /** Without the leading `?`. */
  readonly query: string;
  readonly body: string;
}

/**
 * Builds the POST WeChat would send for a message (§2.2, §2.3, §3): `signature`, `timestamp`,
 * `nonce`, `openid` (the message's FromUserName), and for the encrypted modes `encrypt_type=aes`
 * and `msg_signature` over the ciphertext. Compatible mode puts the plain fields and `<Encrypt>` in
 * one `<xml>`; safe mode sends only `<ToUserName>` and `<Encrypt>`.
 * @throws TypeError when an encrypted mode lacks an EncodingAESKey or the message a ToUserName;
 *   CryptoError (`bad_aes_key`) for a malformed key
 */
export function buildPush(options: BuildPushOptions): Push {
  const { account, mode } = options;
  // Every InboundMessage is an XmlRecord at run time (strings, records, arrays), as buildInboundXml assumes.
  const record = options.message as XmlRecord;
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? randomNonce();
  const layout = options.layout ?? 'compact';
  const params = new URLSearchParams({ signature: computeSignature([account.token, timestamp, nonce]), timestamp, nonce });
  const openid = record['FromUserName'];
  if (typeof openid === 'string') params.set('openid', openid);

  switch (mode) {
    case 'plaintext':
      return { query: params.toString(), body: layOut(record, layout) };
    case 'compatible':
    case 'safe': {
      if (account.encodingAESKey === undefined) throw new TypeError(`a ${mode}-mode push needs the account's encodingAESKey`);
      const toUserName = record['ToUserName'];
      if (typeof toUserName !== 'string') throw new TypeError('a message needs a ToUserName');
      const crypto = createMessageCrypto({
        appId: account.appId,
        encodingAESKey: account.encodingAESKey,
        randomPrefix: options.random ?? randomWechatPrefix,
      });
      const sealed = sealMessage(crypto, { token: account.token, timestamp, nonce }, buildXml(record));
      params.set('encrypt_type', 'aes');
      params.set('msg_signature', sealed.MsgSignature);
      const outer: XmlRecord = mode === 'safe' ? { ToUserName: toUserName, Encrypt: sealed.Encrypt } : { ...record, Encrypt: sealed.Encrypt };
      return { query: params.toString(), body: layOut(outer, layout) };
    }
    default:
      return assertNever(mode);
  }
}

export interface HandshakeOptions {
  readonly token: string;
  /** Unix seconds; default now. */
  readonly timestamp?: string;
  readonly nonce?: string;
  /** Default: a random 64-bit decimal, like the official example's `4375120948345356249`. */
  readonly echostr?: string;
}

/** The URL-verification GET (§1), plain in every mode for an Official Account. */
export interface Handshake {
  /** `signature`, `timestamp`, `nonce`, `echostr`, without the leading `?`. */
  readonly query: string;
  /** What the gateway must answer, byte for byte. */
  readonly echostr: string;
}

/** Builds the GET WeChat sends when the admin saves the server configuration (§1). */
export function buildHandshake(options: HandshakeOptions): Handshake {
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? randomNonce();
  const echostr = options.echostr ?? randomInt64Above2To53();
  const signature = computeSignature([options.token, timestamp, nonce]);
  return { query: new URLSearchParams({ signature, timestamp, nonce, echostr }).toString(), echostr };
}

function layOut(record: XmlRecord, layout: PushBodyLayout): string {
  if (layout === 'compact') return buildXml(record);
  const lines = Object.entries(record).map(([name, value]) => `    ${element(name, value)}\n`);
  return `<xml>\n${lines.join('')}</xml>\n`;
}

/** One top-level element as buildXml writes it: the record's XML without the `<xml>` wrapper. */
function element(name: string, value: XmlValue): string {
  return buildXml({ [name]: value }).slice('<xml>'.length, -'</xml>'.length);
}
