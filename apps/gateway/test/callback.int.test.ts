import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inboundJobId } from '@wxq/queue';
import { signEncryptedPush, signHandshake, signPlaintextPush } from '@wxq/testing';
import { computeDedupKey, parseInboundXml } from '@wxq/wechat';
import { describe, expect, it, onTestFinished } from 'vitest';
import { useGateway } from './helpers/harness.js';
import { AES_KEY, APP_ID, DEFAULT_ACCOUNT, OPEN_ID, TOKEN, jobIdOf, nowSeconds, textXml } from './helpers/pushes.js';
import { freshPushVectors } from './helpers/vectors.js';

const OTHER_APP_ID = 'wxfedcba9876543210';
const OTHER_TOKEN = 'otherAccountToken7';

async function writeAccountsFile(accounts: readonly unknown[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wxq-accounts-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'accounts.json');
  await writeFile(path, JSON.stringify(accounts));
  return path;
}

describe('GET handshake', () => {
  it('echoes echostr byte for byte for a valid signature, on /wechat and /wechat/<appid> in any case', async () => {
    const gateway = await useGateway();
    const echostr = '6934518823461209871-échø';
    for (const path of ['/wechat', `/wechat/${APP_ID}`, `/wechat/${APP_ID.toUpperCase()}`]) {
      const answer = await gateway.send(`${path}?${signHandshake(echostr, { account: DEFAULT_ACCOUNT })}`);
      expect(answer.status, path).toBe(200);
      expect(answer.bytes.equals(Buffer.from(echostr, 'utf8')), path).toBe(true);
    }
  });

  it('answers 401 without the echo for a bad, missing or repeated signature', async () => {
    const gateway = await useGateway();
    const echostr = 'echo-that-must-not-come-back';
    const wrongToken = signHandshake(echostr, { account: { appId: APP_ID, token: 'notTheToken' } });
    const missing = new URLSearchParams({ timestamp: nowSeconds(), nonce: '1', echostr }).toString();
    const repeated = `${signHandshake(echostr, { account: DEFAULT_ACCOUNT })}&signature=0000`;
    for (const query of [wrongToken, missing, repeated]) {
      const answer = await gateway.send(`/wechat?${query}`);
      expect(answer.status).toBe(401);
      expect(answer.body).not.toContain(echostr);
    }
  });

  it('answers 404 for an appid that is not configured', async () => {
    const gateway = await useGateway();
    const answer = await gateway.send(`/wechat/${OTHER_APP_ID}?${signHandshake('x', { account: DEFAULT_ACCOUNT })}`);
    expect(answer.status).toBe(404);
  });
});

describe('accounts from WXQ_ACCOUNTS_FILE', () => {
  it('routes /wechat to the first account and /wechat/<appid> to each, each with its own Token', async () => {
    const file = await writeAccountsFile([
      { appId: APP_ID, token: TOKEN, encodingAESKey: AES_KEY },
      { appId: OTHER_APP_ID, token: OTHER_TOKEN, requireEncryption: false },
    ]);
    const gateway = await useGateway({
      env: { WXQ_ACCOUNTS_FILE: file, WECHAT_APPID: undefined, WECHAT_TOKEN: undefined },
    });
    const other = { appId: OTHER_APP_ID, token: OTHER_TOKEN };

    expect((await gateway.send(`/wechat?${signHandshake('first', { account: DEFAULT_ACCOUNT })}`)).body).toBe('first');
    expect((await gateway.send(`/wechat/${OTHER_APP_ID}?${signHandshake('second', { account: other })}`)).body).toBe(
      'second',
    );
    // Each path checks its own account's Token.
    expect((await gateway.send(`/wechat?${signHandshake('x', { account: other })}`)).status).toBe(401);
    expect(
      (await gateway.send(`/wechat/${OTHER_APP_ID}?${signHandshake('x', { account: DEFAULT_ACCOUNT })}`)).status,
    ).toBe(401);

    const xml = textXml();
    const answer = await gateway.push(
      signPlaintextPush(xml, { account: other }),
      `/wechat/${OTHER_APP_ID.toUpperCase()}`,
    );
    expect(answer).toMatchObject({ status: 200, body: 'success' });
    const job = await gateway.queue.getJob(jobIdOf(xml, OTHER_APP_ID));
    expect(job?.data).toMatchObject({ appId: OTHER_APP_ID, mode: 'plaintext' });
  });

  it('reads requireEncryption from the file', async () => {
    const file = await writeAccountsFile([
      { appId: APP_ID, token: TOKEN, encodingAESKey: AES_KEY, requireEncryption: true },
    ]);
    const gateway = await useGateway({ env: { WXQ_ACCOUNTS_FILE: file } });
    expect((await gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }))).status).toBe(401);
    expect((await gateway.push(signEncryptedPush(textXml(), 'safe', { account: DEFAULT_ACCOUNT }))).status).toBe(200);
  });
});

