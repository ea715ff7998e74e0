import type { Account, WorkerConfig } from '@wxq/config';
import type { Handlers } from '@wxq/handlers';
import { shutdownStep } from '@wxq/lifecycle';
import type { Logger } from '@wxq/logging';
import { createQuotaLedger, createSendPause } from '@wxq/quota';
import { type ProcessorMap, QUEUES, QUEUE_KEYS, createLanes, createProducer, createQueueWorker } from '@wxq/queue';
import { type RedisClient, type WxqKeys, createKeys, createRedis } from '@wxq/redis';
import { Queue } from 'bullmq';
import {
  type WechatApiClient,
  createTokenStore,
  createWechatApiClient,
  fetchAccessToken,
  fetchStableAccessToken,
} from '@wxq/wechat-api';
import { createInboundProcessor } from './processors/inbound.js';
import { createOutboundProcessor } from './processors/outbound.js';
import { createSendCounters } from './processors/send-counters.js';
import { createSendRateLimiter } from './send-rate-limit.js';

export interface WorkerDeps {
  readonly logger: Logger;
  readonly handlers: Handlers;
}

export interface RunningWorker {
  /** Idempotent: lets active jobs finish, then closes the queues and Redis. */
  stop(): Promise<void>;
}

/** Starts one BullMQ worker per catalog queue, serving every configured account. */
export function startWorker(config: WorkerConfig, deps: WorkerDeps): RunningWorker {
  const log = deps.logger;
  const redis = createRedis(config.redis, 'worker', 'wxq-worker');
  redis.on('error', (err: Error) => {
    log.warn({ err }, 'redis error (commands wait for the reconnect)');
  });
  const keys = createKeys(config.queuePrefix);
  const apis = new Map(config.accounts.map((account) => [account.appId, createApi(account, config, redis, keys, log)]));
  const outbound = createProducer('outbound', { connection: redis, prefix: config.queuePrefix, settings: {} });
  outbound.queue.on('error', (err) => {
    log.warn({ err }, 'outbound queue error');
  });

  // Lanes look up and promote jobs of their queue: the inbound one needs a queue handle of its own.
  const inbound = new Queue(QUEUES.inbound.name, { connection: redis, prefix: config.queuePrefix });
  inbound.on('error', (err) => {
    log.warn({ err }, 'inbound queue error');
  });
  const lanes = config.ordering
    ? { inbound: createLanes(redis, inbound), outbound: createLanes(redis, outbound.queue) }
    : undefined;
  const { mode, messageSends, eventSends } = config.quota;
  const ledger =
    mode === 'off' ? undefined : createQuotaLedger({ redis, keyOf: keys.quota, rules: { messageSends, eventSends } });
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
    }),
    outbound: createOutboundProcessor({
      apis,
      rateLimiter: createSendRateLimiter(redis, keys, config.sendRateLimitPerSecond),
      pause: createSendPause(redis, keys),
      counters: createSendCounters(redis, keys),
      keys,
      lanes: lanes?.outbound,
      quota: ledger === undefined ? undefined : { ledger, enforce: mode === 'enforce' },
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
): WechatApiClient {
  const { baseUrl, timeoutMs, stableToken, tokenReadOnly } = config.api;
  const appSecret = account.appSecret ?? '';
  const tokens = createTokenStore({
    redis,
    appId: account.appId,
    keys: { token: keys.accessToken(account.appId), lock: keys.tokenLock(account.appId) },
    readOnly: tokenReadOnly,
    logger: log,
    fetchToken: () =>
      stableToken
        ? fetchStableAccessToken({ baseUrl, appId: account.appId, appSecret, timeoutMs, forceRefresh: false })
        : fetchAccessToken({ baseUrl, appId: account.appId, appSecret, timeoutMs }),
  });
  return createWechatApiClient({ baseUrl, tokens, timeoutMs, logger: log });
}
