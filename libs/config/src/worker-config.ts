import { z } from 'zod';
import { type ApiConfig, apiEnvSchema, toApiConfig } from './api-config.js';
import { type AppConfig, appEnvSchema, deepFreeze, toAppConfig } from './app-config.js';
import { ConfigError } from './config-error.js';
import { nonNegativeInt, optionalString, port, positiveInt } from './env-schema.js';
import { parseEnvironment } from './parse-environment.js';

const workerEnvSchema = z
  .object({
    WXQ_HANDLERS: optionalString,
    WORKER_CONCURRENCY: positiveInt(50),
    OUTBOUND_CONCURRENCY: positiveInt(50),
    /** Notification sends at once per worker process: slots of their own, so replies never wait behind a campaign. */
    NOTIFY_CONCURRENCY: positiveInt(10),
    /** Template and subscribe sends per second per account, over every worker (docs/notifications.md); 0: no limit. */
    WXQ_TEMPLATE_RATE: nonNegativeInt(100),
    /** Subscribe consent credits (docs/notifications.md): refuse without one, only count, or not keep them. */
    WXQ_SUBSCRIBE_CONSENT: z
      .enum(['enforce', 'observe', 'off'], { message: 'expected enforce, observe or off' })
      .default('enforce'),
    HANDLER_ATTEMPTS: positiveInt(5).refine((n) => n <= 25, {
      message: 'at most 25 (the inbound jobs carry 25 attempts)',
    }),
    /** An attempt's handlers are abandoned after this long (ctx.signal aborts, their replies are dropped). */
    WXQ_HANDLER_TIMEOUT_MS: positiveInt(30_000).refine((n) => n <= 15 * 60_000, { message: 'at most 900000 (15 min)' }),
    /** Customer-service sends per second per account; 0 turns the limit off. */
    SEND_RATE_LIMIT_PER_SECOND: nonNegativeInt(0),
    /**
     * A killed worker's jobs are taken over within lock + 2 stalled intervals at worst (12 s by
     * default, docs/deploy.md): WeChat's users wait for those replies. A lock is renewed every
     * lock / 2, so an event loop blocked longer than that lets a job run twice.
     */
    WORKER_LOCK_DURATION_MS: positiveInt(6_000),
    WORKER_STALLED_INTERVAL_MS: positiveInt(3_000),
    SHUTDOWN_TIMEOUT_MS: positiveInt(30_000),
    /** The customer-service quota ledger (docs/quota.md): refuse, only count, or not keep it. */
    WXQ_CS_QUOTA: z
      .enum(['enforce', 'observe', 'off'], { message: 'expected enforce, observe or off' })
      .default('enforce'),
    /** Sends a user message allows (48 h) and an event allows (60 s); WeChat has changed them before. */
    WXQ_CS_QUOTA_MESSAGE: positiveInt(5),
    WXQ_CS_QUOTA_EVENT: positiveInt(3),
    /** A handler still running after this many ms makes the worker show Typing once; 0 = never. */
    WXQ_AUTO_TYPING_MS: nonNegativeInt(0),
    /** Replies go from their push's job while nothing stands in their way (docs/ordering.md); off: a job per reply. */
    WXQ_INLINE_SENDS: z.enum(['on', 'off'], { message: 'expected on or off' }).default('on'),
    /** passive-only: how long a reply waits for the user's next push before it is dropped (and counted). */
    WXQ_PENDING_REPLY_HOURS: positiveInt(48).refine((h) => h <= 24 * 30, { message: 'at most 720 (30 days)' }),
    /**
     * passive-only: the most replies a user's outbox keeps; past it the oldest are dropped (and
     * counted). A user takes one per push, so an outbox fed faster (a handler answering with many
     * replies, a user who stopped writing) only grows: the cap bounds its memory in Redis.
     */
    WXQ_PENDING_REPLIES_MAX: positiveInt(20).refine((n) => n <= 1000, { message: 'at most 1000' }),
    /** The probes and /metrics, without auth: bind them where only the orchestrator and Prometheus reach. */
    ADMIN_HOST: z.string().default('127.0.0.1'),
    ADMIN_PORT: port(3002),
  })
  .extend(apiEnvSchema.shape)
  .extend(appEnvSchema.shape);

