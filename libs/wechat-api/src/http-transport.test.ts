import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WechatTransportError } from './errors.js';
import { sendRequest } from './http.js';

// The transport against a local server that misbehaves as no simulator would: one that sends its
// headers at once and then stalls the body.

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function serve(handler: Parameters<typeof createServer>[1], host = '127.0.0.1'): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server?.once('error', reject);
    server?.listen(0, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

const request = (baseUrl: string, timeoutMs: number) =>
  sendRequest({
    baseUrl,
    path: '/cgi-bin/x',
    method: 'POST',
    query: {},
    body: { json: { a: 1 } },
    timeoutMs,
    secrets: [],
  });

describe('sendRequest over the transport', () => {
  it('answers the status, content type and body bytes, and sends the JSON body', async () => {
    let received = '';
    const baseUrl = await serve((req, res) => {
      req.on('data', (chunk: Buffer) => (received += chunk.toString()));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"errcode":0}');
      });
    });
    const answer = await request(baseUrl, 2_000);
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/json');
    expect(new TextDecoder().decode(answer.bytes)).toBe('{"errcode":0}');
    expect(received).toBe('{"a":1}');
  });

  it('reaches the path and query of the URL, on an IPv6 literal as on IPv4', async () => {
    const seen: string[] = [];
    const answerOk: Parameters<typeof createServer>[1] = (req, res) => {
      seen.push(req.url ?? '');
      req.resume();
      req.on('end', () => res.end('{}'));
    };
    const v4 = await serve(answerOk);
    await sendRequest({
      baseUrl: v4,
      path: '/cgi-bin/x',
      method: 'GET',
      query: { a: '1 2' },
      timeoutMs: 2_000,
      secrets: [],
    });
    server?.close();
    // A machine without IPv6 on its loopback cannot run the second half.
    const v6 = await serve(answerOk, '::1').catch(() => undefined);
    if (v6 !== undefined) {
      expect(v6).toMatch(/^http:\/\/\[::1\]:\d+$/);
      await sendRequest({ baseUrl: v6, path: '/cgi-bin/y', method: 'GET', query: {}, timeoutMs: 2_000, secrets: [] });
    }
    expect(seen).toEqual(v6 === undefined ? ['/cgi-bin/x?a=1+2'] : ['/cgi-bin/x?a=1+2', '/cgi-bin/y']);
  });

  it('times out on a body that stalls after the headers: the timeout covers the whole answer', async () => {
    const baseUrl = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"errc');
    });
    const started = performance.now();
    const error = await request(baseUrl, 300).catch((err: unknown) => err);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(WechatTransportError);
    expect(error).toMatchObject({ code: 'timeout' });
  });
});
