import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface TransportRequest {
  readonly url: URL;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
}

export interface TransportAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

/** Thrown when the whole exchange, body included, took longer than its timeout. */
class TransportTimeoutError extends Error {
  override name = 'TimeoutError' as const;
}

// Keep-alive connections to the API host, shared by every call of the process: a send is one
// small request, and a new TLS handshake per send would cost more than the send.
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 256 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
};

/**
 * One request over node:http(s) with a keep-alive agent. Used instead of the global fetch for
 * JSON calls: measured here against the simulator, fetch cost about 3x the CPU per call (bench,
 * ~1000 vs ~300 us client+server), the largest single cost of a worker's send. undici's request
 * took about half of node:http's client CPU in a local micro-bench, but a worker on it peaked at
 * 176 MB instead of 124 draining at concurrency 50 (bench memory), over the 150 MB goal: not used.
 */
export function sendOverHttp(request: TransportRequest): Promise<TransportAnswer> {
  const { url } = request;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:'];
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
    // Options, not the URL: node would convert the URL into these on every call.
    const req = send({
      protocol: url.protocol,
      // An IPv6 literal comes bracketed in a URL, and bare in options.
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      method: request.method,
      agent,
      headers,
    });
    const timer = setTimeout(() => {
      req.destroy(new TransportTimeoutError(`no complete answer within ${request.timeoutMs} ms`));
    }, request.timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    req.once('error', fail);
    req.once('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', fail);
      res.once('end', () => {
        clearTimeout(timer);
        const contentType = res.headers['content-type'] ?? '';
        resolve({ status: res.statusCode ?? 0, contentType, bytes: new Uint8Array(Buffer.concat(chunks)) });
      });
    });
    req.end(request.body);
  });
}