export interface WorkerConfig extends AppConfig {
  readonly handlersModule: string | undefined;
  readonly api: ApiConfig;
  /** Per queue; NOTIFY_CONCURRENCY is the notify queue's and the notify-batch queue's each. */
  readonly concurrency: {
    readonly inbound: number;
    readonly outbound: number;
    readonly notify: number;
    readonly notifyBatch: number;
  };
  /** WXQ_TEMPLATE_RATE: an account's `templateRate` overrides it. */
  readonly templateRate: number;
  /** WXQ_SUBSCRIBE_CONSENT. */
  readonly subscribeConsent: 'enforce' | 'observe' | 'off';
  readonly handlerAttempts: number;
  /** WXQ_HANDLER_TIMEOUT_MS. */
  readonly handlerTimeoutMs: number;
  readonly sendRateLimitPerSecond: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly quota: {
    readonly mode: 'enforce' | 'observe' | 'off';
    readonly messageSends: number;
    readonly eventSends: number;
  };
  /** 0 when off. */
  readonly autoTypingMs: number;
  /** WXQ_INLINE_SENDS: a push's job sends its replies itself when it can. */
  readonly inlineSends: boolean;
  readonly pendingReplyTtlMs: number;
  /** WXQ_PENDING_REPLIES_MAX. */
  readonly pendingRepliesMax: number;
  /** The admin listener: /healthz, /readyz, /metrics (port 0: any free port). */
  readonly admin: { readonly host: string; readonly port: number };
}

/**
 * Reads the worker's settings from an environment. Accounts need an app secret unless the token
 * is read-only. Returns a frozen config.
 * @throws ConfigError listing every bad variable (values of secrets never appear)
 */
export function loadWorkerConfig(env: Readonly<Record<string, string | undefined>>): WorkerConfig {
  const { data: e, accounts, issues } = parseEnvironment(workerEnvSchema, env);
  // Production must not answer real users with the echo demo by accident (README, "Demo handlers").
  if (e !== undefined && e.WXQ_HANDLERS === undefined && env['NODE_ENV'] === 'production') {
    issues.push({
      variable: 'WXQ_HANDLERS',
      problem: 'not set while NODE_ENV=production: name your handlers module, or WXQ_HANDLERS=demo to run the demo',
    });
  }
  if (e !== undefined && !e.WECHAT_TOKEN_READ_ONLY) {
    for (const account of accounts ?? []) {
      if (account.appSecret === undefined) {
        issues.push({
          variable: 'WECHAT_APPSECRET',
          problem: `account ${account.appId} needs an app secret to fetch access_tokens (or set WECHAT_TOKEN_READ_ONLY=true)`,
        });
      }
    }
  }
  if (e === undefined || accounts === undefined || issues.length > 0) throw new ConfigError(issues);
  return deepFreeze({
    ...toAppConfig(
      e,
      accounts.map((a) => ({ ...a })),
    ),
    handlersModule: e.WXQ_HANDLERS,
    api: toApiConfig(e),
    concurrency: {
      inbound: e.WORKER_CONCURRENCY,
      outbound: e.OUTBOUND_CONCURRENCY,
      notify: e.NOTIFY_CONCURRENCY,
      notifyBatch: e.NOTIFY_CONCURRENCY,
    },
    templateRate: e.WXQ_TEMPLATE_RATE,
    subscribeConsent: e.WXQ_SUBSCRIBE_CONSENT,
    handlerAttempts: e.HANDLER_ATTEMPTS,
    handlerTimeoutMs: e.WXQ_HANDLER_TIMEOUT_MS,
    sendRateLimitPerSecond: e.SEND_RATE_LIMIT_PER_SECOND,
    lockDurationMs: e.WORKER_LOCK_DURATION_MS,
    stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
    quota: { mode: e.WXQ_CS_QUOTA, messageSends: e.WXQ_CS_QUOTA_MESSAGE, eventSends: e.WXQ_CS_QUOTA_EVENT },
    autoTypingMs: e.WXQ_AUTO_TYPING_MS,
    inlineSends: e.WXQ_INLINE_SENDS === 'on',
    pendingReplyTtlMs: e.WXQ_PENDING_REPLY_HOURS * 3600 * 1000,
    pendingRepliesMax: e.WXQ_PENDING_REPLIES_MAX,
    admin: { host: e.ADMIN_HOST, port: e.ADMIN_PORT },
  });
}
