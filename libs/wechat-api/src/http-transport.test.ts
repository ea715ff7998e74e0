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

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
