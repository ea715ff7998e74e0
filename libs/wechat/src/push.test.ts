import { describe, expect, it } from 'vitest';
import { createMessageCrypto } from './message-crypto.js';
import { type PushAccount, type PushQuery, openPush, verifyEcho } from './push.js';
import { computeSignature } from './signature.js';
import { loadWechatVectors as loadVectors } from '@wxq/testing';

const vectors = loadVectors();
const safeText = vectors.fresh.find((v) => v.id === 'fresh-safe-text');
if (safeText?.query === undefined || safeText.post_body_safe_mode === undefined)
  throw new Error('vector fresh-safe-text is missing');
const v = safeText;
const query: PushQuery = Object.fromEntries(new URLSearchParams(v.query));
const account: PushAccount = {
  appId: v.appid,
  token: v.token,
  crypto: createMessageCrypto({ appId: v.appid, encodingAESKey: v.encodingAESKey }),
};
const at = (seconds: string) => ({ nowSeconds: Number(seconds), maxSkewSeconds: 300 });
const clock = at(v.timestamp);
const expectedMessage = {
  ToUserName: 'gh_0123456789ab',
  FromUserName: 'oABCD1234efgh5678ijkl9012mn',
  CreateTime: '1700000000',
  MsgType: 'text',
  Content: 'hello queue',
  MsgId: '9223372036854775001',
};

function plainQuery(token: string, timestamp: string, nonce: string): PushQuery {
  return { signature: computeSignature([token, timestamp, nonce]), timestamp, nonce };
}

function captureError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('openPush in the three modes', () => {
  for (const fresh of vectors.fresh) {
    const { query: freshQuery, post_body_safe_mode: body } = fresh;
    if (freshQuery === undefined || body === undefined) continue;
    it(`${fresh.id}: safe mode, exactly as the vector's query and body`, () => {
      const a = {
        appId: fresh.appid,
        token: fresh.token,
        crypto: createMessageCrypto({ appId: fresh.appid, encodingAESKey: fresh.encodingAESKey }),
      };
      const opened = openPush(
        a,
        Object.fromEntries(new URLSearchParams(freshQuery)),
        Buffer.from(body),
        at(fresh.timestamp),
      );
      expect(opened.mode).toBe('safe');
      expect(opened.message.FromUserName).toBe('oABCD1234efgh5678ijkl9012mn');
    });
  }

  it('safe mode yields the typed message, MsgId intact', () => {
    expect(openPush(account, query, v.post_body_safe_mode ?? '', clock)).toEqual({
      mode: 'safe',
      message: expectedMessage,
      keyIndex: 0,
    });
  });

  it('says which key opened an encrypted push: the previous one during a rotation (§3.7)', () => {
    const rotated: PushAccount = {
      ...account,
      crypto: createMessageCrypto({
        appId: v.appid,
        encodingAESKey: 'ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut',
        previousEncodingAESKey: v.encodingAESKey,
      }),
    };
    expect(openPush(rotated, query, v.post_body_safe_mode ?? '', clock)).toMatchObject({ mode: 'safe', keyIndex: 1 });
    expect(openPush(account, plainQuery(v.token, v.timestamp, v.nonce), v.plaintext_xml, clock)).not.toHaveProperty(
      'keyIndex',
    );
  });

  it('compatible mode uses only the decrypted copy', () => {
    const forgedPlainFields = v.plaintext_xml.replace('hello queue', 'forged').replace('</xml>', '');
    const body = `${forgedPlainFields}<Encrypt><![CDATA[${v.encrypt_base64}]]></Encrypt></xml>`;
    expect(openPush(account, query, body, clock)).toEqual({
      mode: 'compatible',
      message: expectedMessage,
      keyIndex: 0,
    });
  });

  it('plaintext mode checks `signature`', () => {
    expect(openPush(account, plainQuery(v.token, v.timestamp, v.nonce), v.plaintext_xml, clock)).toEqual({
      mode: 'plaintext',
      message: expectedMessage,
    });
  });

  it('plaintext is accepted with an AES key configured, unless the account requires encryption', () => {
    const strict = { ...account, requireEncryption: true };
    expect(
      captureError(() => openPush(strict, plainQuery(v.token, v.timestamp, v.nonce), v.plaintext_xml, clock)),
    ).toMatchObject({
      name: 'SignatureError',
      code: 'encryption_required',
    });
    expect(openPush(strict, query, v.post_body_safe_mode ?? '', clock).mode).toBe('safe');
  });
});

