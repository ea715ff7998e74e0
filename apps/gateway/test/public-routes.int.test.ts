import { type Socket, connect } from 'node:net';
import { signHandshake, signPlaintextPush, waitFor } from '@wxq/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type TestGateway, useGateway } from './helpers/harness.js';
import { APP_ID, DEFAULT_ACCOUNT, textXml } from './helpers/pushes.js';

const OTHER_RANGE = '203.0.113.0/24';

describe('the public routes', () => {
  it('serve /wechat[/<appid>] and the probes in any case, with or without a trailing slash', async () => {
    const gateway = await useGateway();
    for (const path of ['/wechat', '/WeChat', '/wechat/', `/wechat/${APP_ID}/`, `/WECHAT/${APP_ID.toUpperCase()}`]) {
      expect(await gateway.send(`${path}?${signHandshake('hi', { account: DEFAULT_ACCOUNT })}`), path).toMatchObject({
        status: 200,
        body: 'hi',
      });
      expect(await gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }), path), path).toMatchObject({
        status: 200,
        body: 'success',
      });
    }
    for (const path of ['/healthz', '/HEALTHZ', '/healthz/', '/healthz?probe=1'])
      expect(await gateway.send(path), path).toMatchObject({ status: 200, body: 'ok' });
    for (const path of ['/readyz', '/readyz/'])
      expect(await gateway.send(path), path).toMatchObject({ status: 200, body: 'ready' });
  });

  it('answer HEAD like GET, without the body', async () => {
    const gateway = await useGateway();
    for (const [path, body] of [
      ['/healthz', 'ok'],
      ['/readyz', 'ready'],
      [`/wechat?${signHandshake('echo', { account: DEFAULT_ACCOUNT })}`, 'echo'],
    ] as const) {
      const answer = await gateway.send(path, { method: 'HEAD' });
      expect(answer, path).toMatchObject({ status: 200, body: '' });
      expect(answer.headers['content-length'], path).toBe(String(Buffer.byteLength(body)));
      expect(answer.headers['content-type'], path).toBe('text/plain; charset=utf-8');
    }
  });

  it('answer 404 for any other path or method, and for an account segment that does not decode', async () => {
    const gateway = await useGateway();
    const query = signHandshake('x', { account: DEFAULT_ACCOUNT });
    const notFound: readonly (readonly [method: string, path: string])[] = [
      ['GET', '/'],
      ['GET', '/wechatx'],
      ['GET', `/wechat/${APP_ID}/extra?${query}`],
      ['GET', `/wechat//?${query}`],
      ['POST', '/healthz'],
      ['DELETE', '/readyz'],
      ['PUT', `/wechat?${query}`],
      ['OPTIONS', '/wechat'],
      ['POST', '/wechat/a/b'],
      ['GET', `/wechat/%E0%A4%A?${query}`],
    ];
    for (const [method, path] of notFound)
      expect((await gateway.send(path, { method })).status, `${method} ${path}`).toBe(404);
    expect(await gateway.jobCount()).toBe(0);
  });

  it('send no framework headers: no X-Powered-By, no ETag', async () => {
    const gateway = await useGateway();
    for (const answer of [
      await gateway.send(`/wechat?${signHandshake('hi', { account: DEFAULT_ACCOUNT })}`),
      await gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT })),
      await gateway.send('/nope'),
    ]) {
      expect(answer.headers['x-powered-by']).toBeUndefined();
      expect(answer.headers['etag']).toBeUndefined();
    }
  });

  it('keep everything but the probes behind WECHAT_IP_ALLOWLIST, 404s included', async () => {
    const gateway = await useGateway({ env: { WECHAT_IP_ALLOWLIST: OTHER_RANGE } });
    expect((await gateway.send('/healthz')).status).toBe(200);
    expect((await gateway.send('/readyz')).status).toBe(200);
    for (const path of ['/nope', '/metrics', `/wechat?${signHandshake('hi', { account: DEFAULT_ACCOUNT })}`])
      expect((await gateway.send(path)).status, path).toBe(403);
    expect((await gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }))).status).toBe(403);
  });

  it('log a handshake with its account, and a refused push under account `unknown`', async () => {
    const gateway = await useGateway({ env: { WECHAT_IP_ALLOWLIST: OTHER_RANGE } });
    await gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }), '/wechat', {
      'x-request-id': 'req-forbidden',
    });
    const open = await useGateway();
    await open.send(`/wechat?${signHandshake('hi', { account: DEFAULT_ACCOUNT })}`, {
      headers: { 'x-request-id': 'req-handshake' },
    });

    expect(lineOf(gateway, 'req-forbidden')).toMatchObject({
      level: 40,
      msg: 'push answered',
      req: { method: 'POST', path: '/wechat', ip: '127.0.0.1', protocol: 'http' },
      account: 'unknown',
      msgType: 'unparsed',
      outcome: 'ip_forbidden',
      res: { statusCode: 403 },
    });
    const handshake = lineOf(open, 'req-handshake');
    expect(handshake).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { method: 'GET', path: '/wechat' },
      account: APP_ID,
      res: { statusCode: 200 },
    });
    expect(handshake).not.toHaveProperty('outcome');
    expect(handshake).not.toHaveProperty('msgType');
  });
});

