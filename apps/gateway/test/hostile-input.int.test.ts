import { signEncryptedQuery, signPlaintextPush } from '@wxq/testing';
import { createMessageCrypto } from '@wxq/wechat';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type TestGateway, useGateway } from './helpers/harness.js';
import { sendChunked } from './helpers/http.js';
import { AES_KEY, APP_ID, DEFAULT_ACCOUNT, safeModeBody, textXml } from './helpers/pushes.js';
import { negativeVector } from './helpers/vectors.js';

const MIB = 1024 * 1024;

/** After any refusal: nothing enqueued, and the process still answers. */
function expectNothingBroke(gateway: TestGateway): void {
  onTestFinished(async () => {
    expect(await gateway.jobCount()).toBe(0);
    expect((await gateway.send('/healthz')).status).toBe(200);
  });
}

const header =
  '<ToUserName>gh_0123456789ab</ToUserName><FromUserName>oUser</FromUserName><CreateTime>1700000000</CreateTime>';
const billionLaughs =
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
  Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') +
  `]><xml>${header}<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>`;

const HOSTILE_BODIES: readonly (readonly [name: string, code: string, body: string | Buffer])[] = [
  ['a DOCTYPE', 'doctype_forbidden', `<!DOCTYPE xml [<!ELEMENT xml ANY>]><xml>${header}<MsgType>text</MsgType></xml>`],
  ['billion laughs', 'doctype_forbidden', billionLaughs],
  [
    'an external entity',
    'doctype_forbidden',
    `<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml>${header}<Content>&xxe;</Content></xml>`,
  ],
  [
    'invalid UTF-8',
    'invalid_utf8',
    Buffer.concat([
      Buffer.from(`<xml>${header}<MsgType>text</MsgType><Content>`),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from('</Content></xml>'),
    ]),
  ],
  ['deep nesting', 'structure_too_deep', `<xml>${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}</xml>`],
  [
    'thousands of attributes',
    'too_many_attributes',
    `<xml><ToUserName ${Array.from({ length: 5_000 }, (_, i) => `a${i}="1"`).join(' ')}>x</ToUserName></xml>`,
  ],
  ['too many elements', 'too_many_elements', `<xml>${'<MsgType>text</MsgType>'.repeat(20_000)}</xml>`],
  ['unbalanced tags', 'bad_xml', `<xml>${header}<MsgType>text</Content></xml>`],
  ['an empty body', 'bad_xml', ''],
  ['JSON', 'bad_xml', JSON.stringify({ ToUserName: 'gh_0123456789ab', MsgType: 'text', Content: 'hi' })],
  ['missing ToUserName', 'missing_field', textXml().replace(/<ToUserName>.*?<\/ToUserName>/, '')],
  ['missing FromUserName', 'missing_field', textXml().replace(/<FromUserName>.*?<\/FromUserName>/, '')],
  ['missing CreateTime', 'missing_field', textXml().replace(/<CreateTime>.*?<\/CreateTime>/, '')],
  ['missing MsgType', 'missing_field', textXml().replace(/<MsgType>.*?<\/MsgType>/, '')],
];

describe('hostile and malformed bodies, correctly signed', () => {
  it.each(HOSTILE_BODIES)('%s: 400 %s, nothing enqueued', async (_name, code, body) => {
    const gateway = await useGateway();
    expectNothingBroke(gateway);
    expect(await gateway.push(signPlaintextPush(body, { account: DEFAULT_ACCOUNT }))).toMatchObject({
      status: 400,
      body: code,
    });
  });

  it('400 for the same bodies inside a correctly signed ciphertext', async () => {
    const gateway = await useGateway();
    expectNothingBroke(gateway);
    // Sealed here: signEncryptedPush reads ToUserName from the message, and most of these have none to read.
    const crypto = createMessageCrypto({ appId: APP_ID, encodingAESKey: AES_KEY });
    for (const [name, code, body] of HOSTILE_BODIES) {
      if (typeof body !== 'string' || body === '') continue;
      const encrypt = crypto.encrypt(body);
      const push = { query: signEncryptedQuery(encrypt, { account: DEFAULT_ACCOUNT }), body: safeModeBody(encrypt) };
      expect(await gateway.push(push), name).toMatchObject({ status: 400, body: code });
    }
  });
});

