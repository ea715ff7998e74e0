import { readFileSync } from 'node:fs';

// The shared WeChat crypto vectors (docs/wechat-protocol.md §9), from the copy in libs/testing/vectors, for
// every suite that needs them (protocol, gateway, simulator).
export const VECTORS_URL = new URL('../vectors/wechat-crypto-vectors.json', import.meta.url);

interface PublishedBase {
  readonly id: string;
  readonly token?: string;
  readonly timestamp?: string;
  readonly nonce?: string;
}
export interface UrlSignatureVector extends PublishedBase {
  readonly kind: 'url_signature';
  readonly token: string;
  readonly timestamp: string;
  readonly nonce: string;
  readonly expect_signature: string;
}
export interface RawSignatureVector extends PublishedBase {
  readonly kind: 'raw_signature';
  readonly parts: readonly string[];
  readonly expect_signature: string;
}
export interface MsgSignatureVector extends PublishedBase {
  readonly kind: 'msg_signature';
  readonly token: string;
  readonly timestamp: string;
  readonly nonce: string;
  readonly encrypt: string;
  readonly expect_signature: string;
}
export interface DecryptVector extends PublishedBase {
  readonly kind: 'decrypt';
  readonly token: string;
  readonly timestamp: string;
  readonly nonce: string;
  readonly encodingAESKey: string;
  readonly appid: string;
  readonly encrypt: string;
  readonly msg_signature: string;
  readonly url_signature?: string;
}
export interface EncryptVector extends PublishedBase {
  readonly kind: 'encrypt' | 'encrypt_reply';
  readonly encodingAESKey: string;
  readonly appid: string;
  readonly random16_ascii: string;
  readonly message: string;
  readonly expect_encrypt: string;
  readonly expect_msg_signature?: string;
}
export type PublishedVector =
  UrlSignatureVector | RawSignatureVector | MsgSignatureVector | DecryptVector | EncryptVector;

/** What the generated vectors, fresh and negative, share: an account, a push's query and its ciphertext. */
interface GeneratedBase {
  readonly id: string;
  readonly token: string;
  readonly encodingAESKey: string;
  readonly appid: string;
  readonly timestamp: string;
  readonly nonce: string;
  readonly encrypt_base64: string;
  readonly msg_signature: string;
}

export interface FreshVector extends GeneratedBase {
  readonly random16_hex: string;
  readonly plaintext_xml: string;
  readonly plaintext_utf8_len: number;
  readonly pad_byte: number;
  readonly padded_plaintext_hex: string;
  readonly signature?: string;
  readonly query?: string;
  readonly post_body_safe_mode?: string;
  readonly reply_envelope?: string;
}

export interface NegativeVector extends GeneratedBase {
  readonly strict_decoder_error: number;
}

export interface Vectors {
  readonly published: readonly { readonly inputs: PublishedVector; readonly result: { readonly decrypted?: string } }[];
  readonly fresh: readonly FreshVector[];
  readonly negative: readonly NegativeVector[];
}

export function loadWechatVectors(): Vectors {
  return JSON.parse(readFileSync(VECTORS_URL, 'utf8')) as Vectors;
}