describe('POST push', () => {
  it('answers success only once the job is in Redis, with the payload and nothing secret', async () => {
    const receivedAt = Date.now();
    const gateway = await useGateway({ now: () => receivedAt });
    const xml = textXml({ content: 'plaintext push' });

    const answer = await gateway.push(signPlaintextPush(xml, { account: DEFAULT_ACCOUNT, openid: OPEN_ID }));

    expect(answer).toMatchObject({ status: 200, body: 'success' });
    const message = parseInboundXml(xml);
    const dedupKey = computeDedupKey(message);
    const job = await gateway.queue.getJob(inboundJobId(APP_ID, dedupKey));
    expect(job?.name).toBe('text');
    expect(job?.data).toStrictEqual({ v: 1, appId: APP_ID, mode: 'plaintext', receivedAt, dedupKey, message });
    expect(await gateway.jobCount()).toBe(1);
  });

  it('accepts plaintext when an AES key is configured, and refuses it with WECHAT_REQUIRE_ENCRYPTION', async () => {
    const lenient = await useGateway();
    expect(await lenient.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }))).toMatchObject({
      status: 200,
      body: 'success',
    });

    const strict = await useGateway({ env: { WECHAT_REQUIRE_ENCRYPTION: 'true' } });
    const refused = await strict.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }));
    expect(refused).toMatchObject({ status: 401, body: 'encryption_required' });
    expect(await strict.jobCount()).toBe(0);
    const xml = textXml();
    expect(await strict.push(signEncryptedPush(xml, 'safe', { account: DEFAULT_ACCOUNT }))).toMatchObject({
      status: 200,
      body: 'success',
    });
    expect((await strict.queue.getJob(jobIdOf(xml)))?.data).toMatchObject({ mode: 'safe' });
  });

  it('in safe mode enqueues the decrypted message, without Token, key or ciphertext in Redis', async () => {
    const gateway = await useGateway();
    const xml = textXml({ content: 'safe mode secret content' });
    const push = signEncryptedPush(xml, 'safe', { account: DEFAULT_ACCOUNT });

    expect(await gateway.push(push)).toMatchObject({ status: 200, body: 'success' });

    const message = parseInboundXml(xml);
    const job = await gateway.queue.getJob(jobIdOf(xml));
    expect(job?.data).toStrictEqual({
      v: 1,
      appId: APP_ID,
      mode: 'safe',
      receivedAt: expect.any(Number) as unknown,
      dedupKey: computeDedupKey(message),
      message,
    });
    expect(message).toMatchObject({ Content: 'safe mode secret content' });
    const encrypt = /<Encrypt><!\[CDATA\[([^\]]+)\]\]>/.exec(String(push.body))?.[1] ?? '';
    expect(encrypt.length).toBeGreaterThan(40);
    const stored = await gateway.dumpRedis();
    expect(stored).toContain('safe mode secret content');
    for (const secret of [TOKEN, AES_KEY, encrypt, 'Encrypt']) expect(stored).not.toContain(secret);
  });

  it('in compatible mode uses only the decrypted copy', async () => {
    const gateway = await useGateway();
    const inner = textXml({ content: 'the real content' });
    const msgId = /<MsgId>(\d+)<\/MsgId>/.exec(inner)?.[1] ?? '';
    const forgedOuter = textXml({ content: 'forged outer content', msgId, fromUserName: 'oForgedUser' });

    const answer = await gateway.push(
      signEncryptedPush(inner, 'compatible', { account: DEFAULT_ACCOUNT, outerXml: forgedOuter }),
    );

    expect(answer).toMatchObject({ status: 200, body: 'success' });
    const job = await gateway.queue.getJob(jobIdOf(inner));
    expect(job?.data).toMatchObject({
      mode: 'compatible',
      message: { Content: 'the real content', FromUserName: OPEN_ID },
    });
    expect(await gateway.jobCount()).toBe(1);
    expect(await gateway.dumpRedis()).not.toContain('forged');
  });

  it('in encrypted modes checks msg_signature, not signature', async () => {
    const gateway = await useGateway();
    const goodMsgSignature = signEncryptedPush(textXml(), 'compatible', { account: DEFAULT_ACCOUNT });
    const badSignature = new URLSearchParams(goodMsgSignature.query);
    badSignature.set('signature', '0'.repeat(40));
    expect(await gateway.push({ query: badSignature.toString(), body: goodMsgSignature.body })).toMatchObject({
      status: 200,
    });

    const forged = signEncryptedPush(textXml(), 'safe', { account: DEFAULT_ACCOUNT });
    const badMsgSignature = new URLSearchParams(forged.query);
    badMsgSignature.set('msg_signature', '0'.repeat(40));
    expect(await gateway.push({ query: badMsgSignature.toString(), body: forged.body })).toMatchObject({
      status: 401,
      body: 'bad_signature',
    });
    expect(await gateway.jobCount()).toBe(1);
  });

  it.each(freshPushVectors().map((vector) => [vector.id, vector] as const))(
    'accepts the shared vector %s in safe mode',
    async (_id, vector) => {
      // The vectors are signed for 2023; the clock is set to their timestamp.
      const now = Number(vector.timestamp) * 1000;
      const gateway = await useGateway({
        now: () => now,
        accounts: [
          { appId: vector.appid, token: vector.token, encodingAESKey: vector.encodingAESKey, requireEncryption: false },
        ],
      });

      const answer = await gateway.push({ query: vector.query, body: vector.post_body_safe_mode });

      expect(answer).toMatchObject({ status: 200, body: 'success' });
      const message = parseInboundXml(vector.plaintext_xml);
      const dedupKey = computeDedupKey(message);
      const job = await gateway.queue.getJob(inboundJobId(vector.appid, dedupKey));
      expect(job?.data).toStrictEqual({ v: 1, appId: vector.appid, mode: 'safe', receivedAt: now, dedupKey, message });
      const stored = await gateway.dumpRedis();
      for (const secret of [vector.token, vector.encodingAESKey, vector.encrypt_base64])
        expect(stored).not.toContain(secret);
    },
  );
});