describe('while draining', () => {
  it('a request arriving on a connection still busy gets 503 draining and Connection: close; the one in flight gets success', async () => {
    const gateway = await useGateway();
    const push = signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT });
    const body = Buffer.from(String(push.body));
    const socket = rawConnection(gateway);
    socket.write(
      `POST /wechat?${push.query} HTTP/1.1\r\nHost: gateway\r\nContent-Type: text/xml\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
    );
    await waitFor(() => socket.received().startsWith('HTTP/1.1 100 Continue'), { message: 'the push to be in flight' });

    const stopped = gateway.stop();
    // The rest of the push, and a second request pipelined behind it on the same connection.
    socket.write(
      Buffer.concat([
        body,
        Buffer.from(
          `GET /wechat?${signHandshake('hi', { account: DEFAULT_ACCOUNT })} HTTP/1.1\r\nHost: gateway\r\n\r\n`,
        ),
      ]),
    );
    await socket.ended;
    await stopped;

    const answers = socket
      .received()
      .split(/(?=HTTP\/1\.1 )/)
      .slice(1);
    expect(answers).toHaveLength(2);
    expect(answers[0]).toMatch(/^HTTP\/1\.1 200 [^]*\r\n\r\nsuccess$/);
    expect(answers[1]).toMatch(/^HTTP\/1\.1 503 /);
    expect(answers[1]).toMatch(/\r\nConnection: close\r\n/i);
    expect(answers[1]).toMatch(/\r\n\r\ndraining$/);
    expect(await gateway.jobCount()).toBe(1);
  });
});

function lineOf(gateway: TestGateway, requestId: string): Record<string, unknown> {
  const line = gateway.logs.lines().find((l) => (l['req'] as { id?: unknown } | undefined)?.id === requestId);
  expect(line, `the line of ${requestId}`).toBeDefined();
  return { ...line };
}

interface RawConnection {
  write(data: string | Buffer): void;
  /** Everything the gateway has sent so far, as text. */
  received(): string;
  /** Resolves once the gateway has closed the connection. */
  readonly ended: Promise<void>;
}

/** A bare TCP connection to the public listener, for pipelined requests no HTTP client sends. */
function rawConnection(gateway: TestGateway): RawConnection {
  const socket: Socket = connect({ port: Number(new URL(gateway.url).port), host: '127.0.0.1' });
  onTestFinished(() => {
    socket.destroy();
  });
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    received += chunk;
  });
  const ended = new Promise<void>((resolve, reject) => {
    socket.once('end', resolve);
    socket.once('error', reject);
  });
  return {
    write: (data) => {
      socket.write(data);
    },
    received: () => received,
    ended,
  };
}
