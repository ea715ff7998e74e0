import type { Logger } from '@wxq/logging';
import { type Campaigns, type Notifier, NotifyRequestError, messageRequestSchema } from '@wxq/notify';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { createBearerAuth } from './bearer-auth.js';
import { campaignRoutes } from './campaign-routes.js';
import { idempotencyKeyOf } from './idempotency-key.js';
import { ApiError, describeIssue } from './errors.js';
import { MESSAGE_ID, createOpenApiDocument } from './openapi.js';

/** 10 MiB: a message is a few KB; a request this large is refused before it is parsed. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface ApiAppDeps {
  readonly notifier: Notifier;
  readonly campaigns: Campaigns;
  /** SHA-256 digests of the bearer tokens (NotifyApiConfig.tokenDigests). */
  readonly tokenDigests: readonly string[];
  /**
   * Runs a request's Redis work, bounded: rejects with ApiError `unavailable` when Redis is not
   * connected, does not answer in time, or fails; a NotifyRequestError passes through.
   */
  readonly withRedis: <T>(work: () => Promise<T>) => Promise<T>;
  /** Redis answers a PING in time (and the API is not stopping). */
  readonly isReady: () => Promise<boolean>;
  readonly isDraining: () => boolean;
  readonly logger: Logger;
}

/**
 * The API's routes: POST /api/v1/messages, GET /api/v1/messages/:id, GET /api/v1/openapi.json
 * behind bearer auth; /healthz and /readyz without. Every answer is JSON, errors
 * `{"error": {"code", "message"}}` from one handler; each request is logged once, when it ends.
 */
export function createApiApp(deps: ApiAppDeps): Express {
  const { notifier, logger: log } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);

  app.use(accessLog(log));
  app.use(function refuseWhileDraining(_req, res, next) {
    if (!deps.isDraining()) {
      next();
      return;
    }
    // Like fastify's return503OnClosing: a keep-alive client is told to go elsewhere, and the
    // connection closes after this answer.
    res.setHeader('Connection', 'close');
    next(new ApiError('unavailable', 'the API is stopping'));
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const isReady = await deps.isReady();
    res.status(isReady ? 200 : 503).json({ status: isReady ? 'ready' : 'not ready' });
  });

  // Everything else needs a token, unknown paths included: a caller without one learns nothing of the routes.
  app.use(createBearerAuth(deps.tokenDigests));

  const document = createOpenApiDocument();
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(document);
  });

  const jsonBody = [
    requireJson,
    express.json({ limit: MAX_BODY_BYTES, strict: false, inflate: false, type: 'application/json' }),
  ];
  app.post('/api/v1/messages', ...jsonBody, async (req, res) => {
    const idempotencyKey = idempotencyKeyOf(req.headers['idempotency-key']);
    const parsed = messageRequestSchema.safeParse(req.body);
    if (!parsed.success) throw new ApiError('invalid_request', describeIssue(parsed.error));
    const record = await deps.withRedis(() =>
      notifier.send(parsed.data, idempotencyKey === undefined ? {} : { idempotencyKey }),
    );
    res.locals['messageId'] = record.id;
    // 202 for a repeat too: the same id, the status it has got to; nothing was queued again.
    res.status(202).json({ id: record.id, status: record.status });
  });

  app.get('/api/v1/messages/:id', async (req, res) => {
    const { id } = req.params;
    // Anything not shaped like an id cannot be one: answered without asking Redis.
    if (!MESSAGE_ID.test(id)) throw new ApiError('not_found', 'no such message');
    const record = await deps.withRedis(() => notifier.get(id));
    if (record === undefined) throw new ApiError('not_found', 'no such message');
    const { kind, account, to, status, errcode, reason, msgid } = record;
    res.json({
      id: record.id,
      kind,
      account,
      to,
      status,
      ...(errcode === undefined ? {} : { errcode }),
      ...(reason === undefined ? {} : { reason }),
      ...(msgid === undefined ? {} : { msgid }),
    });
  });

  app.use(campaignRoutes(deps.campaigns, deps.withRedis, jsonBody));

  const allow = (methods: string): RequestHandler =>
    function methodNotAllowed(_req, res, next) {
      res.setHeader('Allow', methods);
      next(new ApiError('method_not_allowed', `expected ${methods}`));
    };
  app.all('/api/v1/messages', allow('POST'));
  app.all('/api/v1/messages/:id', allow('GET, HEAD'));
  app.all('/api/v1/openapi.json', allow('GET, HEAD'));
  app.use((_req, _res, next) => {
    next(new ApiError('not_found', 'no such route'));
  });
  app.use(answerError(log));
  return app;
}

