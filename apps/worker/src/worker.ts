import type { Account, WorkerConfig } from '@wxq/config';
import type { Logger } from '@wxq/logging';
import { QUEUES } from '@wxq/queue';
import { type RedisClient, createRedis } from '@wxq/redis';
import { type WechatApiClient, createTokenStore, createWechatApiClient, fetchAccessToken, fetchStableAccessToken } from '@wxq/wechat-api';
import { Queue, Worker } from 'bullmq';
import type { Handlers } from './handlers/define.js';
import { createInboundProcessor } from './inbound.js';
import { createOutboundProcessor } from './outbound.js';
import { createSendRateLimiter } from './send-rate-limit.js';

export interface WorkerDeps {
  readonly logger: Logger;
  readonly handlers: Handlers;
}

export interface RunningWorker {
  /** Idempotent: lets active jobs finish, then closes the queues and Redis. */
  stop(): Promise<void>;
}

/** Starts the inbound and outbound BullMQ workers for every configured account. */
export function startWorker(config: WorkerConfig, deps: WorkerDeps): RunningWorker {
  const log = deps.logger;
  const redis = createRedis(config.redis, 'worker', 'wxq-worker');
  redis.on('error', (err: Error) => {
    log.warn({ err }, 'redis error (commands wait for the reconnect)');
  });
  const apis = new Map(config.accounts.map((account) => [account.appId, createApi(account, config, redis, log)]));
  const outbound = new Queue(QUEUES.outbound.name, { connection: redis, prefix: config.queuePrefix });
  outbound.on('error', (err) => {
    log.warn({ err }, 'outbound queue error');
  });

  // Stalled-job recovery: a killed worker's lock expires after lockDuration and the next stalled
  // check (every stalledInterval) gives its jobs to another worker (~30 s with the defaults).
  const common = {
    connection: redis,
    prefix: config.queuePrefix,
    autorun: false,
    lockDuration: config.lockDurationMs,
    stalledInterval: config.stalledIntervalMs,
  };
  const inboundWorker = new Worker(
    QUEUES.inbound.name,
    createInboundProcessor({ handlers: deps.handlers, apis, outbound, redis, log, handlerAttempts: config.handlerAttempts }),
    { ...common, concurrency: config.concurrency.inbound },
  );
  const outboundWorker = new Worker(
    QUEUES.outbound.name,
    createOutboundProcessor({ apis, rateLimiter: createSendRateLimiter(redis, config.queuePrefix, config.sendRateLimitPerSecond), log }),
    { ...common, concurrency: config.concurrency.outbound },
  );
  for (const worker of [inboundWorker, outboundWorker]) {
    worker.on('error', (err) => {
      log.error({ err, queue: worker.name }, 'worker error');
    });
    worker.on('failed', (job, err) => {
      log.warn({ queue: worker.name, jobId: job?.id, attempt: job?.attemptsMade, reason: err.message }, 'job failed');
    });
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
        await step(log, 'inbound worker closed', () => inboundWorker.close());
        await step(log, 'outbound worker closed', () => outboundWorker.close());
        await step(log, 'outbound queue closed', () => outbound.close());
        await step(log, 'redis closed', async () => {
          await redis.quit();
        });
      })();
      return stopping;
    },
  };
}

function createApi(account: Account, config: WorkerConfig, redis: RedisClient, log: Logger): WechatApiClient {
  const { baseUrl, timeoutMs, stableToken, tokenReadOnly } = config.api;
  const appSecret = account.appSecret ?? '';
  const tokens = createTokenStore({
    redis,
    appId: account.appId,
    keyPrefix: config.queuePrefix,
    readOnly: tokenReadOnly,
    logger: log,
    fetchToken: () =>
      stableToken
        ? fetchStableAccessToken({ baseUrl, appId: account.appId, appSecret, timeoutMs, forceRefresh: false })
        : fetchAccessToken({ baseUrl, appId: account.appId, appSecret, timeoutMs }),
  });
  return createWechatApiClient({ baseUrl, tokens, timeoutMs, logger: log });
}

async function step(log: Logger, done: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
    log.info(done);
  } catch (err) {
    log.error({ err }, `shutdown step failed: ${done}`);
  }
}
