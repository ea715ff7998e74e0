import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Logger, unredacted } from '@wxq/logging';
import { type GatewayMetrics, SLOW_ANSWER_SECONDS, SLOW_PASSIVE_ANSWER_SECONDS } from '../metrics.js';
import { GatewayError, answerFor } from './errors.js';
import type { TrustProxy } from './trust-proxy.js';

/** The `route` label of the request histogram: bounded, whatever the path was. */
export type RouteLabel = '/wechat' | '/wechat/:appid' | '/healthz' | '/readyz' | 'other';

/**
 * One request on the public listener, from arrival to answer. The router fills in what it learns
 * (the account, the message type, the outcome); {@link Responder.answer} turns it into the answer,
 * one log line and the metrics.
 */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly startedMs: number;
  /** X-Request-Id when it looks like one, else a fresh UUID. */
  readonly id: string;
  /** The path without the query, which carries signatures. */
  readonly path: string;
  readonly route: RouteLabel;
  readonly ip: string | undefined;
  /** POST /wechat[/:appid]: logged as `push answered` and counted in the pushes counter. */
  readonly isPush: boolean;
  /** The account's AppID once the path has named a configured one. */
  account: string | undefined;
  /** Pushes only: the parsed message's type label, `unparsed` until then. */
  msgType: string | undefined;
  /** accepted, duplicate, or the error code; undefined for an ordinary answer that is not a push. */
  outcome: string | undefined;
  /** Passive modes: what the push was answered with, `reply`, `success` or `hold` (docs/passive-replies.md). */
  passive: string | undefined;
  /** An error no table knows: logged with its stack, answered 500 without detail. */
  unexpected: unknown;
}

export interface Responder {
  /** Starts the record of a request: its id, client address and start time. */
  begin(req: IncomingMessage, res: ServerResponse, path: string, route: RouteLabel, isPush: boolean): Exchange;
  /** Sends `body` as text/plain (or `contentType`) with `status`, then logs one line and observes the metrics. */
  answer(exchange: Exchange, status: number, body: string, contentType?: string): void;
  /**
   * Answers nothing (passive-only, docs/passive-replies.md): WeChat gives up at 5 s and delivers
   * the push again. The connection is closed when the client leaves, or at the latest `holdMs`
   * after the request began.
   */
  hold(exchange: Exchange, holdMs: number): void;
  /** Answers what {@link answerFor} makes of `error`. */
  fail(exchange: Exchange, error: unknown): void;
}

export interface ResponderDeps {
  /** The pushes held without an answer now: a stopping gateway closes them at once (WeChat delivers again). */
  readonly held: Set<ServerResponse>;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly trustProxy: TrustProxy;
}

const REQUEST_ID = /^[\w.-]{1,64}$/;
const TEXT = 'text/plain; charset=utf-8';

/** The public listener's single exit: every answer, log line and request metric goes through here. */
export function createResponder(deps: ResponderDeps): Responder {
  const { metrics, trustProxy } = deps;
  // Every field of the access line is picked below: nothing in it for redaction to find.
  const logger = unredacted(deps.logger);

  /** `status` 0: held, no answer. */
  function record(exchange: Exchange, status: number): void {
    const { req } = exchange;
    const seconds = (performance.now() - exchange.startedMs) / 1000;
    const statusLabel = status === 0 ? 'none' : String(status);
    metrics.httpSeconds.observe({ method: req.method ?? '', route: exchange.route, status: statusLabel }, seconds);
    let account = exchange.account;
    if (exchange.isPush) {
      // Refused before the path named a configured account (draining, allow-list, unknown appid).
      account ??= 'unknown';
      metrics.pushes.inc({ account, msg_type: exchange.msgType ?? 'unparsed', outcome: exchange.outcome ?? 'unknown' });
      if (exchange.outcome === 'duplicate') metrics.dedupHits.inc({ account });
      if (status === 0) {
        metrics.heldPushes.inc({ account });
      } else {
        // A push that waited for its reply answers late by design; only an overrun is a near miss.
        const waited = exchange.passive !== undefined;
        const answer = waited ? (exchange.passive === 'reply' ? 'passive_reply' : 'passive_success') : 'ack';
        metrics.pushAnswerSeconds.observe({ account, answer }, seconds);
        if (seconds > (waited ? SLOW_PASSIVE_ANSWER_SECONDS : SLOW_ANSWER_SECONDS))
          metrics.slowAnswers.inc({ account });
      }
    }
    // Whitelisted fields only: the query carries signatures and the body user content.
    logger[levelOf(status)](
      {
        req: {
          id: exchange.id,
          method: req.method,
          path: exchange.path,
          ip: exchange.ip,
          protocol: trustProxy.protocol(req),
        },
        account,
        msgType: exchange.msgType,
        outcome: exchange.outcome,
        passive: exchange.passive,
        res: status === 0 ? undefined : { statusCode: status },
        responseTime: Math.round(seconds * 1000),
        err: exchange.unexpected,
      },
      status === 0 ? 'push held' : exchange.isPush ? 'push answered' : 'request completed',
    );
  }

  function answer(exchange: Exchange, status: number, body: string, contentType = TEXT): void {
    const { res } = exchange;
    if (!res.headersSent) {
      const headers: Record<string, string | number> = {
        'Content-Type': contentType,
        'Content-Length': Buffer.byteLength(body),
      };
      // 413: the rest of an oversized body is not worth reading. Draining: new requests get 503 and
      // the connection closes while in-flight ones finish; WeChat retries a 503 and a load balancer
      // moves on (fastify answers the same way while it closes).
      if (status === 413 || exchange.outcome === 'draining') headers['Connection'] = 'close';
      res.writeHead(status, headers);
      // node:http drops the body of an answer to HEAD and keeps the headers.
      res.end(body);
    }
    record(exchange, status);
  }

  return {
    begin: (req, res, path, route, isPush) => {
      const header = req.headers['x-request-id'];
      return {
        req,
        res,
        startedMs: performance.now(),
        id: typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID(),
        path,
        route,
        ip: trustProxy.clientIp(req),
        isPush,
        account: undefined,
        msgType: isPush ? 'unparsed' : undefined,
        outcome: undefined,
        passive: undefined,
        unexpected: undefined,
      };
    },
    answer,
    hold: (exchange, holdMs) => {
      const { res } = exchange;
      const cap = setTimeout(
        () => {
          res.destroy();
        },
        Math.max(0, exchange.startedMs + holdMs - performance.now()),
      );
      deps.held.add(res);
      res.once('close', () => {
        clearTimeout(cap);
        deps.held.delete(res);
      });
      record(exchange, 0);
    },
    fail: (exchange, error) => {
      const failure = answerFor(error);
      exchange.outcome = failure.outcome;
      if (failure.status >= 500 && !(error instanceof GatewayError)) exchange.unexpected = error;
      answer(exchange, failure.status, failure.body);
    },
  };
}

/** A 503 (draining, Redis away) is an expected state with log lines of its own, not a failure. */
function levelOf(status: number): 'info' | 'warn' | 'error' {
  if (status >= 500 && status !== 503) return 'error';
  return status >= 400 ? 'warn' : 'info';
}
