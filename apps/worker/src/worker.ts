import { type Account, type WorkerConfig, replyModeOf } from '@wxq/config';
import type { Handlers } from '@wxq/handlers';
import { shutdownStep } from '@wxq/lifecycle';
import type { Logger } from '@wxq/logging';
import { createPassiveStore } from '@wxq/passive';
import { createQuotaLedger, createSendPause } from '@wxq/quota';
import { type ProcessorMap, QUEUES, QUEUE_KEYS, createLanes, createProducer, createQueueWorker } from '@wxq/queue';
import { type RedisClient, type WxqKeys, createKeys, createRedis, pingWithin } from '@wxq/redis';
import { Queue } from 'bullmq';
import {
  type WechatApiClient,
  createTokenStore,
  createWechatApiClient,
  fetchAccessToken,
  fetchStableAccessToken,
} from '@wxq/wechat-api';
import { startAdminServer } from './admin-server.js';
import { type WorkerMetrics, createWorkerMetrics } from './metrics.js';
import { createInboundProcessor } from './processors/inbound.js';
import { createOutboundProcessor } from './processors/outbound.js';
import { createSendCounters } from './processors/send-counters.js';
import { createSendRateLimiter } from './send-rate-limit.js';

export interface WorkerDeps {
  readonly logger: Logger;
  readonly handlers: Handlers;
}

export interface RunningWorker {
  readonly metrics: WorkerMetrics;
  /** Redis answers a PING within a second and every queue's worker runs; false once stopping. */
  isReady(): Promise<boolean>;
  /** Idempotent: lets active jobs finish, then closes the queues and Redis. */
  stop(): Promise<void>;
}

export interface RunningWorkerWithAdmin extends RunningWorker {
  /** The admin listener's port (ADMIN_PORT, or the one picked for 0). */
  readonly adminPort: number;
}

/** A Redis PING slower than this means "not ready" to the orchestrator. */
const READY_PING_TIMEOUT_MS = 1_000;
/** A scrape reads Redis within this, well inside Prometheus's default 10 s scrape timeout. */
const SCRAPE_REDIS_TIMEOUT_MS = 2_000;

/**
 * What `npm run worker` runs: {@link startWorker} and its admin listener on ADMIN_HOST:ADMIN_PORT
 * (/healthz, /readyz, /metrics). The listener stays up while active jobs finish, answering
 * /readyz 503, and closes last.
 * @throws the listen error (EADDRINUSE, ...), after stopping the worker
 */
export async function startWorkerWithAdmin(config: WorkerConfig, deps: WorkerDeps): Promise<RunningWorkerWithAdmin> {
  const worker = startWorker(config, deps);
  let admin: Awaited<ReturnType<typeof startAdminServer>>;
  try {
    admin = await startAdminServer({
      host: config.admin.host,
      port: config.admin.port,
      registry: worker.metrics.registry,
      refreshMetrics: () => worker.metrics.refresh(SCRAPE_REDIS_TIMEOUT_MS),
      isReady: () => worker.isReady(),
      logger: deps.logger,
    });
  } catch (err) {
    await worker.stop();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    ...worker,
    adminPort: admin.port,
    stop() {
      stopping ??= (async () => {
        await worker.stop();
        await shutdownStep(deps.logger, 'admin listener closed', () => admin.stop());
      })();
      return stopping;
    },
  };
}

