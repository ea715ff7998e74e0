import { createDecipheriv } from 'node:crypto';
import {
  CryptoError,
  type PushAccount,
  type PushMode,
  buildSafeModeBody,
  computeSignature,
  createMessageCrypto,
  decodeAesKey,
  openPush,
  parseXml,
  toInboundMessage,
  verifyEcho,
} from '@wxq/wechat';
import { describe, expect, it } from 'vitest';
import { loadWechatVectors } from '@wxq/testing';
import { buildHandshake, buildPush, signPushQuery } from './build-push.js';
import { createMessage } from './messages.js';

// The shared vectors (docs/wechat-protocol.md §9), from the copy kept in @wxq/testing.
const vectors = loadWechatVectors();

const ACCOUNT = {
  appId: 'wx0123456789abcdef',
  token: 'proto-check-token',
  encodingAESKey: 'Zm9yLXRlc3Qtb25seS1wcm90by1jaGVjay1rZXktMDE',
};
const OPENER: PushAccount = {
  appId: ACCOUNT.appId,
  token: ACCOUNT.token,
  crypto: createMessageCrypto({ appId: ACCOUNT.appId, encodingAESKey: ACCOUNT.encodingAESKey }),
};
const MODES: readonly PushMode[] = ['plaintext', 'compatible', 'safe'];

function toInboundMessageOf(xml: string) {
  return toInboundMessage(parseXml(xml));
}

function open(push: { query: string; body: string }, timestamp: string) {
  return openPush(OPENER, Object.fromEntries(new URLSearchParams(push.query)), push.body, {
    nowSeconds: Number(timestamp),
    maxSkewSeconds: 0,
  });
}

/** An encrypted push says which key opened it: the current one (0) for these. */
function openedWith(mode: PushMode): { keyIndex?: 0 } {
  return mode === 'plaintext' ? {} : { keyIndex: 0 };
}

describe('buildPush, checked by @wxq/wechat’s openPush', () => {
  it.each(MODES)('%s mode gives back the same message', (mode) => {
    const message = createMessage.text('hello 世界 👋', { createTime: '1700000000' });
    const push = buildPush({ account: ACCOUNT, mode, message, timestamp: '1700000001' });
    expect(open(push, '1700000001')).toEqual({ mode, message, ...openedWith(mode) });
  });

  it.each(MODES)('%s mode carries the documented query parameters, in order (docs/wechat-protocol.md §2.2)', (mode) => {
    const message = createMessage.click('MENU_1');
    const push = buildPush({ account: ACCOUNT, mode, message, timestamp: '1700000000', nonce: '415670741' });
    const params = new URLSearchParams(push.query);
    const encrypted = mode === 'plaintext' ? [] : ['encrypt_type', 'msg_signature'];
    expect([...params.keys()]).toEqual(['signature', 'timestamp', 'nonce', 'openid', ...encrypted]);
    expect(params.get('signature')).toBe(computeSignature([ACCOUNT.token, '1700000000', '415670741']));
    expect(params.get('openid')).toBe(message.FromUserName);
    if (mode !== 'plaintext') expect(params.get('encrypt_type')).toBe('aes');
  });

  it('compatible mode sends the plain fields and Encrypt in one <xml>; safe mode only ToUserName and Encrypt', () => {
    const message = createMessage.text('hello');
    const compatible = parseXml(buildPush({ account: ACCOUNT, mode: 'compatible', message }).body);
    const safe = parseXml(buildPush({ account: ACCOUNT, mode: 'safe', message }).body);
    expect(Object.keys(compatible)).toEqual([...Object.keys(message), 'Encrypt']);
    expect(compatible).toMatchObject(message);
    expect(Object.keys(safe)).toEqual(['ToUserName', 'Encrypt']);
    expect(safe['ToUserName']).toBe(message.ToUserName);
  });

  it('every event and message type survives the safe mode', () => {
    const messages = [
      createMessage.image(),
      createMessage.subscribe({ scene: 'campaign42' }),
      createMessage.pic('pic_weixin', { picMd5Sums: ['a', 'b'] }),
      createMessage.locationSelect(),
      createMessage.scancode('scancode_waitmsg'),
    ];
    for (const message of messages) {
      const push = buildPush({ account: ACCOUNT, mode: 'safe', message, timestamp: '1700000000' });
      expect(open(push, '1700000000').message).toEqual(message);
    }
  });

  it('takes a raw XmlRecord too, e.g. an event this version does not type', () => {
    const record = {
      ToUserName: 'gh_0123456789ab',
      FromUserName: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY',
      CreateTime: '1700000000',
      MsgType: 'event',
      Event: 'user_info_modified',
    };
    const push = buildPush({ account: ACCOUNT, mode: 'safe', message: record, timestamp: '1700000000' });
    expect(open(push, '1700000000').message).toEqual(record);
  });

  it('uses a WeChat-like prefix by default: 16 lowercase hex characters (docs/wechat-protocol.md §3.2)', () => {
    const push = buildPush({ account: ACCOUNT, mode: 'safe', message: createMessage.text('x') });
    const key = decodeAesKey(ACCOUNT.encodingAESKey);
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    decipher.setAutoPadding(false);
    const encrypt = parseXml(push.body)['Encrypt'];
    if (typeof encrypt !== 'string') throw new Error('no Encrypt');
    const frame = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
    expect(frame.subarray(0, 16).toString('latin1')).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refuses an encrypted mode without a key, a malformed key, or a message without ToUserName', () => {
    const { encodingAESKey: _key, ...noKey } = ACCOUNT;
    expect(() => buildPush({ account: noKey, mode: 'safe', message: createMessage.text('x') })).toThrow(TypeError);
    expect(() =>
      buildPush({
        account: { ...ACCOUNT, encodingAESKey: 'short' },
        mode: 'compatible',
        message: createMessage.text('x'),
      }),
    ).toThrow(CryptoError);
    expect(() => buildPush({ account: ACCOUNT, mode: 'safe', message: { MsgType: 'text' } })).toThrow(TypeError);
    expect(buildPush({ account: noKey, mode: 'plaintext', message: createMessage.text('x') }).body).toContain(
      '<Content><![CDATA[x]]></Content>',
    );
  });
});

