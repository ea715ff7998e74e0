import { type PushAccount, createMessageCrypto, openPush, parseXml, verifyEcho, verifyMsgSignature } from '@wxq/wechat';
import { describe, expect, it } from 'vitest';
import { signEncryptedPush, signEncryptedQuery, signHandshake, signPlaintextPush } from './push-signing.js';

const ACCOUNT = {
  appId: 'wx0123456789abcdef',
  token: 'signingTestToken42',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
};
const OPENER: PushAccount = { appId: ACCOUNT.appId, token: ACCOUNT.token, crypto: createMessageCrypto(ACCOUNT) };
const XML =
  '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oSigningUser000000000000001]]></FromUserName>' +
  '<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[signed]]></Content><MsgId>7300000000000000001</MsgId></xml>';
const NOW = { nowSeconds: 1_700_000_000, maxSkewSeconds: 0 };

function query(text: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(text));
}

describe('signed pushes for gateway tests', () => {
  it('signs any plaintext body, bytes that are not UTF-8 included', () => {
    const push = signPlaintextPush(XML, {
      account: ACCOUNT,
      timestamp: '1700000000',
      openid: 'oSigningUser000000000000001',
    });
    expect(openPush(OPENER, query(push.query), push.body, NOW)).toMatchObject({
      mode: 'plaintext',
      message: { Content: 'signed' },
    });
    const bytes = Buffer.from([0x3c, 0xff, 0xfe]);
    const odd = signPlaintextPush(bytes, { account: ACCOUNT, timestamp: '1700000000' });
    expect(odd.body).toBe(bytes);
    // The signature holds; only the body is bad, which is what such a test is after.
    expect(() => openPush(OPENER, query(odd.query), odd.body, NOW)).toThrow(
      expect.objectContaining({ code: expect.stringMatching(/xml|utf8/) as unknown }),
    );
  });

  it.each(['safe', 'compatible'] as const)('seals %s-mode pushes that the gateway side opens', (mode) => {
    const push = signEncryptedPush(XML, mode, { account: ACCOUNT, timestamp: '1700000000' });
    expect(openPush(OPENER, query(push.query), push.body, NOW)).toMatchObject({
      mode,
      message: { Content: 'signed', MsgId: '7300000000000000001' },
    });
  });

  it('puts the sealed message inside a forged compatible-mode outer body', () => {
    const forgedOuter = XML.replace('<![CDATA[signed]]>', '<![CDATA[forged outside]]>');
    const push = signEncryptedPush(XML, 'compatible', {
      account: ACCOUNT,
      timestamp: '1700000000',
      outerXml: forgedOuter,
    });
    const outer = parseXml(push.body);
    expect(outer['Content']).toBe('forged outside');
    // What counts is the sealed inner message, never the outer fields.
    expect(openPush(OPENER, query(push.query), push.body, NOW)).toMatchObject({
      mode: 'compatible',
      message: { Content: 'signed' },
    });
    expect(() => signEncryptedPush(XML, 'safe', { account: ACCOUNT, outerXml: forgedOuter })).toThrow(TypeError);
  });

  it('signs a msg_signature over any Encrypt text', () => {
    const signed = query(
      signEncryptedQuery('not even base64', { account: ACCOUNT, timestamp: '1700000000', nonce: '99' }),
    );
    expect(signed).toMatchObject({ encrypt_type: 'aes', timestamp: '1700000000', nonce: '99' });
    expect(
      verifyMsgSignature({
        token: ACCOUNT.token,
        timestamp: '1700000000',
        nonce: '99',
        encrypt: 'not even base64',
        msgSignature: signed['msg_signature'] ?? '',
      }),
    ).toBe(true);
  });

  it('signs a handshake the gateway side answers with the echostr', () => {
    const signed = query(signHandshake('echo-4375120948345356249', { account: ACCOUNT, timestamp: '1700000000' }));
    expect(signed['echostr']).toBe('echo-4375120948345356249');
    expect(verifyEcho(OPENER, signed)).toBe('echo-4375120948345356249');
  });
});
