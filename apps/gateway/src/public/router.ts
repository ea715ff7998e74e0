import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQueryString } from 'node:querystring';
import type { Logger } from '@wxq/logging';
import { type PushQuery, verifyEcho } from '@wxq/wechat';
import type { GatewayMetrics } from '../metrics.js';
import type { AccountDirectory, GatewayAccount } from './accounts.js';
import type { Enqueuer } from './enqueue.js';
import { GatewayError } from './errors.js';
import type { PassiveAnswerer } from './passive.js';
import { type PushSettings, acceptPush } from './push.js';
import { readRawBody } from './raw-body.js';
import { type Exchange, type RouteLabel, createResponder } from './respond.js';
import type { TrustProxy } from './trust-proxy.js';

export interface PublicRouterDeps {
  /** Filled with the pushes held without an answer (passive-only), for the gateway to close when it stops. */
  readonly held: Set<ServerResponse>;
  readonly accounts: AccountDirectory;
  readonly enqueuer: Enqueuer;
  /** Present when an account replies passively (WXQ_REPLY_MODE, docs/passive-replies.md). */
  readonly passive: PassiveAnswerer | undefined;
  /** PASSIVE_WAIT_MS: how long after a push arrives its passive answer may come. */
  readonly passiveWaitMs: number;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly trustProxy: TrustProxy;
  readonly ipAllowed: (ip: string | undefined) => boolean;
  /**
   * Whether there is an allow-list to judge by: false under WECHAT_IP_ALLOWLIST=auto until a first
   * callback IP list is known, when every request but a probe is answered 503 and /readyz is 503.
   */
  readonly isAllowlistKnown: () => boolean;
  readonly isDraining: () => boolean;
  /** Whether Redis answers now (for /readyz). */
  readonly isRedisReady: () => Promise<boolean>;
  readonly maxBodyBytes: number;
  readonly timestampSkewSeconds: number;
  /** Epoch milliseconds; injectable for replay-window tests. */
  readonly now: () => number;
}

// Paths match in any case and with or without a trailing slash, as Express routed the handshake;
// a push now follows the same rule, so a URL that passes the handshake also takes pushes.
const WECHAT_PATH = /^\/wechat(?:\/([^/]+))?\/?$/i;
const PROBE_PATH = /^\/(healthz|readyz)\/?$/i;
const NO_QUERY: PushQuery = Object.freeze({});
const XML = 'application/xml; charset=utf-8';
/**
 * A held push (passive-only) is closed by WeChat at 5 s; this only bounds a client that never
 * leaves. Under the reverse proxy's read timeout (deploy/nginx.conf), so the proxy never answers 504.
 */
const HOLD_MS = 8_000;

/**
 * The whole public listener on plain node:http: GET (and HEAD) /wechat[/:appid] answers the
 * handshake, POST /wechat[/:appid] takes a push, /healthz and /readyz are the probes, anything
 * else is a 404. POST is the one route WeChat calls per message, and a framework's per-request
 * work cost more than verifying, parsing and enqueueing the push together (bench/: a bare Express
 * route does ~0.3x of bare node:http), so there is no framework: one regex, one guard chain, and
 * respond.ts for every answer.
 */
