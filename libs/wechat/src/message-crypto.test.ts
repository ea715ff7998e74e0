import { createCipheriv, createDecipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CryptoError, WechatProtocolError } from './errors.js';
import { createMessageCrypto, decodeAesKey } from './message-crypto.js';
import { verifyMsgSignature } from './signature.js';
import { loadWechatVectors as loadVectors } from '@wxq/testing';

const vectors = loadVectors();
const fixedPrefix = (bytes: Buffer) => () => bytes;

describe('published vectors', () => {
  for (const { inputs: v, result } of vectors.published) {
    if (v.kind === 'decrypt') {
      it(`${v.id}: decrypts, trailer is the appid`, () => {
        const crypto = createMessageCrypto({ appId: v.appid, encodingAESKey: v.encodingAESKey });
        expect(crypto.decrypt(v.encrypt)).toEqual({ message: result.decrypted, keyIndex: 0 });
      });
    } else if (v.kind === 'encrypt' || v.kind === 'encrypt_reply') {
      it(`${v.id}: encrypts byte for byte`, () => {
        const crypto = createMessageCrypto({
          appId: v.appid,
          encodingAESKey: v.encodingAESKey,
          randomPrefix: fixedPrefix(Buffer.from(v.random16_ascii, 'latin1')),
        });
        expect(crypto.encrypt(v.message)).toBe(v.expect_encrypt);
      });
    }
  }
});

describe('fresh vectors', () => {
  for (const v of vectors.fresh) {
    it(`${v.id}: encrypt and decrypt byte for byte (pad ${v.pad_byte})`, () => {
      const crypto = createMessageCrypto({
        appId: v.appid,
        encodingAESKey: v.encodingAESKey,
        randomPrefix: fixedPrefix(Buffer.from(v.random16_hex, 'hex')),
      });
      expect(crypto.encrypt(v.plaintext_xml)).toBe(v.encrypt_base64);
      expect(crypto.decrypt(v.encrypt_base64).message).toBe(v.plaintext_xml);
      expect(Buffer.byteLength(v.plaintext_xml)).toBe(v.plaintext_utf8_len);
      // The frame itself (random prefix, length, message, appid, padding) is the vector's.
      expect(decryptRaw(v.encodingAESKey, v.encrypt_base64).toString('hex')).toBe(v.padded_plaintext_hex);
    });
  }
});

describe('negative vectors', () => {
  const expected: Record<string, string> = {
    'neg-appid-mismatch': 'appid_mismatch',
    'neg-pad-zero': 'bad_padding',
    'neg-pad-33': 'bad_padding',
  };
  for (const v of vectors.negative) {
    it(`${v.id}: rejected with ${v.strict_decoder_error}`, () => {
      const signed = verifyMsgSignature({ ...v, encrypt: v.encrypt_base64, msgSignature: v.msg_signature });
      if (v.strict_decoder_error === -40001) {
        expect(signed).toBe(false);
        return;
      }
      expect(signed).toBe(true);
      const crypto = createMessageCrypto({ appId: v.appid, encodingAESKey: v.encodingAESKey });
      const error = captureError(() => crypto.decrypt(v.encrypt_base64));
      expect(error).toBeInstanceOf(CryptoError);
      expect(error).toMatchObject({ code: expected[v.id], wxCode: v.strict_decoder_error });
    });
  }
});

const KEY = 'Zm9yLXRlc3Qtb25seS1wcm90by1jaGVjay1rZXktMDE';
const APPID = 'wx0123456789abcdef';
const account = createMessageCrypto({ appId: APPID, encodingAESKey: KEY });

describe('decrypt rejects, with a typed reason', () => {
  const cases: [string, string, string][] = [
    ['not base64', 'not*base64!', 'bad_base64'],
    ['base64 without padding', 'YWJj', 'bad_ciphertext_length'],
    ['base64 missing its padding', 'YWJjZA', 'bad_base64'],
    ['url-safe base64', '-_-_', 'bad_base64'],
    ['empty', '', 'bad_ciphertext_length'],
    ['16 bytes (one AES block, not a WeChat block)', Buffer.alloc(16).toString('base64'), 'bad_ciphertext_length'],
  ];
  for (const [name, input, code] of cases) {
    it(name, () => {
      expect(captureError(() => account.decrypt(input))).toMatchObject({ name: 'CryptoError', code });
    });
  }

  const header = (length: number) => Buffer.concat([Buffer.alloc(16, 7), uint32(length)]);

  it('a length field pointing past the frame', () => {
    const frame = padded(Buffer.concat([header(256), Buffer.from(APPID)]));
    expect(captureError(() => account.decrypt(encryptRaw(frame)))).toMatchObject({
      code: 'bad_length',
      wxCode: -40008,
    });
  });

  it('a frame shorter than its header', () => {
    const frame = Buffer.concat([Buffer.alloc(8), Buffer.alloc(24, 24)]);
    expect(captureError(() => account.decrypt(encryptRaw(frame)))).toMatchObject({ code: 'bad_length' });
  });

  it('padding bytes that disagree with the pad length', () => {
    const frame = padded(Buffer.concat([header(2), Buffer.from('ok'), Buffer.from(APPID)]));
    frame[frame.length - 2] = 0xff;
    expect(captureError(() => account.decrypt(encryptRaw(frame)))).toMatchObject({ code: 'bad_padding' });
  });

  it('a message that is not UTF-8', () => {
    const frame = padded(Buffer.concat([header(2), Buffer.from([0xc3, 0x28]), Buffer.from(APPID)]));
    expect(captureError(() => account.decrypt(encryptRaw(frame)))).toMatchObject({ code: 'invalid_utf8' });
  });

  it('a well-formed frame built by hand decrypts (the forging helpers are right)', () => {
    const frame = padded(Buffer.concat([header(2), Buffer.from('ok'), Buffer.from(APPID)]));
    expect(account.decrypt(encryptRaw(frame)).message).toBe('ok');
  });

  it('a ciphertext made with another key', () => {
    const other = createMessageCrypto({ appId: APPID, encodingAESKey: 'A'.repeat(43) });
    expect(captureError(() => account.decrypt(other.encrypt('<xml/>')))).toBeInstanceOf(CryptoError);
  });
});

