// HTTP requests with node:http (not fetch: the tests need raw bodies, chunked bodies without
// Content-Length, requests held in flight, and agents).
import {
  type Agent,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
} from 'node:http';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly bytes: Buffer;
}

export interface SendOptions {
  readonly method?: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: string | Buffer;
  /** Default: a connection of its own (`agent: false`). */
  readonly agent?: Agent;
}

/** One request; rejects only when there is no answer (connection refused, reset). */
export function send(url: string, options: SendOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false },
      (res) => {
        readAnswer(res).then(resolve, reject);
      },
    );
    req.once('error', reject);
    req.end(options.body);
  });
}

/** Basic auth header value. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * POSTs `totalBytes` of `fill` in chunks without Content-Length (Transfer-Encoding: chunked), and
 * stops writing once an answer arrives: a gateway refusing the body may close the connection early.
 */
export function sendChunked(url: string, totalBytes: number, fill = 'x', chunkBytes = 64 * 1024): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(url, { method: 'POST', agent: false, headers: { 'Content-Type': 'text/xml' } }, (res) => {
      answered = true;
      readAnswer(res).then(resolve, reject);
    });
    // Once answered, a write into the closed connection may fail (EPIPE, ECONNRESET): that is the point.
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const chunk = Buffer.alloc(chunkBytes, fill);
    let sent = 0;
    const writeMore = (): void => {
      while (sent < totalBytes && !answered && !req.destroyed) {
        const size = Math.min(chunkBytes, totalBytes - sent);
        sent += size;
        if (!req.write(size === chunkBytes ? chunk : chunk.subarray(0, size))) {
          req.once('drain', writeMore);
          return;
        }
      }
      if (!answered && !req.destroyed) req.end();
    };
    writeMore();
  });
}

export interface SlowPost {
  /** Resolves once the server has read the headers and asked for the body (100 Continue). */
  readonly started: Promise<void>;
  /** Sends part of the body now (chunked). */
  write(part: string | Buffer): void;
  /** Sends the rest of the body and ends the request. */
  finish(part: string | Buffer): void;
  readonly answer: Promise<HttpAnswer>;
}

/** A POST whose body comes later, to hold a request in flight (`Expect: 100-continue`, no Content-Length). */
export function startSlowPost(url: string): SlowPost {
  const req = request(url, {
    method: 'POST',
    agent: false,
    headers: { expect: '100-continue', 'content-type': 'text/xml' },
  });
  const answer = new Promise<HttpAnswer>((resolve, reject) => {
    req.once('response', (res) => {
      readAnswer(res).then(resolve, reject);
    });
    req.once('error', reject);
  });
  const continued = new Promise<void>((resolve) => req.once('continue', resolve));
  const answeredEarly = answer.then((early) => {
    throw new Error(`answered ${early.status} ${early.body} before asking for the body`);
  });
  // Only `started` reports an early answer; `answer` itself still settles for whoever awaits it.
  answeredEarly.catch(() => undefined);
  req.flushHeaders();
  return {
    started: Promise.race([continued, answeredEarly]),
    write: (part) => {
      req.write(part);
    },
    finish: (part) => {
      req.end(part);
    },
    answer,
  };
}

/** Collects a response into an {@link HttpAnswer}. */
function readAnswer(res: IncomingMessage): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.once('error', reject);
    res.once('end', () => {
      const bytes = Buffer.concat(chunks);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString('utf8'), bytes });
    });
  });
}
