import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@wxq/logging';
import type { PushAccount } from '@wxq/wechat';
import { GatewayError, answerFor } from '../http/errors.js';
import { readRawBody } from '../http/raw-body.js';
import type { GatewayMetrics } from '../metrics.js';
import type { AccountDirectory } from './accounts.js';
import type { Enqueuer } from './enqueue.js';
import { acceptPush } from './route.js';

export interface PushHandlerDeps {
  readonly accounts: AccountDirectory;
  readonly enqueuer: Enqueuer;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  readonly timestampSkewSeconds: number;
  readonly ipAllowed: (ip: string | undefined) => boolean;
  readonly isDraining: () => boolean;
  /** The client address as Express's `trust proxy` setting computes it. */
  readonly clientIp: (req: IncomingMessage) => string | undefined;
  readonly now: () => number;
}

const PUSH_PATH = /^\/wechat(?:\/([^/?#]+))?\/?(?:\?|$)/;
const REQUEST_ID = /^[\w.-]{1,64}$/;

/** The account segment of a push URL (`''` for `/wechat`), or undefined when this is not a push. */
export function matchPush(req: IncomingMessage): string | undefined {
  if (req.method !== 'POST') return undefined;
  const match = PUSH_PATH.exec(req.url ?? '');
  return match === null ? undefined : (match[1] ?? '');
}

/**
 * POST /wechat[/:appid] on plain node:http, in front of the Express app that serves everything
 * else. This is the one route WeChat calls per message; Express's per-request work (router,
 * request/response decoration, body parsers) cost more than verifying, parsing and enqueueing the
 * push together (bench/: the bare Express route does ~0.3x of bare node:http). Everything the
 * route decides lives in acceptPush; this adapter only reads, answers, logs and counts.
 */
export function createPushHandler(deps: PushHandlerDeps): (req: IncomingMessage, res: ServerResponse, appIdSegment: string) => void {
  // The enqueue histogram times Redis alone: from the add to its confirmation or failure.
  const timedEnqueuer: Enqueuer = {
    isReady: () => deps.enqueuer.isReady(),
    async enqueue(payload) {
      const end = deps.metrics.enqueueSeconds.startTimer();
      try {
        return await deps.enqueuer.enqueue(payload);
      } finally {
        end();
      }
    },
  };
  const withTimer = { ...deps, timedEnqueuer };
  return (req, res, appIdSegment) => {
    void handlePush(withTimer, req, res, appIdSegment);
  };
}

async function handlePush(deps: PushHandlerDeps & { timedEnqueuer: Enqueuer }, req: IncomingMessage, res: ServerResponse, appIdSegment: string): Promise<void> {
  const { timedEnqueuer } = deps;
  const started = performance.now();
  const header = req.headers['x-request-id'];
  const reqId = typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
  const ip = deps.clientIp(req);
  let account: PushAccount | undefined;
  let msgType = 'unparsed';
  let status = 200;
  let outcome: string;
  try {
    if (deps.isDraining()) throw new GatewayError('draining', 'the gateway is stopping');
    if (!deps.ipAllowed(ip)) throw new GatewayError('ip_forbidden', 'client address is not on WECHAT_IP_ALLOWLIST');
    account = appIdSegment === '' ? deps.accounts.defaultAccount : deps.accounts.find(safeDecode(appIdSegment));
    if (account === undefined) throw new GatewayError('unknown_account', 'no such account');
    const body = await readRawBody(req, deps.maxBodyBytes);
    const query = parseQuery(req.url ?? '');
    const result = await acceptPush(account, query, body, timedEnqueuer, { timestampSkewSeconds: deps.timestampSkewSeconds, now: deps.now });
    msgType = result.msgType;
    outcome = result.outcome;
    if (outcome === 'duplicate') deps.metrics.dedupHits.inc({ account: account.appId });
    answer(res, 200, 'success');
  } catch (error) {
    const failure = answerFor(error);
    status = failure.status;
    outcome = failure.outcome;
    if (status >= 500 && !(error instanceof GatewayError)) deps.logger.error({ err: error, reqId }, 'push failed');
    // 503 while draining, and 413 with a body still arriving: close rather than read on.
    answer(res, status, failure.body, status === 413 || failure.outcome === 'draining');
  }
  const accountId = account?.appId ?? 'unknown';
  deps.metrics.pushes.inc({ account: accountId, msg_type: msgType, outcome });
  const seconds = (performance.now() - started) / 1000;
  deps.metrics.httpSeconds.observe({ method: 'POST', route: appIdSegment === '' ? '/wechat' : '/wechat/:appid', status: String(status) }, seconds);
  const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
  deps.logger[level](
    { req: { id: reqId, method: 'POST', path: req.url?.split('?', 1)[0], ip }, account: accountId, msgType, outcome, res: { statusCode: status }, responseTime: Math.round(seconds * 1000) },
    'push answered',
  );
}

/** Like Express's simple query parser: a repeated parameter becomes an array (and then counts as absent). */
function parseQuery(url: string): Record<string, string | string[]> {
  const at = url.indexOf('?');
  const query: Record<string, string | string[]> = {};
  if (at === -1) return query;
  for (const [name, value] of new URLSearchParams(url.slice(at + 1))) {
    const previous = Object.hasOwn(query, name) ? query[name] : undefined;
    if (previous === undefined) Object.defineProperty(query, name, { value, enumerable: true, writable: true });
    else query[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return query;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}

function answer(res: ServerResponse, status: number, body: string, close = false): void {
  if (res.headersSent) return;
  const headers: Record<string, string | number> = { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) };
  if (close) headers['Connection'] = 'close';
  res.writeHead(status, headers);
  res.end(body);
}
