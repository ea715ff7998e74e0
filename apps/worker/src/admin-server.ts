import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@wxq/logging';
import type { Registry } from 'prom-client';

export interface AdminServerDeps {
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  /** Reads Redis into the gauges before a scrape (bounded by its own timeout). */
  readonly refreshMetrics: () => Promise<void>;
  /** Redis reachable and every worker running. */
  readonly isReady: () => Promise<boolean>;
  readonly logger: Logger;
}

export interface RunningAdminServer {
  readonly port: number;
  /** Idempotent. */
  stop(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';
const PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The worker's admin listener on node:http: `/healthz` (200 while the process runs), `/readyz`
 * (200 when Redis answers and the workers run, else 503) and Prometheus `/metrics`, all without
 * auth: bind it where only the orchestrator and Prometheus reach (ADMIN_HOST, 127.0.0.1 by default).
 * @throws the listen error (EADDRINUSE, EACCES)
 */
export async function startAdminServer(deps: AdminServerDeps): Promise<RunningAdminServer> {
  const log = deps.logger;
  // Malformed requests (a bad request line, headers over 16 KB) get node's own 400 or 431, and the socket closes.
  const server = createServer({ headersTimeout: 10_000, requestTimeout: 15_000 }, (req, res) => {
    route(deps, req, res).catch((err: unknown) => {
      log.error({ err, path: pathOf(req.url) }, 'admin request failed');
      answer(res, 500, 'internal error\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.port, deps.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: deps.host, port }, 'worker admin listening (/healthz, /readyz, /metrics)');
  let stopping: Promise<void> | undefined;
  return {
    port,
    stop: () => {
      stopping ??= close(server);
      return stopping;
    },
  };
}

async function route(deps: AdminServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = pathOf(req.url);
  if (!PATHS.has(path)) {
    answer(res, 404, 'not found\n');
  } else if (req.method !== 'GET' && req.method !== 'HEAD') {
    answer(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
  } else if (path === '/healthz') {
    answer(res, 200, 'ok\n');
  } else if (path === '/readyz') {
    const isReady = await deps.isReady();
    answer(res, isReady ? 200 : 503, isReady ? 'ready\n' : 'not ready\n');
  } else {
    await deps.refreshMetrics();
    answer(res, 200, await deps.registry.metrics(), { 'Content-Type': deps.registry.contentType });
  }
}

/** The path without its query; anything that does not parse as an origin-form path is no path of ours. */
function pathOf(url: string | undefined): string {
  if (url === undefined || !url.startsWith('/')) return '';
  const end = url.indexOf('?');
  return end === -1 ? url : url.slice(0, end);
}

function answer(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, {
    'Content-Type': TEXT,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(body);
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => {
      if (err === undefined) resolve();
      else reject(err);
    });
    // Prometheus keeps its connection open between scrapes.
    server.closeIdleConnections();
  });
}
