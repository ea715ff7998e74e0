import { CryptoError, SignatureError } from './errors.js';
import type { KeyIndex, MessageCrypto } from './message-crypto.js';
import type { InboundMessage } from './messages.js';
import { toInboundMessage } from './parse-message.js';
import { verifyMsgSignature, verifyUrlSignature } from './signature.js';
import { parseXml } from './xml.js';

/** How the push travelled (docs/wechat-protocol.md §2.1): plain XML, plain plus `<Encrypt>`, or only `<Encrypt>`. */
export type PushMode = 'plaintext' | 'compatible' | 'safe';

export interface PushAccount {
  readonly appId: string;
  readonly token: string;
  /** Present when the account has an EncodingAESKey. */
  readonly crypto?: MessageCrypto | undefined;
  /** Refuse plaintext pushes (downgrade protection, docs/wechat-protocol.md §2.2 step 3). */
  readonly requireEncryption?: boolean | undefined;
}

/** The callback's query string; repeated parameters (arrays) count as absent. */
export type PushQuery = Readonly<Record<string, unknown>>;

export interface PushClock {
  readonly nowSeconds: number;
  /** Largest accepted |now − timestamp|; 0 turns the check off. */
  readonly maxSkewSeconds: number;
}

export interface OpenedPush {
  readonly mode: PushMode;
  readonly message: InboundMessage;
  /** An encrypted push's key: the one that opened it, which seals its passive reply (docs/wechat-protocol.md §3.7). */
  readonly keyIndex?: KeyIndex;
}

/**
 * Answers the GET handshake (docs/wechat-protocol.md §1): the `echostr` to send back, byte for byte.
 * @throws SignatureError when the signature does not match or a parameter is missing
 */
export function verifyEcho(account: PushAccount, query: PushQuery): string {
  const echostr = param(query, 'echostr');
  if (echostr === undefined) throw new SignatureError('bad_signature', 'echostr is missing');
  verifySignature(account, query);
  return echostr;
}

/**
 * Verifies a POST push and returns its message (docs/wechat-protocol.md §2.2): `msg_signature` and decryption when
 * `encrypt_type=aes` (only the decrypted copy is used), `signature` otherwise.
 * @throws SignatureError, CryptoError, XmlError or MessageError with the reason as `code`
 */
export function openPush(
  account: PushAccount,
  query: PushQuery,
  body: Uint8Array | string,
  clock: PushClock,
): OpenedPush {
  const encrypted = param(query, 'encrypt_type') === 'aes';
  if (!encrypted) {
    if (account.requireEncryption === true) {
      throw new SignatureError('encryption_required', 'this account accepts encrypted pushes only');
    }
    verifySignature(account, query);
    checkClock(query, clock);
    return { mode: 'plaintext', message: toInboundMessage(parseXml(body)) };
  }
  const outer = parseXml(body);
  const encrypt = outer['Encrypt'];
  if (typeof encrypt !== 'string' || encrypt === '')
    throw new CryptoError('bad_base64', 'an encrypted push needs <Encrypt>');
  const signed = signedParams(query, 'msg_signature');
  const { token } = account;
  if (
    signed === undefined ||
    !verifyMsgSignature({
      token,
      timestamp: signed.timestamp,
      nonce: signed.nonce,
      encrypt,
      msgSignature: signed.signature,
    })
  ) {
    throw new SignatureError('bad_signature', 'msg_signature does not match');
  }
  checkClock(query, clock);
  if (account.crypto === undefined) throw new CryptoError('bad_aes_key', 'this account has no EncodingAESKey');
  const { message, keyIndex } = account.crypto.decrypt(encrypt);
  return {
    mode: outer['MsgType'] === undefined ? 'safe' : 'compatible',
    message: toInboundMessage(parseXml(message)),
    keyIndex,
  };
}

function verifySignature(account: PushAccount, query: PushQuery): void {
  const signed = signedParams(query, 'signature');
  if (signed === undefined || !verifyUrlSignature({ token: account.token, ...signed })) {
    throw new SignatureError('bad_signature', 'signature does not match');
  }
}

/** The query's signature (under `name`), timestamp and nonce; undefined when one is missing. */
function signedParams(
  query: PushQuery,
  name: 'signature' | 'msg_signature',
): { signature: string; timestamp: string; nonce: string } | undefined {
  const signature = param(query, name);
  const timestamp = param(query, 'timestamp');
  const nonce = param(query, 'nonce');
  return signature === undefined || timestamp === undefined || nonce === undefined
    ? undefined
    : { signature, timestamp, nonce };
}

// WeChat documents no replay window (docs/wechat-protocol.md §2.2 step 5); this is ours, wide enough for its
// ~20 s of retries.
function checkClock(query: PushQuery, clock: PushClock): void {
  if (clock.maxSkewSeconds === 0) return;
  const timestamp = Number(param(query, 'timestamp'));
  if (!Number.isSafeInteger(timestamp) || Math.abs(clock.nowSeconds - timestamp) > clock.maxSkewSeconds) {
    throw new SignatureError('stale_timestamp', 'timestamp is outside the accepted window');
  }
}

function param(query: PushQuery, name: string): string | undefined {
  const value = query[name];
  return typeof value === 'string' ? value : undefined;
}