describe('ciphertexts that do not open', () => {
  it.each([
    ['neg-appid-mismatch', 'appid_mismatch'],
    ['neg-pad-zero', 'bad_padding'],
    ['neg-pad-33', 'bad_padding'],
  ])('the shared vector %s: 400 %s', async (id, code) => {
    const vector = negativeVector(id);
    const gateway = await useGateway({
      now: () => Number(vector.timestamp) * 1000,
      accounts: [
        { appId: vector.appid, token: vector.token, encodingAESKey: vector.encodingAESKey, requireEncryption: false },
      ],
    });
    expectNothingBroke(gateway);
    const query = new URLSearchParams({
      timestamp: vector.timestamp,
      nonce: vector.nonce,
      encrypt_type: 'aes',
      msg_signature: vector.msg_signature,
    });
    const answer = await gateway.push({ query: query.toString(), body: safeModeBody(vector.encrypt_base64) });
    expect(answer).toMatchObject({ status: 400, body: code });
  });

  it('a signed Encrypt that is not base64 or not whole blocks: 400', async () => {
    const gateway = await useGateway();
    expectNothingBroke(gateway);
    for (const encrypt of ['not base64 at all!', 'AAAA', Buffer.alloc(48, 1).toString('base64')]) {
      const answer = await gateway.push({
        query: signEncryptedQuery(encrypt, { account: DEFAULT_ACCOUNT }),
        body: safeModeBody(encrypt),
      });
      expect(answer.status, encrypt).toBe(400);
    }
  });

  it('a safe-mode body without Encrypt: 400', async () => {
    const gateway = await useGateway();
    expectNothingBroke(gateway);
    expect(
      (await gateway.push({ query: signEncryptedQuery('x', { account: DEFAULT_ACCOUNT }), body: textXml() })).status,
    ).toBe(400);
  });
});

describe('refused before reading', () => {
  it('a bad signature: 401', async () => {
    const gateway = await useGateway();
    expectNothingBroke(gateway);
    const push = signPlaintextPush(textXml(), { account: { appId: 'wx1234567890abcdef', token: 'someoneElsesToken' } });
    expect(await gateway.push(push)).toMatchObject({ status: 401, body: 'bad_signature' });
    expect((await gateway.push({ query: 'timestamp=1&nonce=2', body: textXml() })).status).toBe(401);
  });

  it('an appid that is not configured: 404', async () => {
    const gateway = await useGateway();
    expectNothingBroke(gateway);
    expect(
      (await gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }), '/wechat/wxffffffffffffffff'))
        .status,
    ).toBe(404);
    expect(
      (await gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }), '/wechat/%E0%A4%A')).status,
    ).toBe(404);
  });
});

describe('body size', () => {
  it('over the default 1 MiB with a Content-Length: 413', async () => {
    const gateway = await useGateway();
    expectNothingBroke(gateway);
    const push = signPlaintextPush(textXml({ content: 'x'.repeat(MIB) }), { account: DEFAULT_ACCOUNT });
    expect((await gateway.push(push)).status).toBe(413);
  });

  it('5 MB in chunks without a Content-Length: 413', async () => {
    const gateway = await useGateway();
    expectNothingBroke(gateway);
    const answer = await sendChunked(
      `${gateway.url}/wechat?${signPlaintextPush('', { account: DEFAULT_ACCOUNT }).query}`,
      5 * 1024 * 1024,
    );
    expect(answer.status).toBe(413);
  });

  it('follows MAX_BODY_BYTES, both ways', async () => {
    const gateway = await useGateway({ env: { MAX_BODY_BYTES: '2048' } });
    const small = textXml({ content: 'x'.repeat(1_500) });
    expect(Buffer.byteLength(small)).toBeLessThanOrEqual(2048);
    expect(await gateway.push(signPlaintextPush(small, { account: DEFAULT_ACCOUNT }))).toMatchObject({
      status: 200,
      body: 'success',
    });
    expect(
      (await gateway.push(signPlaintextPush(textXml({ content: 'x'.repeat(2_048) }), { account: DEFAULT_ACCOUNT })))
        .status,
    ).toBe(413);
    expect(
      (
        await sendChunked(
          `${gateway.url}/wechat?${signPlaintextPush('', { account: DEFAULT_ACCOUNT }).query}`,
          4_096,
          'x',
          1_000,
        )
      ).status,
    ).toBe(413);
    expect(await gateway.jobCount()).toBe(1);
  });
});

describe('after the whole hostile suite in one process', () => {
  it('the same gateway still accepts a good push', async () => {
    const gateway = await useGateway();
    for (const [, , body] of HOSTILE_BODIES) await gateway.push(signPlaintextPush(body, { account: DEFAULT_ACCOUNT }));
    await sendChunked(
      `${gateway.url}/wechat?${signPlaintextPush('', { account: DEFAULT_ACCOUNT }).query}`,
      5 * 1024 * 1024,
    );
    expect(await gateway.jobCount()).toBe(0);
    expect((await gateway.send('/healthz')).status).toBe(200);
    expect((await gateway.send('/readyz')).status).toBe(200);
    expect(await gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }))).toMatchObject({
      status: 200,
      body: 'success',
    });
    expect(await gateway.jobCount()).toBe(1);
  });
});
