import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * sha1 hex of the parts sorted by code unit and joined with no separator (docs/wechat-protocol.md §1, §2.2).
 * The parts are taken exactly as received: no number conversion, never `localeCompare`.
 */
export function computeSignature(parts: readonly string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/** Constant-time comparison of a received signature with the expected 40-char hex digest. */
export function isSameSignature(received: string, expected: string): boolean {
  const a = Buffer.from(received, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface UrlSignatureParams {
  readonly token: string;
  readonly timestamp: string;
  readonly nonce: string;
  readonly signature: string;
}

/** The `signature` query parameter of a GET handshake or a plaintext POST (docs/wechat-protocol.md §1). */
export function verifyUrlSignature(p: UrlSignatureParams): boolean {
  return isSameSignature(p.signature, computeSignature([p.token, p.timestamp, p.nonce]));
}

export interface MsgSignatureParams {
  readonly token: string;
  readonly timestamp: string;
  readonly nonce: string;
  /** The base64 text of `<Encrypt>` exactly as received, before decoding (docs/wechat-protocol.md §3.3 step 2). */
  readonly encrypt: string;
  readonly msgSignature: string;
}

/**
 * The `msg_signature` of a safe- or compatible-mode push, which covers the ciphertext
 * (docs/wechat-protocol.md §2.2).
 */
export function verifyMsgSignature(p: MsgSignatureParams): boolean {
  return isSameSignature(p.msgSignature, computeSignature([p.token, p.timestamp, p.nonce, p.encrypt]));
}
