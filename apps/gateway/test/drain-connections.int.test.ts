// A stopping gateway and the keep-alive connections a reverse proxy keeps open to it. Raw sockets,
// not an Agent: an Agent drops an idle socket by itself after a few seconds, which would hide a
// listener that waits for its clients (its keep-alive timeout is 65 s).
import { type Socket, connect } from 'node:net';
import { signPlaintextPush, waitFor } from '@wxq/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { useGateway } from './helpers/harness.js';
import { DEFAULT_ACCOUNT, jobIdOf, textXml } from './helpers/pushes.js';

interface RawClient {
  /** Writes bytes as they are: a request, or part of one. */
  write(bytes: string): void;
  /** Resolves with the next complete answer (status line, headers and Content-Length body). */
  nextAnswer(): Promise<RawAnswer>;
  /** Resolves once `text` has arrived (an interim `100 Continue`, say). */
  received(text: string): Promise<void>;
  /** Whether the server closed the connection (FIN or reset); this client never does before the test ends. */
  isClosedByServer(): boolean;
}

interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A keep-alive HTTP/1.1 connection to `port`, destroyed when the test finishes. */
async function connectRaw(port: number): Promise<RawClient> {
  const socket: Socket = connect(port, '127.0.0.1');
  let closedByServer = false;
  let buffer = '';
  let consumed = 0;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
  });
  socket.on('end', () => {
    closedByServer = true;
  });
  socket.on('error', () => {
    closedByServer = true;
  });
  onTestFinished(() => {
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });

  function parseAnswer(): RawAnswer | undefined {
    const rest = buffer.slice(consumed);
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd === -1) return undefined;
    const [statusLine = '', ...lines] = rest.slice(0, headEnd).split('\r\n');
    const status = Number(statusLine.split(' ')[1]);
    if (status === 100) {
      consumed += headEnd + 4;
      return parseAnswer();
    }
    const headers = Object.fromEntries(
      lines.map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
      }),
    );
    const length = Number(headers['content-length'] ?? 0);
    if (rest.length < headEnd + 4 + length) return undefined;
    consumed += headEnd + 4 + length;
    return { status, headers, body: rest.slice(headEnd + 4, headEnd + 4 + length) };
  }

  return {
    write: (bytes) => {
      socket.write(bytes, 'latin1');
    },
    nextAnswer: () => waitFor(parseAnswer, { message: 'an answer on the raw connection' }),
    received: async (text) => {
      await waitFor(() => buffer.slice(consumed).includes(text), { message: `${JSON.stringify(text)} to arrive` });
    },
    isClosedByServer: () => closedByServer,
  };
}

describe('gateway stop with keep-alive connections', () => {
  it('closes an idle keep-alive connection and one that goes idle after its in-flight push, which is answered', async () => {
    const gateway = await useGateway();
    const port = Number(new URL(gateway.url).port);

    // A proxy's pooled connection: one request answered, then nothing, and the client keeps it open.
    const idle = await connectRaw(port);
    idle.write('GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n');
    expect(await idle.nextAnswer()).toMatchObject({ status: 200, body: 'ok' });

    // A push in flight on a keep-alive connection: headers read, body still coming.
    const xml = textXml();
    const push = signPlaintextPush(xml, { account: DEFAULT_ACCOUNT });
    const body = Buffer.from(push.body);
    const inFlight = await connectRaw(port);
    inFlight.write(
      `POST /wechat?${push.query} HTTP/1.1\r\nHost: gateway\r\nContent-Type: text/xml\r\n` +
        `Content-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
    );
    await inFlight.received('HTTP/1.1 100 Continue');

    let isStopped = false;
    const stopping = gateway.stop().then(() => {
      isStopped = true;
    });
    await waitFor(() => gateway.logs.lines().some((line) => line['msg'] === 'gateway stopping: draining requests'), {
      message: 'the gateway to start draining',
    });
    inFlight.write(body.toString('latin1'));
    expect(await inFlight.nextAnswer()).toMatchObject({ status: 200, body: 'success' });

    // Neither client leaves: the gateway must close both connections itself, well before their
    // keep-alive timeout (65 s), for its listener to close and stop() to resolve.
    await waitFor(() => isStopped, { timeoutMs: 10_000, message: 'stop() to resolve while clients hold connections' });
    await stopping;
    expect(idle.isClosedByServer()).toBe(true);
    expect(inFlight.isClosedByServer()).toBe(true);
    expect(gateway.logs.lines().map((line) => line['msg'])).toContain('public listener closed');
    expect(await gateway.queue.getJob(jobIdOf(xml))).toBeDefined();
  });
});
