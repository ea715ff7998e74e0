import { type Account, type WorkerConfig, replyModeOf } from '@wxq/config';
import type { Handlers } from '@wxq/handlers';
import { shutdownStep } from '@wxq/lifecycle';
import type { Logger } from '@wxq/logging';
import { createPassiveStore } from '@wxq/passive';
import { createQuotaLedger, createSendPause } from '@wxq/quota';
import {
  type ProcessorMap,
  type QueueKey,
  QUEUES,
  QUEUE_KEYS,
  createLanes,
  createProducer,
  createQueueWorker,
  queueOnShard,
} from '@wxq/queue';
import {
  createCampaignFeeder,
  createCampaigns,
  createConsentLedger,
  createNotificationRecords,
  createNotifier,
} from '@wxq/notify';
import {
  type QueueShards,
  type RedisClient,
  type WxqKeys,
  createQueueShards,
  createRedis,
  pingWithin,
} from '@wxq/redis';
import { Queue } from 'bullmq';
import { type WechatApiClient, createAccountClient } from '@wxq/wechat-api';
import { startAdminServer } from './admin-server.js';
import { type WorkerMetrics, createWorkerMetrics } from './metrics.js';
import { createInboundProcessor } from './processors/inbound.js';
import { type NotifyDeps, createNotifyProcessor } from './processors/notify.js';
import { createNotifyBatchProcessor } from './processors/notify-batch.js';
import { recentCampaigns, recentSendPause } from './processors/recent-reads.js';
import { createOutboundProcessor } from './processors/outbound.js';
import { createSendCounters } from './send-counters.js';
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
  // wxq's own commands (lanes, ledger, token, pause, progress, handlers' keys), pipelined by turn.
  const commands = createRedis(config.redis, 'commands', 'wxq-worker-commands');
  commands.on('error', (err: Error) => {
    log.warn({ err }, 'redis error (commands wait for the reconnect)');
  });
  // Queue shards (docs/shards.md): every shard's queues, all on the one connection. A user's keys
  // are their shard's; an account's (token, pause, send rate) are shard 0's, `keys`.
  const shards = createQueueShards(config.queuePrefix, config.queueShards);
  const keys = shards.keys;
  const outbound = shards.map((shard) => {
    const producer = createProducer('outbound', { connection: redis, prefix: shard.prefix, settings: {} });
    producer.queue.on('error', (err) => {
      log.warn({ err, shard: shard.index }, 'outbound queue error');
    });
    return producer;
  });

  // Lanes look up and promote jobs of their queue: the inbound one needs a queue handle of its own.
  const inbound = shards.map((shard) => {
    const queue = new Queue(QUEUES.inbound.name, { connection: redis, prefix: shard.prefix });
    queue.on('error', (err) => {
      log.warn({ err, shard: shard.index }, 'inbound queue error');
    });
    return queue;
  });
  // The notify queues are shard 0's (an account's): a handle each for their gauges.
  const [notify, notifyBatch] = [QUEUES.notify, QUEUES.notifyBatch].map(({ name }) => {
    const queue = new Queue(name, { connection: redis, prefix: shards.at(0).prefix });
    queue.on('error', (err) => {
      log.warn({ err, queue: name }, 'queue error');
    });
    return queue;
  }) as [Queue, Queue];
  const metrics = createWorkerMetrics({
    redis,
    shards,
    queues: [
      ...shards.all.flatMap((shard) => [
        { queue: inbound.at(shard.index), shard: shard.index },
        { queue: outbound.at(shard.index).queue, shard: shard.index },
      ]),
      { queue: notify, shard: 0 },
      { queue: notifyBatch, shard: 0 },
    ],
    accounts: config.accounts.map((account) => account.appId),
  });
  const apis = new Map(
    config.accounts.map((account) => [account.appId, createApi(account, config, commands, keys, log, metrics)]),
  );
  const lanes = config.ordering
    ? shards.map((shard) => ({
        inbound: createLanes(commands, inbound.at(shard.index)),
        outbound: createLanes(commands, outbound.at(shard.index).queue),
      }))
    : undefined;
  const { mode, messageSends, eventSends } = config.quota;
  const ledger =
    mode === 'off'
      ? undefined
      : createQuotaLedger({ redis: commands, keyOf: quotaKeyOf(shards), rules: { messageSends, eventSends } });
  const counters = createSendCounters(commands, keys);
  const replyModes = new Map(config.accounts.map((account) => [account.appId, replyModeOf(config, account)]));
  const passiveStore = [...replyModes.values()].some((m) => m !== 'customer-service')
    ? shards.map((shard) => createPassiveStore({ redis: commands, keys: shard.keys }))
    : undefined;
  const rateLimiter = createSendRateLimiter(commands, keys, config.sendRateLimitPerSecond);
  const pause = createSendPause(commands, keys);
  const notificationRecords = createNotificationRecords(commands, keys);
  const templateRates = new Map(
    config.accounts.flatMap((account) =>
      account.templateRate === undefined ? [] : [[account.appId, account.templateRate] as const],
    ),
  );
  const consent = config.subscribeConsent === 'off' ? undefined : createConsentLedger(commands, keys);
  const accountIds = config.accounts.map((account) => account.appId);
  const campaigns = createCampaigns({ redis: commands, keys, accounts: accountIds });
  // Campaigns' recipients become notify and notify-batch jobs a tick at a time (libs/notify campaign-feeder.ts).
  const notifyProducer = createProducer('notify', { connection: redis, prefix: shards.at(0).prefix, settings: {} });
  notifyProducer.queue.on('error', (err) => {
    log.warn({ err }, 'notify queue error');
  });
  const batchProducer = createProducer('notifyBatch', { connection: redis, prefix: shards.at(0).prefix, settings: {} });
  batchProducer.queue.on('error', (err) => {
    log.warn({ err }, 'notify-batch queue error');
  });
  const outboundLanes = lanes === undefined ? undefined : shards.map((shard) => lanes.at(shard.index).outbound);
  // Handlers' notifications (ctx.notify) are queued as the API queues them.
  const notifier = createNotifier({
    redis: commands,
    keys,
    producer: notifyProducer,
    customerService: { shards, outbound, lanes: outboundLanes },
    accounts: accountIds,
  });
  let feedErrorLoggedAt = 0;
  const feeder = createCampaignFeeder({
    redis: commands,
    keys,
    records: notificationRecords,
    producer: notifyProducer,
    batches: batchProducer,
    rateOf: (appId) => templateRates.get(appId) ?? config.templateRate,
    onError: (err) => {
      // Every tick fails alike while Redis is away: one line per outage minute, not five a second.
      if (Date.now() - feedErrorLoggedAt < 60_000) return;
      feedErrorLoggedAt = Date.now();
      log.warn({ err }, 'feeding campaigns failed (every tick tries again)');
    },
  });
  // One notification's send and a campaign batch's: the same reads, pause, rate and policy.
  const notifyDeps: NotifyDeps = {
    apis,
    records: notificationRecords,
    campaigns: recentCampaigns(campaigns),
    pause: recentSendPause(createSendPause(commands, keys, Date.now, keys.notificationPause)),
    rateLimiter: createSendRateLimiter(
      commands,
      keys,
      (appId) => templateRates.get(appId) ?? config.templateRate,
      keys.notificationRate,
    ),
    consent: consent === undefined ? undefined : { ledger: consent, enforce: config.subscribeConsent === 'enforce' },
    longTermTemplates: new Map(
      config.accounts.map((account) => [account.appId, new Set(account.longTermTemplates ?? [])]),
    ),
    notifications: metrics.notifications,
  };
  const processors: ProcessorMap = {
    inbound: createInboundProcessor({
      handlers: deps.handlers,
      apis,
      outbound,
      redis: commands,
      shards,
      handlerAttempts: config.handlerAttempts,
      handlerTimeoutMs: config.handlerTimeoutMs,
      lanes,
      ledger,
      autoTypingMs: config.autoTypingMs,
      passive:
        passiveStore === undefined
          ? undefined
          : {
              stores: passiveStore,
              modes: replyModes,
              outbox: { ttlMs: config.pendingReplyTtlMs, maxEntries: config.pendingRepliesMax },
              counters,
            },
      inline: config.inlineSends
        ? { redis: commands, rateLimiter, pause, counters, ordering: lanes !== undefined, ledger, sends: metrics.sends }
        : undefined,
      handlerSeconds: metrics.handlerSeconds,
      handlerTimeouts: metrics.handlerTimeouts,
      notificationEvents: { records: notificationRecords, consent },
      notifier,
    }),
    outbound: createOutboundProcessor({
      apis,
      rateLimiter,
      pause,
      counters,
      shards,
      lanes: outboundLanes,
      quota: ledger === undefined ? undefined : { ledger, enforce: mode === 'enforce' },
      passive: passiveStore,
      sends: metrics.sends,
      records: notificationRecords,
    }),
    notify: createNotifyProcessor(notifyDeps),
    notifyBatch: createNotifyBatchProcessor({ ...notifyDeps, singles: notifyProducer }),
  };
  // Stalled-job recovery: a killed worker's lock expires after lockDuration and a stalled check
  // (every stalledInterval, by every worker) that saw the job unlocked gives it to another worker
  // (within 12 s with the defaults).
  // One BullMQ worker per queue and shard, each with the queue's concurrency: a process runs up to
  // N times the configured concurrency (docs/shards.md).
  const workers = shards.all.flatMap((shard) =>
    // Generic in K, so that processors[key] is the processor of that very queue.
    QUEUE_KEYS.filter((key) => queueOnShard(key, shard.index)).map(<K extends QueueKey>(key: K) => ({
      shard: shard.index,
      worker: createQueueWorker(key, processors[key], {
        connection: redis,
        prefix: shard.prefix,
        concurrency: config.concurrency[key],
        lockDuration: config.lockDurationMs,
        stalledInterval: config.stalledIntervalMs,
        logger: log,
      }),
    })),
  );
  for (const { worker, shard } of workers) {
    worker.run().catch((err: unknown) => {
      log.error({ err, queue: worker.name, shard }, 'worker stopped unexpectedly');
    });
  }
  feeder.start();
  log.info(
    { accounts: config.accounts.map((a) => a.appId), concurrency: config.concurrency, shards: shards.all.length },
    'worker running',
  );

  let stopping: Promise<void> | undefined;
  return {
    metrics,
    isReady: async () =>
      stopping === undefined &&
      workers.every(({ worker }) => worker.isRunning()) &&
      redis.status === 'ready' &&
      commands.status === 'ready' &&
      (await Promise.all([redis, commands].map((client) => pingWithin(client, READY_PING_TIMEOUT_MS)))).every(Boolean),
    stop() {
      stopping ??= (async () => {
        log.info('worker stopping: finishing active jobs');
        await shutdownStep(log, 'campaign feeder stopped', () => feeder.stop());
        // A queue's workers close together: one closing while its other shards' still took jobs
        // would only move the wait.
        for (const key of QUEUE_KEYS) {
          const closing = workers.filter(({ worker }) => worker.name === QUEUES[key].name);
          await shutdownStep(log, `${QUEUES[key].name} worker closed`, () =>
            Promise.all(closing.map(({ worker }) => worker.close())),
          );
        }
        await shutdownStep(log, 'queues closed', () =>
          Promise.all([
            ...inbound.all.map((queue) => queue.close()),
            ...outbound.all.map((p) => p.close()),
            notify.close(),
            notifyBatch.close(),
            notifyProducer.close(),
            batchProducer.close(),
          ]),
        );
        await shutdownStep(log, 'redis closed', () => Promise.all([redis.quit(), commands.quit()]));
      })();
      return stopping;
    },
  };
}

/** A user's ledger is in their shard: the same key for their pushes' grants and their replies' sends. */
function quotaKeyOf(shards: QueueShards): (appId: string, openId: string) => string {
  return (appId, openId) => shards.of(appId, openId).keys.quota(appId, openId);
}

function createApi(
  account: Account,
  config: WorkerConfig,
  redis: RedisClient,
  keys: WxqKeys,
  log: Logger,
  metrics: WorkerMetrics,
): WechatApiClient {
  const { appId } = account;
  return createAccountClient({
    ...config.api,
    appId,
    appSecret: account.appSecret ?? '',
    redis,
    keys: { token: keys.accessToken(appId), lock: keys.tokenLock(appId) },
    logger: log,
    onTokenFetch: (result) => {
      metrics.tokenRefreshes.inc({ account: appId, result });
      if (result === 'ok') metrics.tokenFetched(appId, Date.now());
    },
  });
}
