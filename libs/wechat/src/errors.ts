/**
 * Every way a push can fail to verify, decrypt or parse. Callers branch on `code`, never on the
 * message text; `wxCode` is the matching WXBizMsgCrypt error code (docs/wechat-protocol.md §3.6 of the reference).
 */
export const PROTOCOL_ERROR_CODES = {
  bad_signature: -40001,
  stale_timestamp: -40001,
  encryption_required: -40001,
  bad_xml: -40002,
  doctype_forbidden: -40002,
  invalid_utf8: -40002,
  structure_too_deep: -40002,
  too_many_attributes: -40002,
  too_many_elements: -40002,
  missing_field: -40002,
  bad_field: -40002,
  bad_aes_key: -40004,
  appid_mismatch: -40005,
  bad_base64: -40010,
  bad_ciphertext_length: -40007,
  bad_padding: -40008,
  bad_length: -40008,
} as const satisfies Record<string, number>;

export type ProtocolErrorCode = keyof typeof PROTOCOL_ERROR_CODES;

export class WechatProtocolError extends Error {
  override name = 'WechatProtocolError' as string;
  readonly code: ProtocolErrorCode;
  readonly wxCode: number;

  constructor(code: ProtocolErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.wxCode = PROTOCOL_ERROR_CODES[code];
  }
}

/** The push is not provably from WeChat now: bad signature, stale timestamp, or a refused plaintext. */
export class SignatureError extends WechatProtocolError {
  override name = 'SignatureError' as const;
  constructor(
    code: Extract<ProtocolErrorCode, 'bad_signature' | 'stale_timestamp' | 'encryption_required'> = 'bad_signature',
    message = 'signature mismatch',
  ) {
    super(code, message);
  }
}

/** A protocol error that takes only the codes `C`; its subclasses name which. */
abstract class NarrowedProtocolError<C extends ProtocolErrorCode> extends WechatProtocolError {
  // eslint-disable-next-line @typescript-eslint/no-useless-constructor -- narrows the accepted codes
  constructor(code: C, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** The AES key, the ciphertext or the decrypted frame is not what WXBizMsgCrypt produces. */
export class CryptoError extends NarrowedProtocolError<
  | 'bad_aes_key'
  | 'bad_base64'
  | 'bad_ciphertext_length'
  | 'bad_padding'
  | 'bad_length'
  | 'appid_mismatch'
  | 'invalid_utf8'
> {
  override name = 'CryptoError' as const;
}

/** The body is not XML we accept: malformed, DOCTYPE, not UTF-8, or a structure bomb. */
export class XmlError extends NarrowedProtocolError<
  'bad_xml' | 'doctype_forbidden' | 'invalid_utf8' | 'structure_too_deep' | 'too_many_attributes' | 'too_many_elements'
> {
  override name = 'XmlError' as const;
}

/** Well-formed XML that is not a WeChat push: a required field missing or malformed. */
export class MessageError extends WechatProtocolError {
  override name = 'MessageError' as const;
  readonly field: string;
  constructor(code: 'missing_field' | 'bad_field', field: string, message: string) {
    super(code, message);
    this.field = field;
  }
}
