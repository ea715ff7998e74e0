import { randomUUID } from 'node:crypto';
import { type LogRecord, signEncryptedPush, signHandshake, signPlaintextPush } from '@wxq/testing';
import { describe, expect, it } from 'vitest';
import { type TestGateway, useGateway } from './helpers/harness.js';
import { AES_KEY, APP_ID, DEFAULT_ACCOUNT, TOKEN, textXml } from './helpers/pushes.js';

/** The line that ends the request with this X-Request-Id: it carries the outcome and the duration. */
function completionLine(gateway: TestGateway, requestId: string): LogRecord {
  const lines = gateway.logs
    .lines()
    .filter(
      (line) => (line['req'] as { id?: unknown } | undefined)?.id === requestId && line['responseTime'] !== undefined,
    );
  expect(lines, `completion lines of ${requestId}`).toHaveLength(1);
  return lines[0] ?? {};
}

describe('request logs', () => {
  it('end each push with one line: request id, account, msgType, outcome, status and duration', async () => {
    const gateway = await useGateway();
    const xml = textXml();
    await gateway.push(signPlaintextPush(xml, { account: DEFAULT_ACCOUNT }), '/wechat', {
      'x-request-id': 'req-accepted-1',
    });
    await gateway.push(signPlaintextPush(xml, { account: DEFAULT_ACCOUNT }), '/wechat', {
      'x-request-id': 'req-duplicate-1',
    });
    await gateway.push(signPlaintextPush(xml, { account: { appId: APP_ID, token: 'wrongToken' } }), '/wechat', {
      'x-request-id': 'req-refused-1',
    });

    expect(completionLine(gateway, 'req-accepted-1')).toMatchObject({
      level: 30,
      req: { id: 'req-accepted-1', method: 'POST', path: '/wechat' },
      account: APP_ID,
      msgType: 'text',
      outcome: 'accepted',
      res: { statusCode: 200 },
      responseTime: expect.any(Number) as unknown,
    });
    expect(completionLine(gateway, 'req-duplicate-1')).toMatchObject({
      account: APP_ID,
      msgType: 'text',
      outcome: 'duplicate',
    });
    expect(completionLine(gateway, 'req-refused-1')).toMatchObject({
      level: 40,
      account: APP_ID,
      outcome: 'bad_signature',
      res: { statusCode: 401 },
    });
  });

  it('make up a request id when none (or a strange one) is given', async () => {
    const gateway = await useGateway();
    await gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }), '/wechat', {
      'x-request-id': 'not a valid id; drop table',
    });
    const line = gateway.logs.lines().find((l) => l['outcome'] === 'accepted');
    const id = (line?.['req'] as { id?: unknown } | undefined)?.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('never hold the Token, the AES key, the signed query, or message content at info level', async () => {
    const gateway = await useGateway({ env: { LOG_LEVEL: 'info' } });
    const content = `content-${randomUUID()}`;
    const plain = signPlaintextPush(textXml({ content }), { account: DEFAULT_ACCOUNT });
    const safe = signEncryptedPush(textXml({ content }), 'safe', { account: DEFAULT_ACCOUNT });
    const compatible = signEncryptedPush(textXml({ content }), 'compatible', { account: DEFAULT_ACCOUNT });
    const handshake = signHandshake('echo-in-the-log', { account: DEFAULT_ACCOUNT });
    const forged = signPlaintextPush(textXml({ content }), { account: { appId: APP_ID, token: 'wrongToken' } });

    await gateway.push(plain);
    await gateway.push(plain);
    await gateway.push(safe);
    await gateway.push(compatible);
    await gateway.push(forged);
    await gateway.push(signPlaintextPush(`<xml><Content>${content}</Content>`, { account: DEFAULT_ACCOUNT }));
    await gateway.send(`/wechat?${handshake}`);
    await gateway.send(`/wechat?${signHandshake('x', { account: { appId: APP_ID, token: 'wrongToken' } })}`);
    expect(gateway.logs.lines().filter((line) => line['outcome'] === 'accepted')).toHaveLength(3);

    const text = gateway.logs.text();
    const queries = [plain, safe, compatible, forged].map((push) => new URLSearchParams(push.query));
    const signatures = queries
      .flatMap((query) => [query.get('signature'), query.get('msg_signature')])
      .filter((s) => s !== null);
    expect(signatures.length).toBeGreaterThanOrEqual(6);
    for (const secret of [
      TOKEN,
      AES_KEY,
      content,
      'echo-in-the-log',
      'signature=',
      'msg_signature',
      'nonce=',
      ...signatures,
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
