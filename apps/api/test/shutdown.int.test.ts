import { type Socket, connect } from 'node:net';
import { type RedisServer, type TsProcess, startRedisServer, startTsProcess, waitFor } from '@wxq/testing';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { TOKEN, templateRequest, testEnv, useApi } from './helpers/harness.js';

/** main.ts's SHUTDOWN_TIMEOUT_MS default; the contract is exit 0 within it. */
const EXIT_WITHIN_MS = 10_000;
/** tsx compiles main.ts and the libs on first start; a cold 2-core machine needs a few seconds. */
const START_TIMEOUT_MS = 15_000;

interface RawConnection {
  write(text: string): void;
  /** Everything received so far. */
  received(): string;
  isClosedByServer(): boolean;
}

/** A keep-alive connection on a raw socket (an Agent would drop an idle one by itself). */
async function connectRaw(port: number): Promise<RawConnection> {
  const socket: Socket = connect(port, '127.0.0.1');
  let text = '';
  let isClosed = false;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  socket.on('close', () => {
    isClosed = true;
  });
  socket.on('error', () => undefined);
  onTestFinished(() => {
    socket.destroy();
  });
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return {
    write: (bytes) => {
      socket.write(bytes, 'latin1');
    },
    received: () => text,
    isClosedByServer: () => isClosed,
  };
}

describe('stop', () => {
  it('answers the request in flight, closes idle keep-alive connections and the one that goes idle, and refuses new ones', async () => {
    const api = await useApi();
    const idle = await connectRaw(api.port);
    idle.write('GET /healthz HTTP/1.1\r\nHost: api\r\n\r\n');
    await waitFor(() => idle.received().includes('"ok"'), { message: 'the idle connection’s first answer' });

    const body = JSON.stringify(templateRequest());
    const inFlight = await connectRaw(api.port);
    inFlight.write(
      `POST /api/v1/messages HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
    );
    // Its headers are read and it is in flight once the API asks for the body.
    await waitFor(() => inFlight.received().startsWith('HTTP/1.1 100 Continue'), { message: 'the request in flight' });
    inFlight.write(body.slice(0, 10));

    let isStopped = false;
    const stopping = api.stop().then(() => {
      isStopped = true;
    });
    await api.logs.waitForLine((l) => l['msg'] === 'api stopping: finishing requests in flight', {
      message: 'the API to start stopping',
    });
    // A new connection is refused at once.
    await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
    inFlight.write(body.slice(10));
    await waitFor(() => inFlight.received().includes('HTTP/1.1 202 '), { message: 'the in-flight request’s answer' });
    await waitFor(() => isStopped, { timeoutMs: 5_000, message: 'stop() to resolve while clients hold connections' });
    await stopping;
    // The server has closed both; the client hears of it a moment later.
    await waitFor(() => idle.isClosedByServer() && inFlight.isClosedByServer(), {
      message: 'both connections to be closed',
    });
    expect(await api.jobCount()).toBe(1);
    expect(api.logs.lines().map((l) => l['msg'])).toEqual(
      expect.arrayContaining(['listener closed', 'queue closed', 'redis closed']),
    );
  });

  it('answers 503 with Connection: close to a request pipelined behind one in flight', async () => {
    const api = await useApi();
    const body = JSON.stringify(templateRequest());
    const connection = await connectRaw(api.port);
    connection.write(
      `POST /api/v1/messages HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
    );
    await waitFor(() => connection.received().startsWith('HTTP/1.1 100 Continue'), {
      message: 'the request in flight',
    });
    const stopping = api.stop();
    connection.write(`${body}GET /healthz HTTP/1.1\r\nHost: api\r\n\r\n`);
    await stopping;
    await waitFor(() => connection.isClosedByServer(), { message: 'the API to close the connection' });
    const answers = connection.received();
    expect(answers).toContain('HTTP/1.1 202 ');
    expect(answers).toMatch(/HTTP\/1\.1 503 [^]*Connection: close[^]*"the API is stopping"/);
  });
});

describe('api process', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis.stop());

  function startApiProcess(env: Readonly<Record<string, string | undefined>>): TsProcess {
    const api = startTsProcess('apps/api/src/main.ts', { env });
    onTestFinished(async () => {
      await api.stop({ signal: 'SIGKILL' });
    });
    return api;
  }

  it('serves, and on SIGTERM exits 0', async () => {
    const api = startApiProcess(testEnv(redis.url));
    const listening = await api.waitForLogLine((line) => line['msg'] === 'api listening', {
      message: 'the API process to log "api listening"',
      timeoutMs: START_TIMEOUT_MS,
    });
    const url = `http://127.0.0.1:${String(listening['port'])}`;
    await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, { message: 'the API to be ready' });
    const posted = await fetch(`${url}/api/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(templateRequest()),
    });
    expect(posted.status).toBe(202);
    api.signal('SIGTERM');
    await waitFor(() => api.hasExited(), { message: 'the API process to exit', timeoutMs: EXIT_WITHIN_MS });
    expect(await api.exited).toEqual({ code: 0, signal: null });
    expect(api.output()).not.toContain(TOKEN);
  });

  it('refuses to start without WXQ_API_TOKENS, saying so, and exits 1', async () => {
    const api = startApiProcess(testEnv(redis.url, { WXQ_API_TOKENS: undefined }));
    await waitFor(() => api.hasExited(), { message: 'the API process to exit', timeoutMs: START_TIMEOUT_MS });
    expect((await api.exited).code).toBe(1);
    const fatal = api.logLines().find((line) => line['level'] === 60);
    expect(JSON.stringify(fatal?.['issues'])).toContain('WXQ_API_TOKENS');
  });
});