describe('replay window', () => {
  const now = 1_700_000_000_000;
  const at = (offsetSeconds: number) => String(now / 1000 + offsetSeconds);

  it('refuses timestamps more than TIMESTAMP_SKEW_SECONDS (default 300) from now, in every mode', async () => {
    const gateway = await useGateway({ now: () => now });
    for (const offset of [-301, 301, -100_000]) {
      const signed = { account: DEFAULT_ACCOUNT, timestamp: at(offset) };
      for (const push of [signPlaintextPush(textXml(), signed), signEncryptedPush(textXml(), 'safe', signed)]) {
        expect(await gateway.push(push), `offset ${offset}`).toMatchObject({ status: 401, body: 'stale_timestamp' });
      }
    }
    expect(await gateway.jobCount()).toBe(0);
    for (const offset of [-300, 0, 300]) {
      expect(
        await gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT, timestamp: at(offset) })),
        `offset ${offset}`,
      ).toMatchObject({ status: 200 });
    }
    expect(await gateway.jobCount()).toBe(3);
  });

  it('follows TIMESTAMP_SKEW_SECONDS', async () => {
    const gateway = await useGateway({ now: () => now, env: { TIMESTAMP_SKEW_SECONDS: '10' } });
    expect(
      (await gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT, timestamp: at(-11) }))).status,
    ).toBe(401);
    expect(
      (await gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT, timestamp: at(-10) }))).status,
    ).toBe(200);
  });

  it('is off with TIMESTAMP_SKEW_SECONDS=0: the 2023 vectors pass on the real clock', async () => {
    const [vector] = freshPushVectors();
    if (vector === undefined) throw new Error('no fresh vectors');
    const gateway = await useGateway({
      env: { TIMESTAMP_SKEW_SECONDS: '0' },
      accounts: [
        { appId: vector.appid, token: vector.token, encodingAESKey: vector.encodingAESKey, requireEncryption: false },
      ],
    });
    expect(await gateway.push({ query: vector.query, body: vector.post_body_safe_mode })).toMatchObject({
      status: 200,
      body: 'success',
    });
  });
});

describe('health probes', () => {
  it('answers /healthz and /readyz 200 while Redis answers', async () => {
    const gateway = await useGateway();
    expect(await gateway.send('/healthz')).toMatchObject({ status: 200 });
    expect(await gateway.send('/readyz')).toMatchObject({ status: 200, body: 'ready' });
  });
});