describe('openPush rejects', () => {
  const safeBody = v.post_body_safe_mode ?? '';
  const cases: [string, () => unknown, string][] = [
    [
      'a wrong msg_signature',
      () => openPush(account, { ...query, msg_signature: '0'.repeat(40) }, safeBody, clock),
      'bad_signature',
    ],
    [
      'a missing msg_signature (the URL signature does not cover the body)',
      () => openPush(account, { ...query, msg_signature: undefined }, safeBody, clock),
      'bad_signature',
    ],
    [
      'a repeated parameter',
      () => openPush(account, { ...query, msg_signature: [v.msg_signature, v.msg_signature] }, safeBody, clock),
      'bad_signature',
    ],
    [
      'a wrong plaintext signature',
      () => openPush(account, { ...plainQuery(v.token, v.timestamp, v.nonce), signature: 'x' }, v.plaintext_xml, clock),
      'bad_signature',
    ],
    [
      'a plaintext push without signature',
      () => openPush(account, { timestamp: v.timestamp, nonce: v.nonce }, v.plaintext_xml, clock),
      'bad_signature',
    ],
    ['an encrypted push without <Encrypt>', () => openPush(account, query, v.plaintext_xml, clock), 'bad_base64'],
    [
      'an encrypted push to an account without a key',
      () => openPush({ appId: v.appid, token: v.token }, query, safeBody, clock),
      'bad_aes_key',
    ],
    [
      'a timestamp older than the window',
      () => openPush(account, query, safeBody, at(String(Number(v.timestamp) + 301))),
      'stale_timestamp',
    ],
    [
      'a timestamp ahead of the window',
      () => openPush(account, query, safeBody, at(String(Number(v.timestamp) - 301))),
      'stale_timestamp',
    ],
  ];
  for (const [name, run, code] of cases) {
    it(name, () => {
      expect(captureError(run)).toMatchObject({ code });
    });
  }

  it('accepts any timestamp when the window is 0', () => {
    expect(openPush(account, query, safeBody, { nowSeconds: 0, maxSkewSeconds: 0 }).mode).toBe('safe');
  });

  it('a non-numeric timestamp is outside any window', () => {
    const q = plainQuery(v.token, 'soon', v.nonce);
    expect(captureError(() => openPush(account, q, v.plaintext_xml, clock))).toMatchObject({ code: 'stale_timestamp' });
  });

  it('an envelope whose ciphertext is for another appid', () => {
    const negative = vectors.negative.find((n) => n.id === 'neg-appid-mismatch');
    if (negative === undefined) throw new Error('vector neg-appid-mismatch is missing');
    const q = {
      signature: computeSignature([negative.token, negative.timestamp, negative.nonce]),
      timestamp: negative.timestamp,
      nonce: negative.nonce,
      encrypt_type: 'aes',
      msg_signature: negative.msg_signature,
    };
    const body = `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><Encrypt><![CDATA[${negative.encrypt_base64}]]></Encrypt></xml>`;
    expect(captureError(() => openPush(account, q, body, at(negative.timestamp)))).toMatchObject({
      code: 'appid_mismatch',
      wxCode: -40005,
    });
  });
});

describe('verifyEcho (GET handshake, docs/wechat-protocol.md §1)', () => {
  const official = { token: 'AAAAA', timestamp: '1714036504', nonce: '1514711492' };
  const echoQuery = {
    signature: 'f464b24fc39322e44b38aa78f5edd27bd1441696',
    timestamp: official.timestamp,
    nonce: official.nonce,
    echostr: '4375120948345356249',
  };
  const echoAccount = { appId: 'wxba5fad812f8e6fb9', token: official.token };

  it('returns echostr byte for byte for the official example', () => {
    expect(verifyEcho(echoAccount, echoQuery)).toBe('4375120948345356249');
  });
  it('rejects a bad signature and a missing echostr', () => {
    expect(captureError(() => verifyEcho(echoAccount, { ...echoQuery, signature: 'f'.repeat(40) }))).toMatchObject({
      code: 'bad_signature',
    });
    expect(captureError(() => verifyEcho(echoAccount, { ...echoQuery, echostr: undefined }))).toMatchObject({
      code: 'bad_signature',
    });
  });
});
