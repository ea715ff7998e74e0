import { randomBytes, randomInt } from 'node:crypto';

// Identifier shapes from docs/wechat-protocol.md §0.3; the random parts are ours.
const OPENID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
/** OpenIDs are 28 characters of [A-Za-z0-9_-] (docs/wechat-protocol.md §0.3); real ones start with `o`. */
const OPENID_LENGTH = 28;
const TWO_TO_53 = 2n ** 53n;
const INT64_MAX = 2n ** 63n - 1n;

/** A 28-character OpenID, `o` followed by 27 characters of [A-Za-z0-9_-]. */
export function randomOpenId(): string {
  // 256 is a multiple of 64, so `byte & 63` picks every character with the same probability.
  const tail = [...randomBytes(OPENID_LENGTH - 1)].map((byte) => OPENID_ALPHABET[byte & 63] ?? '').join('');
  return `o${tail}`;
}

/** A decimal 64-bit id above 2^53, where a JS number would corrupt it (docs/wechat-protocol.md §0.3: MsgId). */
export function randomInt64Above2To53(): string {
  const value = randomBytes(8).readBigUInt64BE() % (INT64_MAX - TWO_TO_53);
  return String(TWO_TO_53 + 1n + value);
}

/** A nonce shaped like WeChat's (9 or 10 decimal digits, e.g. `415670741`, docs/wechat-protocol.md §1, §9.1). */
export function randomNonce(): string {
  return String(randomInt(100_000_000, 2_147_483_647));
}

/**
 * The 16-byte prefix of a ciphertext as WeChat writes it: 16 lowercase hex characters
 * (docs/wechat-protocol.md §3.2).
 */
export function randomWechatPrefix(): Buffer {
  return Buffer.from(randomBytes(8).toString('hex'), 'ascii');
}

/** A media id: 64 characters of [A-Za-z0-9_-]. */
export function randomMediaId(): string {
  return randomBytes(48).toString('base64url');
}

/**
 * An access_token: 136 characters of [A-Za-z0-9_-] (the reference asks clients to store 512,
 * docs/wechat-protocol.md §6.1).
 */
export function randomAccessToken(): string {
  return randomBytes(102).toString('base64url');
}

/** The request id WeChat appends to errmsg, e.g. `5f3ded7d-22929d02-4ba1f5f6` (docs/wechat-protocol.md §7.1). */
export function randomRid(): string {
  return [0, 1, 2].map(() => randomBytes(4).toString('hex')).join('-');
}
