import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@wxq/logging';
import type { PushAccount } from '@wxq/wechat';
import express, { type Express, type Request, type Response } from 'express';
import { pinoHttp } from 'pino-http';
import type { AccountDirectory } from './callback/accounts.js';
import { answerHandshake } from './callback/route.js';
import { createDrainingGuard } from './http/draining.js';
import { GatewayError, answerFor } from './http/errors.js';
import type { GatewayMetrics } from './metrics.js';

export interface PublicAppDeps {
  readonly accounts: AccountDirectory;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly trustProxy: boolean | number | string;
  readonly ipAllowed: (ip: string | undefined) => boolean;
  readonly isDraining: () => boolean;
  /** Whether Redis answers now (for /readyz). */
  readonly isRedisReady: () => Promise<boolean>;
}

const REQUEST_ID = /^[\w.-]{1,64}$/;

/**
 * The public listener's app: the GET handshake, health probes and every answer but pushes (POST
 * /wechat is served in front of it, by callback/push-handler.ts). It never serves Bull Board.
 */
export function createPublicApp(deps: PublicAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // The callback answers are tiny and never cached: ETag hashing is wasted work on the hot path.
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy);

  app.use(
    pinoHttp({
      logger: deps.logger,
      wrapSerializers: false,
      genReqId: (req: IncomingMessage) => {
        const header = req.headers['x-request-id'];
        return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
      },
      // Whitelisted fields: the query carries signatures and the body user content.
      serializers: {
        // wrapSerializers is off, so this gets Express's own request (ip and protocol honour trust proxy).
        req: (req: Request) => ({
          id: req.id,
          method: req.method,
          path: req.originalUrl.split('?', 1)[0],
          ip: req.ip,
          protocol: req.protocol,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      // A 503 (draining, Redis away) is an expected state with its own log lines, not a failure.
      customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
        error !== undefined || (res.statusCode >= 500 && res.statusCode !== 503) ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    }),
  );
  app.use(function recordDuration(req, res, next) {
    const end = deps.metrics.httpSeconds.startTimer();
    res.once('finish', () => {
      end({ method: req.method, route: routeLabel(req), status: String(res.statusCode) });
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  app.get('/readyz', async (_req, res) => {
    const ready = !deps.isDraining() && (await deps.isRedisReady());
    res.status(ready ? 200 : 503).type('text/plain').send(ready ? 'ready' : 'not ready');
  });

  const callback = express.Router();
  callback.use(createDrainingGuard(deps.isDraining));
  callback.use(function allowlist(req, _res, next) {
    next(deps.ipAllowed(req.ip) ? undefined : new GatewayError('ip_forbidden', 'client address is not on WECHAT_IP_ALLOWLIST'));
  });

  const handshake = (req: Request, res: Response) => {
    const account = resolveAccount(deps.accounts, req);
    const echostr = answerHandshake(account, req.query);
    res.type('text/plain').send(echostr);
  };
  callback.get(['/wechat', '/wechat/:appid'], handshake);
  app.use(callback);

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found');
  });
  app.use((error: unknown, req: Request, res: Response, _next: express.NextFunction) => {
    const answer = answerFor(error);
    if (answer.status >= 500) req.log.error({ err: error }, 'request failed');
    req.log.setBindings({ outcome: answer.outcome });
    if (res.headersSent) return;
    // The rest of an oversized body is not worth reading: close instead of draining it.
    if (answer.status === 413) res.setHeader('Connection', 'close');
    res.status(answer.status).type('text/plain').send(answer.body);
  });
  return app;
}

function resolveAccount(accounts: AccountDirectory, req: Request): PushAccount {
  const appId = req.params['appid'];
  if (appId === undefined) return accounts.defaultAccount;
  const account = typeof appId === 'string' ? accounts.find(appId) : undefined;
  if (account === undefined) throw new GatewayError('unknown_account', 'no such account');
  return account;
}

function routeLabel(req: Request): string {
  const path = req.path;
  if (path === '/wechat' || path.startsWith('/wechat/')) return path === '/wechat' ? '/wechat' : '/wechat/:appid';
  return path === '/healthz' || path === '/readyz' ? path : 'other';
}
