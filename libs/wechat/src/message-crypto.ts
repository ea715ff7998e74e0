import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CryptoError } from './errors.js';

/** EncodingAESKey is 43 base64 characters without the trailing `=` (docs/wechat-protocol.md §0.3, §3.1). */
const ENCODING_AES_KEY_LENGTH = 43;
/** AES-256: the decoded key is 32 bytes (docs/wechat-protocol.md §3.1). */
const AES_KEY_BYTES = 32;
/** WeChat pads to 32-byte blocks, not AES's 16 (docs/wechat-protocol.md §3.2). */
const PAD_BLOCK_BYTES = 32;
/** 16 random bytes, then a 4-byte big-endian length (docs/wechat-protocol.md §3.2). */
const RANDOM_BYTES = 16;
const HEADER_BYTES = RANDOM_BYTES + 4;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ENCODING_AES_KEY = /^[A-Za-z0-9]{43}$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes an EncodingAESKey into the 32-byte AES key. Decoding is lenient on the unused low bits
 * of the last character, as Tencent's own sample key needs (docs/wechat-protocol.md §3.1).
 * @throws CryptoError `bad_aes_key`
 */
export function decodeAesKey(encodingAESKey: string): Buffer {
  if (encodingAESKey.length !== ENCODING_AES_KEY_LENGTH || !ENCODING_AES_KEY.test(encodingAESKey)) {
    throw new CryptoError('bad_aes_key', `EncodingAESKey must be ${ENCODING_AES_KEY_LENGTH} characters of [A-Za-z0-9]`);
  }
  const key = Buffer.from(`${encodingAESKey}=`, 'base64');
  if (key.length !== AES_KEY_BYTES) throw new CryptoError('bad_aes_key', 'EncodingAESKey does not decode to 32 bytes');
  return key;
}

export interface MessageCryptoOptions {
  readonly appId: string;
  readonly encodingAESKey: string;
  /** The key before the last rotation: tried when the current one fails (docs/wechat-protocol.md §3.7). */
  readonly previousEncodingAESKey?: string | undefined;
  /** Source of the 16-byte prefix; injectable so tests can reproduce published ciphertexts. */
  readonly randomPrefix?: (() => Buffer) | undefined;
}

/** Which of an account's keys: 0 the current EncodingAESKey, 1 the previous one (docs/wechat-protocol.md §3.7). */
export type KeyIndex = 0 | 1;

export interface DecryptedMessage {
  /** The inner message (XML for Official Accounts), decoded as UTF-8. */
  readonly message: string;
  /** Which key opened it: replies must be encrypted with the same one (docs/wechat-protocol.md §3.7). */
  readonly keyIndex: KeyIndex;
}

export interface MessageCrypto {
  /**
   * Encrypts a message into the base64 text of `<Encrypt>`, with the current key unless told
   * otherwise: a reply takes the key its push was opened with (docs/wechat-protocol.md §3.7).
   * @throws RangeError for key 1 when there is no previous key
   */
  encrypt(message: string, keyIndex?: KeyIndex): string;
  /**
   * Decrypts and checks the base64 text of `<Encrypt>` (docs/wechat-protocol.md §3.3): base64, block length, padding,
   * length field, UTF-8 and the AppID trailer.
   * @throws CryptoError with the reason as `code`
   */
  decrypt(encrypt: string): DecryptedMessage;
}

/**
 * The WXBizMsgCrypt scheme for one account: AES-256-CBC, IV = key[0..16), 32-byte PKCS#7 padding.
 * @throws CryptoError `bad_aes_key` when a key is malformed
 */
export function createMessageCrypto(options: MessageCryptoOptions): MessageCrypto {
  const keys = [decodeAesKey(options.encodingAESKey)];
  if (options.previousEncodingAESKey !== undefined) keys.push(decodeAesKey(options.previousEncodingAESKey));
  const appId = Buffer.from(options.appId, 'utf8');
  const randomPrefix = options.randomPrefix ?? (() => randomBytes(RANDOM_BYTES));

  return {
    encrypt(message, keyIndex = 0) {
      const key = keys[keyIndex];
      if (key === undefined) throw new RangeError('this account has no previous EncodingAESKey');
      const prefix = randomPrefix();
      if (prefix.length !== RANDOM_BYTES) throw new RangeError(`random prefix must be ${RANDOM_BYTES} bytes`);
      return encryptFrame(key, buildFrame(prefix, Buffer.from(message, 'utf8'), appId));
    },
    decrypt(encrypt) {
      const ciphertext = decodeCiphertext(encrypt);
      let firstError: CryptoError | undefined;
      for (const [index, key] of keys.entries()) {
        try {
          return { message: openFrame(decryptBlocks(key, ciphertext), appId), keyIndex: index === 0 ? 0 : 1 };
        } catch (error) {
          if (!(error instanceof CryptoError)) throw error;
          firstError ??= error;
        }
      }
      throw firstError as CryptoError;
    },
  };
}

function buildFrame(prefix: Buffer, message: Buffer, appId: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(message.length);
  const unpadded = RANDOM_BYTES + 4 + message.length + appId.length;
  const pad = PAD_BLOCK_BYTES - (unpadded % PAD_BLOCK_BYTES);
  return Buffer.concat([prefix, length, message, appId, Buffer.alloc(pad, pad)]);
}

function encryptFrame(key: Buffer, frame: Buffer): string {
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(frame), cipher.final()]).toString('base64');
}

function decodeCiphertext(encrypt: string): Buffer {
  if (!BASE64.test(encrypt)) throw new CryptoError('bad_base64', 'Encrypt is not standard padded base64');
  const ciphertext = Buffer.from(encrypt, 'base64');
  if (ciphertext.length === 0 || ciphertext.length % PAD_BLOCK_BYTES !== 0) {
    throw new CryptoError(
      'bad_ciphertext_length',
      `ciphertext of ${ciphertext.length} bytes is not a non-zero multiple of 32`,
    );
  }
  return ciphertext;
}

function decryptBlocks(key: Buffer, ciphertext: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

function openFrame(frame: Buffer, appId: Buffer): string {
  const pad = frame[frame.length - 1] ?? 0;
  if (pad < 1 || pad > PAD_BLOCK_BYTES || !frame.subarray(frame.length - pad).every((b) => b === pad)) {
    throw new CryptoError('bad_padding', 'padding is not 1..32 bytes of its own length');
  }
  const body = frame.subarray(0, frame.length - pad);
  if (body.length < HEADER_BYTES) throw new CryptoError('bad_length', 'decrypted frame is shorter than its header');
  const messageLength = body.readUInt32BE(RANDOM_BYTES);
  if (HEADER_BYTES + messageLength > body.length) {
    throw new CryptoError('bad_length', 'length field points past the end of the frame');
  }
  const trailer = body.subarray(HEADER_BYTES + messageLength);
  if (!trailer.equals(appId))
    throw new CryptoError('appid_mismatch', 'the AppID inside the ciphertext is not this account');
  try {
    return strictUtf8.decode(body.subarray(HEADER_BYTES, HEADER_BYTES + messageLength));
  } catch (cause) {
    throw new CryptoError('invalid_utf8', 'decrypted message is not valid UTF-8', { cause });
  }
}
