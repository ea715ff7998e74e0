// What a careless or hostile caller can send: each is answered 4xx with a JSON error naming the
// problem, nothing is queued, and the API stays up.
import { type Socket, connect } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type TestApi, TOKEN, errorCodeOf, templateRequest, useApi } from './helpers/harness.js';

const TEN_MIB = 10 * 1024 * 1024;

async function expectRefused(api: TestApi, answer: { status: number; json: unknown }, status: number, code: string) {
  expect(answer.status).toBe(status);
  expect(errorCodeOf(answer)).toBe(code);
  expect(await api.jobCount()).toBe(0);
  expect((await api.request('/healthz')).status).toBe(200);
}

/** The message of an answer's error. */
function messageOf(answer: { json: unknown }): string {
  return String((answer.json as { error?: { message?: unknown } } | undefined)?.error?.message);
}

describe('hostile bodies', () => {
  it.each([
    ['not JSON', '{"to": "o1", template: }'],
    ['truncated JSON', '{"to": "o1"'],
    ['a UTF-8 BOM and garbage', '\ufeff\u0000\u0001'],
  ])('answers 400 invalid_json for %s', async (_what, body) => {
    const api = await useApi();
    await expectRefused(api, await api.post(body), 400, 'invalid_json');
  });

  it.each([
    ['an array', '[{"to": "o1"}]', '(body): Invalid input: expected object, received array'],
    ['a number', '42', '(body): Invalid input: expected object, received number'],
    ['null', 'null', '(body): Invalid input: expected object, received null'],
    ['a string', '"hello"', '(body): Invalid input: expected object, received string'],
    ['an empty object', '{}', 'to: Invalid input: expected string, received undefined'],
  ])('answers 400 invalid_request for JSON that is %s', async (_what, body, message) => {
    const api = await useApi();
    const answer = await api.post(body);
    await expectRefused(api, answer, 400, 'invalid_request');
    expect(messageOf(answer)).toBe(message);
  });

  it('answers 400 for JSON nested 1000 deep, wherever the nesting is', async () => {
    const api = await useApi();
    const deep = `${'['.repeat(1000)}${']'.repeat(1000)}`;
    const deepObject = `${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}`;
    for (const body of [
      deep,
      `{"to": ${deep}}`,
      `{"to": "o1", "template": {"id": "t", "data": {"thing1": ${deepObject}}}}`,
      `{"to": "o1", "extra": ${deepObject}}`,
    ]) {
      await expectRefused(api, await api.post(body), 400, 'invalid_request');
    }
  });

  it('answers 413 for a body over 10 MiB, with Content-Length or chunked, and takes one of 10 MiB', async () => {
    const api = await useApi();
    const over = Buffer.alloc(TEN_MIB + 1, ' ');
    await expectRefused(api, await api.post(over.toString()), 413, 'payload_too_large');
    const chunked = await rawRequest(api, (socket) => {
      socket.write(
        `POST /api/v1/messages HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer ${TOKEN}\r\n` +
          'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
      );
      const chunk = Buffer.alloc(1024 * 1024, ' ');
      for (let i = 0; i < 11; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString()}\r\n`);
      socket.write('0\r\n\r\n');
    });
    expect(chunked.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
    expect(chunked).toContain('"payload_too_large"');
    // Exactly 10 MiB is read and then judged by the schema.
    const padded = JSON.stringify(templateRequest()).padEnd(TEN_MIB, ' ');
    const judged = await api.post(padded);
    expect(judged.status).toBe(202);
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['no Content-Type', undefined],
    ['a +json type', 'application/merge-patch+json'],
    ['form data', 'application/x-www-form-urlencoded'],
  ])('answers 415 for %s', async (_what, contentType) => {
    const api = await useApi();
    const answer = await api.request('/api/v1/messages', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: JSON.stringify(templateRequest()),
    });
    await expectRefused(api, answer, 415, 'unsupported_media_type');
  });

  it('answers 415 for a compressed body or another charset, and takes charset=utf-8', async () => {
    const api = await useApi();
    const body = JSON.stringify(templateRequest());
    await expectRefused(api, await api.post(body, { 'content-encoding': 'gzip' }), 415, 'unsupported_media_type');
    await expectRefused(
      api,
      await api.post(body, { 'content-type': 'application/json; charset=latin1' }),
      415,
      'unsupported_media_type',
    );
    expect((await api.post(body, { 'content-type': 'application/json; charset=utf-8' })).status).toBe(202);
  });

  it('refuses unknown fields at every level, naming them', async () => {
    const api = await useApi();
    const template = templateRequest()['template'] as Record<string, unknown>;
    const cases: [unknown, string][] = [
      [{ ...templateRequest(), priority: 'high' }, '(body): Unrecognized key: "priority"'],
      [
        { ...templateRequest(), template: { ...template, client_msg_id: 'mine' } },
        'template: Unrecognized key: "client_msg_id"',
      ],
      [
        { ...templateRequest(), template: { ...template, data: { thing1: { value: 'v', bold: true } } } },
        'template.data.thing1: Unrecognized key: "bold"',
      ],
      [
        { ...templateRequest(), subscribe: { id: 's', data: {} } },
        'template: exactly one of template, subscribe or customerService',
      ],
      [
        { to: 'oUser1', customerService: { msgtype: 'text', text: { content: 'hi' }, touser: 'oOther' } },
        'customerService: Unrecognized key: "touser"',
      ],
      [
        { to: 'oUser1', customerService: { msgtype: 'text', text: { content: 'hi', bold: true } } },
        'customerService.text: Unrecognized key: "bold"',
      ],
      [
        { to: 'oUser1', customerService: { msgtype: 'fax' } },
        "customerService.msgtype: Invalid discriminator value. Expected 'text' | 'image' | 'voice' | 'video' | 'music' | 'news' | 'mpnews' | 'mpnewsarticle' | 'msgmenu' | 'wxcard' | 'miniprogrampage'",
      ],
    ];
    for (const [body, message] of cases) {
      const answer = await api.post(body);
      await expectRefused(api, answer, 400, 'invalid_request');
      expect(messageOf(answer)).toBe(message);
    }
  });

  it('refuses 100 keywords, a huge value, and keywords with control characters, echoing only a short escaped name', async () => {
    const api = await useApi();
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`thing${i}`, { value: 'v' }]));
    const tooMany = await api.post(templateRequest({ template: { id: 't', data: many } }));
    await expectRefused(api, tooMany, 400, 'invalid_request');
    expect(messageOf(tooMany)).toBe('template.data: at most 50 keywords');

    const huge = await api.post(
      templateRequest({ template: { id: 't', data: { thing1: { value: 'x'.repeat(100_000) } } } }),
    );
    await expectRefused(api, huge, 400, 'invalid_request');
    expect(messageOf(huge)).toMatch(
      /^template\.data\.thing1\.value: Too big: expected string to have <=4096 characters$/,
    );

    const hostileKey = `bad\u0000key\n\u202e${'k'.repeat(5000)}`;
    const badKey = await api.post(templateRequest({ template: { id: 't', data: { [hostileKey]: { value: 'v' } } } }));
    await expectRefused(api, badKey, 400, 'invalid_request');
    const message = messageOf(badKey);
    expect(message.length).toBeLessThan(200);
    expect(message).toMatch(/^template\.data\."bad\\u0000key\\n\\u202ek+\\u2026": /);
    expect(message).toMatch(/^[\x20-\x7e]+$/);
  });

  it('refuses control characters and oversized strings in ids', async () => {
    const api = await useApi();
    for (const overrides of [
      { to: 'o\u0000user' },
      { to: 'o user' },
      { to: 'o'.repeat(129) },
      { to: '' },
      { account: 'wx\u0007' },
      { template: { id: 'T\r\nX-Injected: 1', data: {} } },
    ]) {
      await expectRefused(api, await api.post(templateRequest(overrides)), 400, 'invalid_request');
    }
  });

  it('answers 400 for control characters or non-ASCII in the Idempotency-Key (node itself refuses most)', async () => {
    const api = await useApi();
    const body = JSON.stringify(templateRequest());
    for (const key of ['a\u0001b', 'a\u007fb', 'caf\u00e9']) {
      const answer = await rawRequest(api, (socket) => {
        socket.write(
          `POST /api/v1/messages HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer ${TOKEN}\r\n` +
            `Content-Type: application/json\r\nIdempotency-Key: ${key}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
            `Connection: close\r\n\r\n${body}`,
          'latin1',
        );
      });
      expect(answer.split('\r\n')[0], JSON.stringify(key)).toMatch(/^HTTP\/1\.1 400 /);
    }
    expect(await api.jobCount()).toBe(0);
    expect((await api.request('/healthz')).status).toBe(200);
  });
});

/** Writes a request on a raw socket and resolves with everything the API answered once it closes. */
async function rawRequest(api: TestApi, write: (socket: Socket) => void): Promise<string> {
  const socket = connect(api.port, '127.0.0.1');
  onTestFinished(() => {
    socket.destroy();
  });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<void>((resolve) => {
    socket.once('close', () => {
      resolve();
    });
  });
  // The API may answer and close before the whole body is written: that is the point.
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  write(socket);
  await closed;
  return Buffer.concat(chunks).toString('latin1');
}
