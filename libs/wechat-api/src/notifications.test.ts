import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SubscribeMessage, TemplateMessage } from '@wxq/wechat';
import { afterEach, describe, expect, it } from 'vitest';
import { API_PATHS, createWechatApiClient } from './client.js';
import { WechatErrcodeError, WechatTransportError } from './errors.js';
import type { TokenSource } from './token-store.js';

// sendTemplate and sendSubscribe over real HTTP against a canned WeChat on port 0: these tests
// need answers the simulator does not give: msgids above 2^53 up to 2^64 − 1, odd answer shapes.

interface Seen {
  readonly path: string;
  readonly token: string | null;
  readonly body: unknown;
}

const servers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

/** A WeChat that answers each POST with the next of `answers` (HTTP 200 unless `status`). */
async function cannedWechat(answers: readonly (string | { status: number; body: string })[]) {
  const seen: Seen[] = [];
  let next = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      seen.push({
        path: url.pathname,
        token: url.searchParams.get('access_token'),
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
      });
      const answer = answers[Math.min(next, answers.length - 1)] ?? '{}';
      next += 1;
      const { status, body } = typeof answer === 'string' ? { status: 200, body: answer } : answer;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** Tokens t1, t2, …: each invalidation of the current one makes the next current. */
function countingTokens(): TokenSource & { readonly invalidated: string[] } {
  let n = 1;
  const invalidated: string[] = [];
  return {
    invalidated,
    getToken: () => Promise.resolve(`t${n}`),
    invalidate(bad) {
      invalidated.push(bad);
      if (bad === `t${n}`) n += 1;
      return Promise.resolve();
    },
  };
}

async function clientFor(answers: Parameters<typeof cannedWechat>[0]) {
  const wechat = await cannedWechat(answers);
  const tokens = countingTokens();
  const client = createWechatApiClient({ baseUrl: wechat.url, tokens, timeoutMs: 2_000 });
  return { client, tokens, seen: wechat.seen };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return expect.unreachable('expected a rejection');
}

const TEMPLATE: TemplateMessage = {
  touser: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY',
  template_id: 'TEMPLATE_ID',
  url: 'https://example.com/order/42',
  miniprogram: { appid: 'wx0123456789abcdef', pagepath: 'pages/order?id=42' },
  client_msg_id: 'ntf_0123456789abcdef0123456789abcdef',
  data: { thing1: { value: 'Order 42 已发货' }, time2: { value: '2026-12-07 10:00', color: '#173177' } },
};
const SUBSCRIBE: SubscribeMessage = {
  touser: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY',
  template_id: 'T1',
  page: 'https://example.com/x',
  data: { thing1: { value: '≤ 20 chars' }, number2: { value: '42' } },
};

describe('sendTemplate (docs/wechat-protocol.md §11.1)', () => {
  it('posts the body as it is to template/send and answers the msgid digit for digit', async () => {
    const { client, seen } = await clientFor(['{"errcode":0,"errmsg":"ok","msgid":18446744073709551615}']);
    await expect(client.sendTemplate(TEMPLATE)).resolves.toStrictEqual({ msgid: '18446744073709551615' });
    expect(seen).toStrictEqual([{ path: API_PATHS.templateSend, token: 't1', body: TEMPLATE }]);
  });

  it.each([40001, 42001])('%s: invalidates the token, retries once with a fresh one', async (errcode) => {
    const { client, tokens, seen } = await clientFor([
      `{"errcode":${errcode},"errmsg":"token rid: 1"}`,
      '{"errcode":0,"errmsg":"ok","msgid":1700827132819554304}',
    ]);
    await expect(client.sendTemplate(TEMPLATE)).resolves.toStrictEqual({ msgid: '1700827132819554304' });
    expect(seen.map((call) => call.token)).toStrictEqual(['t1', 't2']);
    expect(tokens.invalidated).toStrictEqual(['t1']);
  });

  it('a second token refusal is thrown after exactly one retry', async () => {
    const { client, seen } = await clientFor(['{"errcode":40001,"errmsg":"invalid credential"}']);
    const error = await rejectionOf(client.sendTemplate(TEMPLATE));
    expect(error).toBeInstanceOf(WechatErrcodeError);
    expect(error).toMatchObject({ errcode: 40001, kind: 'token_invalid', api: API_PATHS.templateSend });
    expect(seen).toHaveLength(2);
  });

  it.each([
    { errcode: -1, kind: 'retryable' },
    { errcode: 45009, kind: 'permanent' },
    { errcode: 40037, kind: 'permanent' },
    { errcode: 43117, kind: 'retryable' },
    { errcode: 47003, kind: 'permanent' },
  ])('errcode $errcode is a WechatErrcodeError ($kind), after one call', async ({ errcode, kind }) => {
    const { client, seen } = await clientFor([`{"errcode":${errcode},"errmsg":"no rid: 2"}`]);
    const error = await rejectionOf(client.sendTemplate(TEMPLATE));
    expect(error).toBeInstanceOf(WechatErrcodeError);
    expect(error).toMatchObject({ errcode, kind, api: API_PATHS.templateSend, errmsg: 'no rid: 2' });
    expect(seen).toHaveLength(1);
  });

  it('HTTP 502 is a retryable transport error', async () => {
    const { client } = await clientFor([{ status: 502, body: 'bad gateway' }]);
    const error = await rejectionOf(client.sendTemplate(TEMPLATE));
    expect(error).toBeInstanceOf(WechatTransportError);
    expect(error).toMatchObject({ code: 'http_status', kind: 'retryable', httpStatus: 502 });
  });

  it("a success without a readable msgid still resolves (the message went out), with msgid ''", async () => {
    for (const answer of ['{"errcode":0,"errmsg":"ok"}', '{"errcode":0,"msgid":"x1"}', '{"errcode":0,"msgid":1.5}']) {
      const { client } = await clientFor([answer]);
      await expect(client.sendTemplate(TEMPLATE)).resolves.toStrictEqual({ msgid: '' });
    }
  });
});

describe('sendSubscribe (docs/wechat-protocol.md §12.2)', () => {
  it('posts to subscribe/bizsend and answers the msgid when there is one', async () => {
    const { client, seen } = await clientFor([
      '{"errcode":0,"errmsg":"ok","msgid":9007199254740993}',
      '{"errcode":0,"errmsg":"ok"}',
    ]);
    await expect(client.sendSubscribe(SUBSCRIBE)).resolves.toStrictEqual({ msgid: '9007199254740993' });
    await expect(client.sendSubscribe(SUBSCRIBE)).resolves.toStrictEqual({});
    expect(seen.map((call) => [call.path, call.body])).toStrictEqual([
      [API_PATHS.subscribeSend, SUBSCRIBE],
      [API_PATHS.subscribeSend, SUBSCRIBE],
    ]);
  });

  it('43101 (no consent) is a permanent WechatErrcodeError; 42001 is refreshed and retried once', async () => {
    const refused = await clientFor(['{"errcode":43101,"errmsg":"user refuse to accept the msg rid: 3"}']);
    expect(await rejectionOf(refused.client.sendSubscribe(SUBSCRIBE))).toMatchObject({
      errcode: 43101,
      kind: 'permanent',
      api: API_PATHS.subscribeSend,
    });
    const expired = await clientFor(['{"errcode":42001,"errmsg":"expired"}', '{"errcode":0,"errmsg":"ok"}']);
    await expect(expired.client.sendSubscribe(SUBSCRIBE)).resolves.toStrictEqual({});
    expect(expired.seen.map((call) => call.token)).toStrictEqual(['t1', 't2']);
  });
});