/** Starts one BullMQ worker per catalog queue, serving every configured account. */
export function startWorker(config: WorkerConfig, deps: WorkerDeps): RunningWorker {
  const log = deps.logger;
  const redis = createRedis(config.redis, 'worker', 'wxq-worker');
  redis.on('error', (err: Error) => {
    log.warn({ err }, 'redis error (commands wait for the reconnect)');
  });
  const keys = createKeys(config.queuePrefix);
  const outbound = createProducer('outbound', { connection: redis, prefix: config.queuePrefix, settings: {} });
  outbound.queue.on('error', (err) => {
    log.warn({ err }, 'outbound queue error');
  });

  // Lanes look up and promote jobs of their queue: the inbound one needs a queue handle of its own.
  const inbound = new Queue(QUEUES.inbound.name, { connection: redis, prefix: config.queuePrefix });
  inbound.on('error', (err) => {
    log.warn({ err }, 'inbound queue error');
  });
  const metrics = createWorkerMetrics({
    redis,
    keys,
    queues: [inbound, outbound.queue],
    accounts: config.accounts.map((account) => account.appId),
  });
  const apis = new Map(
    config.accounts.map((account) => [account.appId, createApi(account, config, redis, keys, log, metrics)]),
  );
  const lanes = config.ordering
    ? { inbound: createLanes(redis, inbound), outbound: createLanes(redis, outbound.queue) }
    : undefined;
  const { mode, messageSends, eventSends } = config.quota;
  const ledger =
    mode === 'off' ? undefined : createQuotaLedger({ redis, keyOf: keys.quota, rules: { messageSends, eventSends } });
  const counters = createSendCounters(redis, keys);
  const replyModes = new Map(config.accounts.map((account) => [account.appId, replyModeOf(config, account)]));
  const passiveStore = [...replyModes.values()].some((m) => m !== 'customer-service')
    ? createPassiveStore({ redis, keys })
    : undefined;
  const rateLimiter = createSendRateLimiter(redis, keys, config.sendRateLimitPerSecond);
  const pause = createSendPause(redis, keys);
  const processors: ProcessorMap = {
    inbound: createInboundProcessor({
      handlers: deps.handlers,
      apis,
      outbound,
      redis,
      keys,
      handlerAttempts: config.handlerAttempts,
      lanes,
      ledger,
      autoTypingMs: config.autoTypingMs,
      passive:
        passiveStore === undefined
          ? undefined
          : { store: passiveStore, modes: replyModes, pendingTtlMs: config.pendingReplyTtlMs, counters },
      inline: {
        redis,
        keys,
        rateLimiter,
        pause,
        counters,
        ordering: lanes !== undefined,
        ledger,
        sends: metrics.sends,
      },
      handlerSeconds: metrics.handlerSeconds,
    }),
    outbound: createOutboundProcessor({
      apis,
      rateLimiter,
      pause,
      counters,
      keys,
      lanes: lanes?.outbound,
      quota: ledger === undefined ? undefined : { ledger, enforce: mode === 'enforce' },
      passive: passiveStore,
      sends: metrics.sends,
    }),
  };
  // Stalled-job recovery: a killed worker's lock expires after lockDuration and the next stalled
  // check (every stalledInterval) gives its jobs to another worker (~30 s with the defaults).
  const workers = QUEUE_KEYS.map((key) =>
    createQueueWorker(key, processors[key] as never, {
      connection: redis,
      prefix: config.queuePrefix,
      concurrency: config.concurrency[key],
      lockDuration: config.lockDurationMs,
      stalledInterval: config.stalledIntervalMs,
      logger: log,
    }),
  );
  for (const worker of workers) {
    worker.run().catch((err: unknown) => {
      log.error({ err, queue: worker.name }, 'worker stopped unexpectedly');
    });
  }
  log.info({ accounts: config.accounts.map((a) => a.appId), concurrency: config.concurrency }, 'worker running');

  let stopping: Promise<void> | undefined;
  return {
    metrics,
    isReady: async () =>
      stopping === undefined &&
      workers.every((worker) => worker.isRunning()) &&
      redis.status === 'ready' &&
      (await pingWithin(redis, READY_PING_TIMEOUT_MS)),
    stop() {
      stopping ??= (async () => {
        log.info('worker stopping: finishing active jobs');
        for (const worker of workers) await shutdownStep(log, `${worker.name} worker closed`, () => worker.close());
        await shutdownStep(log, 'queues closed', () => Promise.all([inbound.close(), outbound.close()]));
        await shutdownStep(log, 'redis closed', () => redis.quit());
      })();
      return stopping;
    },
  };
}

function createApi(
  account: Account,
  config: WorkerConfig,
  redis: RedisClient,
  keys: WxqKeys,
  log: Logger,
  metrics: WorkerMetrics,
): WechatApiClient {
  const { baseUrl, timeoutMs, stableToken, tokenReadOnly } = config.api;
  const appSecret = account.appSecret ?? '';
  const tokens = createTokenStore({
    redis,
    appId: account.appId,
    keys: { token: keys.accessToken(account.appId), lock: keys.tokenLock(account.appId) },
    readOnly: tokenReadOnly,
    logger: log,
    fetchToken: async () => {
      try {
        const token = await (stableToken
          ? fetchStableAccessToken({ baseUrl, appId: account.appId, appSecret, timeoutMs, forceRefresh: false })
          : fetchAccessToken({ baseUrl, appId: account.appId, appSecret, timeoutMs }));
        metrics.tokenRefreshes.inc({ account: account.appId, result: 'ok' });
        metrics.tokenFetched(account.appId, Date.now());
        return token;
      } catch (err) {
        metrics.tokenRefreshes.inc({ account: account.appId, result: 'error' });
        throw err;
      }
    },
  });
  return createWechatApiClient({ baseUrl, tokens, timeoutMs, logger: log });
}
