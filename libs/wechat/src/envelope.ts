import { cdata } from './build-xml.js';
import type { KeyIndex, MessageCrypto } from './message-crypto.js';
import { computeSignature } from './signature.js';

export interface EncryptedEnvelope {
  readonly Encrypt: string;
  readonly MsgSignature: string;
  readonly TimeStamp: string;
  readonly Nonce: string;
}

/**
 * The encrypted passive-reply body, in the field order and layout of the official sample
 * (docs/wechat-protocol.md §3.5).
 */
export function buildEncryptedEnvelope(envelope: EncryptedEnvelope): string {
  return (
    `<xml>\n<Encrypt>${cdata(envelope.Encrypt)}</Encrypt>\n` +
    `<MsgSignature>${cdata(envelope.MsgSignature)}</MsgSignature>\n` +
    `<TimeStamp>${envelope.TimeStamp}</TimeStamp>\n` +
    `<Nonce>${cdata(envelope.Nonce)}</Nonce>\n</xml>`
  );
}

export interface SealParams {
  readonly token: string;
  /** Unix seconds as a string. */
  readonly timestamp: string;
  readonly nonce: string;
  /** The key the push was opened with, which seals its reply (docs/wechat-protocol.md §3.7); default the current. */
  readonly keyIndex?: KeyIndex | undefined;
}

/**
 * Encrypts a message and signs the ciphertext: the fields of an envelope (docs/wechat-protocol.md §3.5).
 * @throws RangeError for `keyIndex` 1 when the account has no previous key
 */
export function sealMessage(crypto: MessageCrypto, params: SealParams, message: string): EncryptedEnvelope {
  const encrypt = crypto.encrypt(message, params.keyIndex);
  return {
    Encrypt: encrypt,
    MsgSignature: computeSignature([params.token, params.timestamp, params.nonce, encrypt]),
    TimeStamp: params.timestamp,
    Nonce: params.nonce,
  };
}

/** A safe-mode push body: only ToUserName and Encrypt, as WeChat sends it (docs/wechat-protocol.md §2.3). */
export function buildSafeModeBody(toUserName: string, encrypt: string): string {
  return `<xml><ToUserName>${cdata(toUserName)}</ToUserName><Encrypt>${cdata(encrypt)}</Encrypt></xml>`;
}
