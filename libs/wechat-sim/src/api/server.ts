// The simulator's HTTP listener: reads each request, applies injected faults, hands the rest to the
// families' endpoints by path, and logs every call with its answer.
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type AddressInfo, type Socket, isIPv4 } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { Fault, FaultList, SimulatorRequest } from './faults.js';
import { type Reply, readBody, writeReply } from './http-io.js';
import {
  type Endpoint,
  type Family,
  type JsonBody,
  MAX_JSON_BODY_BYTES,
  fail,
  isObject,
  notFound,
  parseJson,
  tooLarge,
} from './routes.js';

const REDACTED = '[redacted]';

/** One request and how the simulator answered it. */
export interface SimulatorCall extends SimulatorRequest {
  /** The account, from the token or the appid, when the simulator could tell. */
  readonly appId: string | null;
  /** null when the connection was dropped. */
  readonly httpStatus: number | null;
  /** 0 for success; null when the answer carried none (dropped, a bare 5xx). */
  readonly errcode: number | null;
  /** Whether an injected fault decided the answer (latency alone does not count). */
  readonly faulted: boolean;
}

interface SimulatorServerOptions {
  readonly host: string;
  readonly port: number;
  readonly now: () => number;
  readonly families: readonly Family[];
  readonly faults: FaultList;
  /** For calls a fault answered: the account the request names. */
  readonly accountOf: (query: URLSearchParams, json: JsonBody, nowMs: number) => string | null;
}

interface SimulatorServer {
  readonly url: string;
  /** A snapshot of the call log, in the order the calls were answered. */
  readonly calls: readonly SimulatorCall[];
  clearCalls(): void;
  /** Ends pending fault latencies, closes the listener and every connection. */
  stop(): Promise<void>;
}

/**
 * Listens on `host:port` (0 for any free port) and serves the families' endpoints.
 * @throws Error for two families serving one path; the listen error when the port is taken
 */
export async function startSimulatorServer(options: SimulatorServerOptions): Promise<SimulatorServer> {
  const { now, faults } = options;
  const endpoints = new Map<string, Endpoint>();
  for (const family of options.families) {
    for (const [path, endpoint] of Object.entries(family.endpoints)) {
      if (endpoints.has(path)) throw new Error(`two simulator families serve ${path}`);
      endpoints.set(path, endpoint);
    }
  }
  const underPrefix = [...endpoints].filter(([path]) => path.endsWith('/'));
  const calls: SimulatorCall[] = [];
  const sockets = new Set<Socket>();
  const stopping = new AbortController();
  let baseUrl = '';

  function endpointFor(path: string): Endpoint | undefined {
    return endpoints.get(path) ?? underPrefix.find(([prefix]) => path.startsWith(prefix))?.[1];
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const time = now();
    // WeChat's servers date their answers; clients read clock skew from it (the simulator's clock here).
    res.setHeader('date', new Date(time).toUTCString());
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const path = url.pathname;
    const endpoint = endpointFor(path);
    const read = await readBody(req, endpoint?.maxBodyBytes ?? MAX_JSON_BODY_BYTES);
    const json: JsonBody = read.tooLarge ? { kind: 'empty' } : parseJson(read.body);
    const request: SimulatorRequest = {
      method: req.method ?? 'GET',
      path,
      query: recordedQuery(url.searchParams),
      body: json.kind === 'json' ? redactSecret(json.value) : undefined,
      time,
    };
    const record = (answer: Pick<SimulatorCall, 'appId' | 'httpStatus' | 'errcode' | 'faulted'>): void => {
      calls.push({ ...request, ...answer });
    };

    const fault = faults.take(request);
    if (fault?.latencyMs !== undefined && fault.latencyMs > 0) {
      try {
        await delay(fault.latencyMs, undefined, { signal: stopping.signal });
      } catch {
        req.socket.destroy();
        return;
      }
    }
    if (fault?.dropConnection === true) {
      record({
        appId: options.accountOf(url.searchParams, json, now()),
        httpStatus: null,
        errcode: null,
        faulted: true,
      });
      req.socket.destroy();
      return;
    }
    if (fault !== undefined && (fault.httpStatus !== undefined || fault.errcode !== undefined)) {
      const reply = faultReply(fault);
      record({
        appId: options.accountOf(url.searchParams, json, now()),
        httpStatus: reply.status,
        errcode: reply.errcode,
        faulted: true,
      });
      writeReply(res, reply);
      return;
    }

    // Synchronous endpoints answer in the same turn that records their send, so a test that saw the
    // send also sees the call; only an upload (multipart parsing) awaits.
    const body = read.tooLarge ? undefined : read.body;
    const answered =
      endpoint === undefined
        ? body === undefined
          ? tooLarge()
          : notFound()
        : endpoint.handle({
            method: request.method,
            path,
            query: url.searchParams,
            body,
            json,
            contentType: req.headers['content-type'],
            nowMs: now(),
            clientIp: plainIp(req.socket.remoteAddress ?? ''),
            baseUrl,
          });
    const { reply, appId } = answered instanceof Promise ? await answered : answered;
    record({ appId, httpStatus: reply.status, errcode: reply.errcode, faulted: false });
    writeReply(res, reply);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // A bug or an aborted upload must never take the simulator down; WeChat's own answer is -1.
      if (!res.headersSent && !res.destroyed) writeReply(res, fail(-1, null, 500).reply);
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A server listening on a TCP port reports an AddressInfo; only a pipe or a closed server gives a string or null.
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}`;

  return {
    url: baseUrl,
    get calls() {
      return [...calls];
    },
    clearCalls() {
      calls.length = 0;
    },
    stop() {
      stopping.abort();
      return new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

/** Dual-stack sockets report IPv4 callers as ::ffff:a.b.c.d. */
function plainIp(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function faultReply(fault: Fault): Reply {
  if (fault.errcode !== undefined) return fail(fault.errcode, null, fault.httpStatus ?? 200).reply;
  const status = fault.httpStatus ?? 500;
  // What a proxy in front of the API answers: HTML, no errcode.
  return {
    status,
    headers: { 'content-type': 'text/html' },
    body: `<html><body><h1>${status}</h1></body></html>`,
    errcode: null,
  };
}

/** The query as recorded: never the access_token, never the secret. */
function recordedQuery(params: URLSearchParams): Readonly<Record<string, string>> {
  // The first of repeated parameters, as URLSearchParams.get reads them; fromEntries keeps
  // `__proto__` an ordinary key.
  const names = [...new Set(params.keys())].filter((name) => name !== 'access_token');
  return Object.fromEntries(names.map((name) => [name, name === 'secret' ? REDACTED : (params.get(name) ?? '')]));
}

function redactSecret(body: unknown): unknown {
  return isObject(body) && Object.hasOwn(body, 'secret') ? { ...body, secret: REDACTED } : body;
}
