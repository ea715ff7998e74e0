// The shared WeChat crypto vectors (reference §9), narrowed to the fields the gateway tests send.
import { loadWechatVectors } from '@wxq/testing';

/** A `fresh` entry: a push as WeChat would send it in safe mode, signed for its 2023 timestamp. */
export interface FreshPushVector {
  readonly id: string;
  readonly token: string;
  readonly encodingAESKey: string;
  readonly appid: string;
  readonly timestamp: string;
  readonly nonce: string;
  /** The callback query string: signature, timestamp, nonce, openid, encrypt_type=aes, msg_signature. */
  readonly query: string;
  readonly postBodySafeMode: string;
  readonly plaintextXml: string;
  readonly encryptBase64: string;
}

/** A `negative` entry: a signed ciphertext a strict decoder must refuse. */
export interface NegativeVector {
  readonly id: string;
  readonly token: string;
  readonly encodingAESKey: string;
  readonly appid: string;
  readonly timestamp: string;
  readonly nonce: string;
  readonly encryptBase64: string;
  readonly msgSignature: string;
}

export function freshPushVectors(): readonly FreshPushVector[] {
  // The reply vector has no push to send.
  return loadWechatVectors().fresh.flatMap((v) =>
    v.query === undefined || v.post_body_safe_mode === undefined
      ? []
      : [
          {
            id: v.id,
            token: v.token,
            encodingAESKey: v.encodingAESKey,
            appid: v.appid,
            timestamp: v.timestamp,
            nonce: v.nonce,
            query: v.query,
            postBodySafeMode: v.post_body_safe_mode,
            plaintextXml: v.plaintext_xml,
            encryptBase64: v.encrypt_base64,
          },
        ],
  );
}

export function negativeVector(id: string): NegativeVector {
  const found = loadWechatVectors().negative.find((vector) => vector.id === id);
  if (found === undefined) throw new Error(`no negative vector ${id}`);
  const { token, encodingAESKey, appid, timestamp, nonce } = found;
  return { id, token, encodingAESKey, appid, timestamp, nonce, encryptBase64: found.encrypt_base64, msgSignature: found.msg_signature };
}
