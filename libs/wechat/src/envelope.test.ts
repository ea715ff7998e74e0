import { describe, expect, it } from 'vitest';
import { buildEncryptedEnvelope, buildSafeModeBody, sealMessage } from './envelope.js';
import { createMessageCrypto } from './message-crypto.js';
import { loadWechatVectors as loadVectors } from '@wxq/testing';
import { parseXml } from './xml.js';

const vectors = loadVectors();

describe('encrypted reply envelope', () => {
  const reply = vectors.fresh.find((v) => v.id === 'fresh-reply-text');
  it('fresh-reply-text: sealed and built byte for byte', () => {
    if (reply?.reply_envelope === undefined) throw new Error('vector fresh-reply-text is missing');
    const crypto = createMessageCrypto({
      appId: reply.appid,
      encodingAESKey: reply.encodingAESKey,
      randomPrefix: () => Buffer.from(reply.random16_hex, 'hex'),
    });
    const sealed = sealMessage(crypto, reply, reply.plaintext_xml);
    expect(sealed).toEqual({
      Encrypt: reply.encrypt_base64,
      MsgSignature: reply.msg_signature,
      TimeStamp: reply.timestamp,
      Nonce: reply.nonce,
    });
    expect(buildEncryptedEnvelope(sealed)).toBe(reply.reply_envelope);
  });

  for (const { inputs: v } of vectors.published) {
    if (v.kind !== 'encrypt_reply' || v.expect_msg_signature === undefined) continue;
    const { token, timestamp, nonce } = v;
    if (token === undefined || timestamp === undefined || nonce === undefined) continue;
    it(`${v.id}: Encrypt and MsgSignature byte for byte`, () => {
      const crypto = createMessageCrypto({
        appId: v.appid,
        encodingAESKey: v.encodingAESKey,
        randomPrefix: () => Buffer.from(v.random16_ascii, 'latin1'),
      });
      const sealed = sealMessage(crypto, { token, timestamp, nonce }, v.message);
      expect(sealed.Encrypt).toBe(v.expect_encrypt);
      expect(sealed.MsgSignature).toBe(v.expect_msg_signature);
    });
  }
});

describe('safe-mode body', () => {
  it('parses back to its two fields', () => {
    expect(parseXml(buildSafeModeBody('gh_0123456789ab', 'abc+/=='))).toEqual({
      ToUserName: 'gh_0123456789ab',
      Encrypt: 'abc+/==',
    });
  });
});