describe('EncodingAESKey', () => {
  it('accepts the sample key whose last character has non-zero unused bits (docs/wechat-protocol.md §3.1)', () => {
    expect(decodeAesKey('abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')).toHaveLength(32);
  });
  for (const bad of ['A'.repeat(42), 'A'.repeat(44), `${'A'.repeat(42)}=`, `${'A'.repeat(42)}+`, '']) {
    it(`rejects ${JSON.stringify(bad.slice(-3))} of length ${bad.length}`, () => {
      expect(captureError(() => decodeAesKey(bad))).toMatchObject({ code: 'bad_aes_key', wxCode: -40004 });
    });
  }
});

describe('key rotation (docs/wechat-protocol.md §3.7)', () => {
  const previous = 'A'.repeat(43);
  it('opens messages sealed with the previous key and says which key did', () => {
    const rotated = createMessageCrypto({ appId: APPID, encodingAESKey: KEY, previousEncodingAESKey: previous });
    const old = createMessageCrypto({ appId: APPID, encodingAESKey: previous });
    expect(rotated.decrypt(old.encrypt('<xml>old</xml>'))).toEqual({ message: '<xml>old</xml>', keyIndex: 1 });
    expect(rotated.decrypt(account.encrypt('<xml>new</xml>'))).toEqual({ message: '<xml>new</xml>', keyIndex: 0 });
  });
  it('seals with the key it is told, the current one by default, and has no key 1 without a previous key', () => {
    const rotated = createMessageCrypto({ appId: APPID, encodingAESKey: KEY, previousEncodingAESKey: previous });
    const old = createMessageCrypto({ appId: APPID, encodingAESKey: previous });
    expect(old.decrypt(rotated.encrypt('<xml>reply</xml>', 1)).message).toBe('<xml>reply</xml>');
    expect(captureError(() => account.decrypt(rotated.encrypt('<xml>reply</xml>', 1)))).toBeInstanceOf(CryptoError);
    expect(account.decrypt(rotated.encrypt('<xml>reply</xml>')).message).toBe('<xml>reply</xml>');
    expect(account.decrypt(rotated.encrypt('<xml>reply</xml>', 0)).message).toBe('<xml>reply</xml>');
    expect(() => account.encrypt('<xml/>', 1)).toThrow(RangeError);
  });
  it('reports the current key’s error when neither key fits', () => {
    const rotated = createMessageCrypto({
      appId: 'wxffffffffffffffff',
      encodingAESKey: KEY,
      previousEncodingAESKey: previous,
    });
    expect(captureError(() => rotated.decrypt(account.encrypt('<xml/>')))).toMatchObject({ code: 'appid_mismatch' });
  });
});

describe('properties', () => {
  it('encrypt then decrypt gives back any UTF-8 text (emoji, CJK, empty)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        expect(account.decrypt(account.encrypt(text)).message).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('the ciphertext is always whole 32-byte blocks', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (text) => {
        const bytes = Buffer.from(account.encrypt(text), 'base64');
        expect(bytes.length % 32).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('random and mutated ciphertexts only ever yield CryptoError', () => {
    const valid = account.encrypt('<xml><Content><![CDATA[你好 👋]]></Content></xml>');
    const mutated = fc
      .tuple(
        fc.nat({ max: valid.length - 1 }),
        fc.constantFrom('A', 'B', 'C', 'a', 'b', 'c', '0', '1', '2', '+', '/', '='),
        fc.constantFrom('flip', 'insert', 'delete', 'truncate'),
      )
      .map(([at, char, how]) => {
        if (how === 'flip') return valid.slice(0, at) + char + valid.slice(at + 1);
        if (how === 'insert') return valid.slice(0, at) + char + valid.slice(at);
        if (how === 'delete') return valid.slice(0, at) + valid.slice(at + 1);
        return valid.slice(0, at);
      });
    const anyInput = fc.oneof(
      mutated,
      fc.string(),
      fc.base64String(),
      fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b).toString('base64')),
    );
    fc.assert(
      fc.property(anyInput, (input) => {
        try {
          account.decrypt(input);
        } catch (error) {
          expect(error).toBeInstanceOf(CryptoError);
          expect(error).toBeInstanceOf(WechatProtocolError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

function captureError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

function padded(body: Buffer): Buffer {
  const pad = 32 - (body.length % 32);
  return Buffer.concat([body, Buffer.alloc(pad, pad)]);
}

// Raw AES with the test key, to forge frames the encrypter would never build, and to read frames.
function encryptRaw(frame: Buffer): string {
  const key = decodeAesKey(KEY);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(frame), cipher.final()]).toString('base64');
}

function decryptRaw(encodingAESKey: string, encrypt: string): Buffer {
  const key = decodeAesKey(encodingAESKey);
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
}