describe('buildPush against the shared vectors (docs/wechat-protocol.md §9.2)', () => {
  const safeText = vectors.fresh.find((v) => v.id === 'fresh-safe-text');

  it('reproduces fresh-safe-text byte for byte: query and indented body', () => {
    if (safeText?.query === undefined || safeText.post_body_safe_mode === undefined)
      throw new Error('vector fresh-safe-text is missing');
    const push = buildPush({
      account: { appId: safeText.appid, token: safeText.token, encodingAESKey: safeText.encodingAESKey },
      mode: 'safe',
      message: createMessage.text('hello queue', {
        openid: 'oABCD1234efgh5678ijkl9012mn',
        toUserName: 'gh_0123456789ab',
        createTime: '1700000000',
        msgId: '9223372036854775001',
      }),
      timestamp: safeText.timestamp,
      nonce: safeText.nonce,
      random: () => Buffer.from(safeText.random16_hex, 'hex'),
      layout: 'indented',
    });
    expect(push.query).toBe(safeText.query);
    expect(push.body).toBe(safeText.post_body_safe_mode);
  });

  it('the compact layout is @wxq/wechat’s buildSafeModeBody', () => {
    if (safeText === undefined) throw new Error('vector fresh-safe-text is missing');
    const push = buildPush({
      account: { appId: safeText.appid, token: safeText.token, encodingAESKey: safeText.encodingAESKey },
      mode: 'safe',
      message: parseXml(safeText.plaintext_xml),
      timestamp: safeText.timestamp,
      nonce: safeText.nonce,
      random: () => Buffer.from(safeText.random16_hex, 'hex'),
    });
    expect(push.body).toBe(buildSafeModeBody('gh_0123456789ab', safeText.encrypt_base64));
  });

  for (const vector of vectors.fresh) {
    const { query, post_body_safe_mode: body } = vector;
    if (query === undefined || body === undefined) continue;
    it(`reproduces ${vector.id} from its plaintext XML`, () => {
      const push = buildPush({
        account: { appId: vector.appid, token: vector.token, encodingAESKey: vector.encodingAESKey },
        mode: 'safe',
        message: parseXml(vector.plaintext_xml),
        timestamp: vector.timestamp,
        nonce: vector.nonce,
        random: () => Buffer.from(vector.random16_hex, 'hex'),
        layout: 'indented',
      });
      expect({ query: push.query, body: push.body }).toEqual({ query, body });
    });
  }
});

