import {
  type InboundMessage,
  type PushMode,
  type XmlRecord,
  type XmlValue,
  assertNever,
  buildXml,
  computeSignature,
  cdata,
  createMessageCrypto,
  parseXml,
  sealMessage,
  toInboundMessage,
} from '@wxq/wechat';
import type { Interaction } from '../api/interactions.js';
import { randomInt64Above2To53, randomNonce, randomWechatPrefix } from '../random-ids.js';

/** What WeChat knows about an account when it pushes: the console's Token and EncodingAESKey. */
export interface PushAccountConfig {
  readonly appId: string;
  readonly token: string;
  /** Needed for the compatible and safe modes (docs/wechat-protocol.md §2.1). */
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
  /**
   * The message, or an XML body as a string (a captured push, or a deliberately odd one), which
   * is sent (plaintext) or sealed (compatible, safe) byte for byte; `layout` does not apply to it.
   */
  readonly message: InboundMessage | XmlRecord | string;
  /** Unix seconds; default now. */
  readonly timestamp?: string;
  /** Default: 9–10 random digits, like WeChat's. */
  readonly nonce?: string;
  /**
   * The 16-byte ciphertext prefix; default 16 random lowercase hex characters, like WeChat's
   * (docs/wechat-protocol.md §3.2).
   */
  readonly random?: () => Buffer;
  /** Default `compact`. */
  readonly layout?: PushBodyLayout;
}

/** A push as WeChat sends it: the query string of the POST and its body. */
export interface Push {
  /** Without the leading `?`. */
  readonly query: string;
  readonly body: string;
  /**
   * The user action it reports, for `sendPush` to tell the API simulator of (docs/wechat-protocol.md §7.4). Absent when
   * the message does not type as a push (a deliberately odd string body).
   */
  readonly interaction?: Interaction;
}

export interface PushQueryOptions {
  readonly token: string;
  /** Unix seconds; default now. */
  readonly timestamp?: string | undefined;
  /** Default: 9–10 random digits, like WeChat's. */
  readonly nonce?: string | undefined;
  /** The sender's OpenID; WeChat adds it to every push (docs/wechat-protocol.md §2.2). Omitted when undefined. */
  readonly openid?: string | undefined;
  /** The ciphertext of an encrypted push: adds `encrypt_type=aes` and `msg_signature` over it. */
  readonly encrypt?: string | undefined;
}

/**
 * The query string WeChat puts on a push (docs/wechat-protocol.md §2.2): `signature` over the Token, `timestamp` and
 * `nonce`, then `openid`, and for an encrypted body `encrypt_type=aes` and `msg_signature` over
 * Token, timestamp, nonce and `encrypt`. Without the leading `?`. Whatever the body holds.
 */
export function signPushQuery(options: PushQueryOptions): string {
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? randomNonce();
  const params = new URLSearchParams({
    signature: computeSignature([options.token, timestamp, nonce]),
    timestamp,
    nonce,
  });
  if (options.openid !== undefined) params.set('openid', options.openid);
  if (options.encrypt !== undefined) {
    params.set('encrypt_type', 'aes');
    params.set('msg_signature', computeSignature([options.token, timestamp, nonce, options.encrypt]));
  }
  return params.toString();
}

/**
 * Builds the POST WeChat would send for a message (docs/wechat-protocol.md §2.2, §2.3, §3): `signature`, `timestamp`,
 * `nonce`, `openid` (the message's FromUserName), and for the encrypted modes `encrypt_type=aes`
 * and `msg_signature` over the ciphertext. Compatible mode puts the plain fields and `<Encrypt>` in
 * one `<xml>`; safe mode sends only `<ToUserName>` and `<Encrypt>`.
 * A string message is sent or sealed as given; its ToUserName and FromUserName are read from it
 * when it parses, and compatible mode inserts `<Encrypt>` before its closing `</xml>`.
 * @throws TypeError when an encrypted mode lacks an EncodingAESKey or the message a ToUserName
 *   (or, for a string in compatible mode, a closing `</xml>`); CryptoError (`bad_aes_key`) for a
 *   malformed key
 */