const requireJson: RequestHandler = function requireJson(req, _res, next) {
  // `application/json` with any parameters (charset); `+json` types and a missing type are not it.
  next(req.is('application/json') === 'application/json' ? undefined : mediaTypeError());
};

function mediaTypeError(): ApiError {
  return new ApiError('unsupported_media_type', 'expected Content-Type: application/json');
}

/** body-parser's error types (its README, "Errors") as the API's codes. */
const BODY_ERRORS: Readonly<Record<string, () => ApiError>> = {
  'entity.too.large': () => new ApiError('payload_too_large', `the body is over ${MAX_BODY_BYTES} bytes`),
  'entity.parse.failed': () => new ApiError('invalid_json', 'the body is not valid JSON'),
  'encoding.unsupported': () => new ApiError('unsupported_media_type', 'no Content-Encoding: send the JSON as it is'),
  'charset.unsupported': () => new ApiError('unsupported_media_type', 'expected charset utf-8'),
  'request.aborted': () => new ApiError('invalid_json', 'the body ended early'),
  'request.size.invalid': () => new ApiError('invalid_json', 'the body is not as long as Content-Length says'),
};

/** The one place errors become answers: known ones by their code, anything else logged and answered 500. */
function answerError(log: Logger): ErrorRequestHandler {
  return function apiErrorHandler(err: unknown, _req, res, _next) {
    const error = toApiError(err);
    if (error.status >= 500) {
      if (error.code === 'internal') log.error({ err }, 'request failed');
      else if (error.cause !== undefined) log.warn({ err: error.cause }, 'request answered 503');
      res.setHeader('Retry-After', '1');
    }
    if (error.code === 'unauthorized') res.setHeader('WWW-Authenticate', 'Bearer');
    res.locals['errorCode'] = error.code;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(error.status).json({ error: { code: error.code, message: error.message } });
  };
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof NotifyRequestError) return new ApiError(err.code, err.message);
  const type = (err as { type?: unknown } | null)?.type;
  const fromBody = typeof type === 'string' ? BODY_ERRORS[type] : undefined;
  if (fromBody !== undefined) return fromBody();
  // The router's own 400 (a path whose %-escapes do not decode).
  if ((err as { status?: unknown } | null)?.status === 400) return new ApiError('invalid_request', 'malformed URL');
  return new ApiError('internal', 'internal error', { cause: err });
}

/** One line per request, when it ends: method, route pattern, status, duration; never its body or headers. */
function accessLog(log: Logger): RequestHandler {
  return function accessLogLine(req, res, next) {
    const started = performance.now();
    res.once('close', () => {
      // The pattern matched (`/api/v1/messages/:id`), never the path: it holds the caller's ids.
      const route = (req.route as { path?: unknown } | undefined)?.path;
      log.info(
        {
          method: req.method,
          route: typeof route === 'string' ? route : null,
          status: res.statusCode,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
          ...(typeof res.locals['errorCode'] === 'string' ? { error: res.locals['errorCode'] } : {}),
          ...(typeof res.locals['messageId'] === 'string' ? { messageId: res.locals['messageId'] } : {}),
          ...(res.writableFinished ? {} : { aborted: true }),
        },
        'request',
      );
    });
    next();
  };
}