describe('buildPush of an XML string (a captured or deliberately odd body)', () => {
  const PRETTY =
    '<xml>\n  <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\n  <FromUserName><![CDATA[oStringUser00000000000000001]]></FromUserName>\n  <CreateTime>1700000000</CreateTime>\n  <MsgType><![CDATA[text]]></MsgType>\n  <Content><![CDATA[as captured]]></Content>\n  <MsgId>9223372036854775001</MsgId>\n</xml>';

  it.each(MODES)('%s mode opens to the same message, with openid read from the string', (mode) => {
    const push = buildPush({ account: ACCOUNT, mode, message: PRETTY, timestamp: '1700000001' });
    expect(open(push, '1700000001')).toEqual({ mode, message: toInboundMessageOf(PRETTY), ...openedWith(mode) });
    expect(new URLSearchParams(push.query).get('openid')).toBe('oStringUser00000000000000001');
  });

  it('sends a plaintext string byte for byte, even one that is not XML', () => {
    expect(buildPush({ account: ACCOUNT, mode: 'plaintext', message: PRETTY }).body).toBe(PRETTY);
    const odd = buildPush({
      account: ACCOUNT,
      mode: 'plaintext',
      message: '<xml><unclosed>',
      timestamp: '1700000000',
      nonce: '1',
    });
    expect(odd.body).toBe('<xml><unclosed>');
    expect(odd.query).toBe(
      `signature=${computeSignature([ACCOUNT.token, '1700000000', '1'])}&timestamp=1700000000&nonce=1`,
    );
  });

  it('seals the string itself and, in compatible mode, adds Encrypt before its closing tag', () => {
    const fixedRandom = () => Buffer.from('0123456789abcdef');
    const push = buildPush({ account: ACCOUNT, mode: 'compatible', message: PRETTY, random: fixedRandom });
    const crypto = createMessageCrypto({ appId: ACCOUNT.appId, encodingAESKey: ACCOUNT.encodingAESKey });
    const encrypt = parseXml(push.body)['Encrypt'];
    expect(typeof encrypt === 'string' ? crypto.decrypt(encrypt).message : undefined).toBe(PRETTY);
    expect(push.body.startsWith(PRETTY.slice(0, -'</xml>'.length))).toBe(true);
    expect(push.body.endsWith('</Encrypt></xml>')).toBe(true);
  });

  it('refuses to seal a string with no ToUserName, or a compatible one without </xml>', () => {
    expect(() => buildPush({ account: ACCOUNT, mode: 'safe', message: '<xml><Content>x</Content></xml>' })).toThrow(
      TypeError,
    );
    expect(() => buildPush({ account: ACCOUNT, mode: 'safe', message: 'not xml' })).toThrow(TypeError);
    expect(() =>
      buildPush({ account: ACCOUNT, mode: 'compatible', message: '<xml><ToUserName>gh_1</ToUserName>' }),
    ).toThrow(TypeError);
  });
});

describe('signPushQuery (docs/wechat-protocol.md §2.2)', () => {
  it('signs Token, timestamp and nonce; adds openid; for a ciphertext, encrypt_type and msg_signature', () => {
    const plain = new URLSearchParams(
      signPushQuery({ token: ACCOUNT.token, timestamp: '1700000000', nonce: '42', openid: 'oUser' }),
    );
    expect([...plain.entries()]).toEqual([
      ['signature', computeSignature([ACCOUNT.token, '1700000000', '42'])],
      ['timestamp', '1700000000'],
      ['nonce', '42'],
      ['openid', 'oUser'],
    ]);
    const sealed = new URLSearchParams(
      signPushQuery({ token: ACCOUNT.token, timestamp: '1700000000', nonce: '42', encrypt: 'any text at all' }),
    );
    expect([...sealed.keys()]).toEqual(['signature', 'timestamp', 'nonce', 'encrypt_type', 'msg_signature']);
    expect(sealed.get('msg_signature')).toBe(computeSignature([ACCOUNT.token, '1700000000', '42', 'any text at all']));
  });

  it('gives the same query buildPush puts on a push', () => {
    const message = createMessage.text('same query');
    const push = buildPush({ account: ACCOUNT, mode: 'plaintext', message, timestamp: '1700000000', nonce: '7' });
    expect(
      signPushQuery({ token: ACCOUNT.token, timestamp: '1700000000', nonce: '7', openid: message.FromUserName }),
    ).toBe(push.query);
  });
});

describe('buildHandshake (docs/wechat-protocol.md §1)', () => {
  it('reproduces the official GET example', () => {
    const vector = vectors.published.find((v) => v.inputs.id === 'official-doc-get-verify')?.inputs;
    if (vector?.kind !== 'url_signature') throw new Error('vector official-doc-get-verify is missing');
    const handshake = buildHandshake({
      token: vector.token,
      timestamp: vector.timestamp,
      nonce: vector.nonce,
      echostr: '4375120948345356249',
    });
    expect(handshake).toEqual({
      query: `signature=${vector.expect_signature}&timestamp=1714036504&nonce=1514711492&echostr=4375120948345356249`,
      echostr: '4375120948345356249',
    });
  });

  it('with defaults, passes @wxq/wechat’s verifyEcho', () => {
    const handshake = buildHandshake({ token: 'AAAAA' });
    expect(handshake.echostr).toMatch(/^\d+$/);
    expect(verifyEcho({ appId: 'wx', token: 'AAAAA' }, Object.fromEntries(new URLSearchParams(handshake.query)))).toBe(
      handshake.echostr,
    );
  });
});