export function buildPush(options: BuildPushOptions): Push {
  const { account, mode } = options;
  const raw = typeof options.message === 'string' ? options.message : undefined;
  // Every InboundMessage is an XmlRecord at run time (strings, records, arrays), as buildInboundXml assumes.
  const record = raw === undefined ? (options.message as XmlRecord) : parseOrUndefined(raw);
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? randomNonce();
  const layout = options.layout ?? 'compact';
  const openid = stringField(record, 'FromUserName');
  const signed = { token: account.token, timestamp, nonce, openid };
  const typed = record === undefined ? undefined : typeOrUndefined(record);
  const interaction: Pick<Push, 'interaction'> =
    typed === undefined ? {} : { interaction: { appId: account.appId, message: typed } };

  switch (mode) {
    case 'plaintext':
      return { query: signPushQuery(signed), body: raw ?? layOut(record ?? {}, layout), ...interaction };
    case 'compatible':
    case 'safe': {
      if (account.encodingAESKey === undefined)
        throw new TypeError(`a ${mode}-mode push needs the account's encodingAESKey`);
      const toUserName = stringField(record, 'ToUserName');
      if (toUserName === undefined) throw new TypeError('a message needs a ToUserName');
      const crypto = createMessageCrypto({
        appId: account.appId,
        encodingAESKey: account.encodingAESKey,
        randomPrefix: options.random ?? randomWechatPrefix,
      });
      const sealed = sealMessage(crypto, { token: account.token, timestamp, nonce }, raw ?? buildXml(record ?? {}));
      const query = signPushQuery({ ...signed, encrypt: sealed.Encrypt });
      if (mode === 'safe')
        return { query, body: layOut({ ToUserName: toUserName, Encrypt: sealed.Encrypt }, layout), ...interaction };
      const body =
        raw === undefined ? layOut({ ...record, Encrypt: sealed.Encrypt }, layout) : insertEncrypt(raw, sealed.Encrypt);
      return { query, body, ...interaction };
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

/** The URL-verification GET (docs/wechat-protocol.md §1), plain in every mode for an Official Account. */
export interface Handshake {
  /** `signature`, `timestamp`, `nonce`, `echostr`, without the leading `?`. */
  readonly query: string;
  /** What the gateway must answer, byte for byte. */
  readonly echostr: string;
}

/** Builds the GET WeChat sends when the admin saves the server configuration (docs/wechat-protocol.md §1). */
export function buildHandshake(options: HandshakeOptions): Handshake {
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? randomNonce();
  const echostr = options.echostr ?? randomInt64Above2To53();
  const signature = computeSignature([options.token, timestamp, nonce]);
  return { query: new URLSearchParams({ signature, timestamp, nonce, echostr }).toString(), echostr };
}

function parseOrUndefined(xml: string): XmlRecord | undefined {
  try {
    return parseXml(xml);
  } catch {
    return undefined; // an odd body still goes out; only the fields read from it are missing
  }
}

function typeOrUndefined(record: XmlRecord): InboundMessage | undefined {
  try {
    return toInboundMessage(record);
  } catch {
    return undefined; // sent all the same; there is just no user action to tell the simulator of
  }
}

function stringField(record: XmlRecord | undefined, name: string): string | undefined {
  const value = record?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** A compatible-mode body from a string: `<Encrypt>` goes last inside the root element. */
function insertEncrypt(xml: string, encrypt: string): string {
  const close = xml.lastIndexOf('</xml>');
  if (close === -1) throw new TypeError('a compatible-mode push of a string needs its closing </xml>');
  return `${xml.slice(0, close)}<Encrypt>${cdata(encrypt)}</Encrypt>${xml.slice(close)}`;
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