export function createPublicRouter(deps: PublicRouterDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const respond = createResponder(deps);
  const settings: PushSettings = { timestampSkewSeconds: deps.timestampSkewSeconds, now: deps.now };

  /**
   * The guard chain, in order: draining -> allow-list (known, then allowed) -> account. Every
   * request but a probe goes through the first two, 404s included (outside the allow-list nothing
   * about the routes shows); /wechat[/:appid] then needs a configured account, which the exchange
   * records for the log line. Throws the GatewayError to answer with.
   */
  function guard(exchange: Exchange, wechat: RegExpExecArray | null): GatewayAccount | undefined {
    if (deps.isDraining()) throw new GatewayError('draining', 'the gateway is stopping');
    if (!deps.isAllowlistKnown())
      throw new GatewayError('allowlist_unknown', 'no callback IP list is known yet (WECHAT_IP_ALLOWLIST=auto)');
    if (!deps.ipAllowed(exchange.ip))
      throw new GatewayError('ip_forbidden', 'client address is not on WECHAT_IP_ALLOWLIST');
    if (wechat === null) return undefined;
    const segment = wechat[1];
    const account = segment === undefined ? deps.accounts.defaultAccount : deps.accounts.find(safeDecode(segment));
    if (account === undefined) throw new GatewayError('unknown_account', 'no such account');
    exchange.account = account.appId;
    return account;
  }

  async function servePush(exchange: Exchange, account: GatewayAccount, query: PushQuery): Promise<void> {
    try {
      const body = await readRawBody(exchange.req, deps.maxBodyBytes);
      const result = await acceptPush(account, query, body, deps.enqueuer, settings);
      exchange.msgType = result.msgType;
      exchange.outcome = result.outcome;
      const mode = account.replyMode;
      if (mode !== 'customer-service' && deps.passive !== undefined) {
        // The push is durable: whatever happens while it waits, WeChat's retry or the API delivers.
        const deadline = exchange.startedMs + deps.passiveWaitMs;
        const answer = await deps.passive.answer(account, mode, result, query, deadline);
        exchange.passive = answer.kind;
        if (answer.kind === 'hold') {
          respond.hold(exchange, HOLD_MS);
          return;
        }
        if (answer.kind === 'reply') {
          respond.answer(exchange, 200, answer.body, XML);
          return;
        }
      }
    } catch (error) {
      respond.fail(exchange, error);
      return;
    }
    respond.answer(exchange, 200, 'success');
  }

  function serveHandshake(exchange: Exchange, account: GatewayAccount, query: PushQuery): void {
    let echostr: string;
    try {
      echostr = verifyEcho(account, query);
    } catch (error) {
      respond.fail(exchange, error);
      return;
    }
    respond.answer(exchange, 200, echostr);
  }

  async function serveReadiness(exchange: Exchange): Promise<void> {
    let isReady: boolean;
    try {
      isReady = !deps.isDraining() && deps.isAllowlistKnown() && (await deps.isRedisReady());
    } catch (error) {
      respond.fail(exchange, error);
      return;
    }
    respond.answer(exchange, isReady ? 200 : 503, isReady ? 'ready' : 'not ready');
  }

  return function routePublicRequest(req, res) {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const method = req.method;
    const wechat = WECHAT_PATH.exec(path);
    const route: RouteLabel =
      wechat === null ? probeRoute(path) : wechat[1] === undefined ? '/wechat' : '/wechat/:appid';
    const exchange = respond.begin(req, res, path, route, wechat !== null && method === 'POST');
    const isRead = method === 'GET' || method === 'HEAD';

    // Probes skip the guards: load balancers ask from anywhere, and /readyz reports draining itself.
    if (isRead && route === '/healthz') {
      respond.answer(exchange, 200, 'ok');
      return;
    }
    if (isRead && route === '/readyz') {
      void serveReadiness(exchange);
      return;
    }

    let account: GatewayAccount | undefined;
    try {
      account = guard(exchange, wechat);
    } catch (error) {
      respond.fail(exchange, error);
      return;
    }
    if (account === undefined || !(isRead || method === 'POST')) respond.answer(exchange, 404, 'not found');
    else if (method === 'POST') void servePush(exchange, account, queryOf(url, queryAt));
    else serveHandshake(exchange, account, queryOf(url, queryAt));
  };
}

function probeRoute(path: string): RouteLabel {
  const probe = PROBE_PATH.exec(path)?.[1];
  if (probe === undefined) return 'other';
  return probe.toLowerCase() === 'healthz' ? '/healthz' : '/readyz';
}

/**
 * Parsed once per request, as Express's default ("simple") parser does: a repeated name becomes an array,
 * which then counts as absent.
 */
function queryOf(url: string, queryAt: number): PushQuery {
  return queryAt === -1 ? NO_QUERY : parseQueryString(url.slice(queryAt + 1));
}

/** A segment that does not decode names no account (404), rather than failing the request. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}
