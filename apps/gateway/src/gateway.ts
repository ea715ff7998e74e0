import { type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewayConfig } from '@wxq/config';
import type { Logger } from '@wxq/logging';
import { closeServer, shutdownStep, watchRedis } from '@wxq/lifecycle';
import { OperatorQueue, QUEUES, QUEUE_KEYS, createLanes, createProducer, queueOnShard } from '@wxq/queue';
import { createPassiveStore, createReplyWaiters } from '@wxq/passive';
import { type QueueShard, createQueueShards, createRedis, pingWithin, raceTimeout } from '@wxq/redis';
import type { Queue } from 'bullmq';
import { type GatewayMetrics, UNSERVED_METRICS } from './metrics.js';
import type { RegisteredMetrics } from './metrics-registry.js';
import { createAccountDirectory } from './public/accounts.js';
import { createEnqueuer } from './public/enqueue.js';
import { createShardedEnqueuer } from './public/sharded-enqueuer.js';
import { createCallbackIpFetcher } from './public/callback-ip-fetcher.js';
import { startCallbackIpAllowlist } from './public/callback-ips.js';
import { createIpAllowlist } from './public/ip-allowlist.js';
import { createPassiveAnswerer } from './public/passive.js';
import { strictlyIncreasing } from './public/push.js';
import { createPublicRouter } from './public/router.js';
import { compileTrustProxy } from './public/trust-proxy.js';

export interface GatewayDeps {
  readonly logger: Logger;
  /** Epoch milliseconds; injectable for replay-window tests. */
  readonly now?: () => number;
}

export interface RunningGateway {
  readonly publicPort: number;
  /** Undefined when ADMIN_PASSWORD is not set. */
  readonly adminPort: number | undefined;
  /** Idempotent: drains requests, closes listeners, the queue, then Redis. */
  stop(): Promise<void>;
}

/** A Redis PING slower than this means "not ready" to a load balancer. */
const READY_PING_TIMEOUT_MS = 1_000;
/** Above the usual reverse-proxy upstream keep-alive (nginx: 60 s), so the proxy closes first. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** How long a stopping gateway gives its queues to hear that a connection that never got ready ended. */
const QUEUE_END_MS = 1_000;

/** Starts the public listener (and the admin listener when a password is set). */
export async function startGateway(config: GatewayConfig, deps: GatewayDeps): Promise<RunningGateway> {
  const log = deps.logger;
  // /metrics is served by the admin listener alone: without it nothing is recorded.
  const registered: RegisteredMetrics | undefined =
    config.admin.password === undefined ? undefined : (await import('./metrics-registry.js')).createGatewayMetrics();
  const metrics: GatewayMetrics = registered ?? UNSERVED_METRICS;
  const redis = createRedis(config.redis, 'producer', 'wxq-gateway');
  watchRedis(redis, log, 'pushes are answered 503 until it is back');
  // Queue shards (docs/shards.md): one inbound queue per shard, all on the one connection.
  const shards = createQueueShards(config.queuePrefix, config.queueShards);
  const producers = shards.map((shard) => {
    const producer = createProducer('inbound', {
      connection: redis,
      prefix: shard.prefix,
      settings: { dedupWindowSeconds: config.dedupWindowSeconds },
    });
    producer.queue.on('error', (err) => {
      // During an outage the connection's own listener has said it once; this would repeat it.
      if (redis.status === 'ready') log.warn({ err, shard: shard.index }, 'inbound queue error');
    });
    return producer;
  });
  let draining = false;
  // An account's keys (callback IPs, its token, the passive channel) are under shard 0's prefix.
  const keys = shards.keys;
  const accounts = createAccountDirectory(config.accounts, config);
  const now = strictlyIncreasing(deps.now ?? Date.now);
  // Passive replies (docs/passive-replies.md): one subscription, only when an account uses them.
  const passiveWaiters = config.accounts.some((a) => (a.replyMode ?? config.replyMode) !== 'customer-service')
    ? createReplyWaiters(createRedis(config.redis, 'worker', 'wxq-gateway-passive'), keys.passiveChannel, (err) => {
        log.warn({ err }, 'passive replies: subscription failed, held pushes answer at their deadline');
      })
    : undefined;

  const enqueuer = createShardedEnqueuer(
    shards,
    shards.all.map((shard) => {
      const producer = producers.at(shard.index);
      return createEnqueuer({
        producer,
        redis,
        ordering: config.ordering ? { lanes: createLanes(redis, producer.queue), keys: shard.keys } : undefined,
        timeoutMs: config.enqueueTimeoutMs,
        enqueueSeconds: metrics.enqueueSeconds,
      });
    }),
  );
  const held = new Set<ServerResponse>();
  const callbackIps =
    config.ipAllowlist.mode === 'auto'
      ? startCallbackIpAllowlist({
          redis,
          keys,
          appIds: config.accounts.map((account) => account.appId),
          fetchCallbackIps: createCallbackIpFetcher(config, redis, keys, log),
          logger: log,
        })
      : undefined;
  const routePublicRequest = createPublicRouter({
    held,
    accounts,
    enqueuer,
    passive:
      passiveWaiters === undefined
        ? undefined
        : createPassiveAnswerer({
            storeOf: shards.map((shard) => createPassiveStore({ redis, keys: shard.keys })).of,
            waiters: passiveWaiters,
            now: deps.now ?? Date.now,
          }),
    passiveWaitMs: config.passiveWaitMs,
    logger: log,
    metrics,
    trustProxy: compileTrustProxy(config.http.trustProxy),
    ipAllowed:
      config.ipAllowlist.mode === 'static'
        ? createIpAllowlist(config.ipAllowlist.cidrs)
        : (ip) => callbackIps?.isAllowed(ip) === true,
    isAllowlistKnown: () => callbackIps?.isKnown() ?? true,
    isDraining: () => draining,
    isRedisReady: async () => enqueuer.isReady() && (await pingWithin(redis, READY_PING_TIMEOUT_MS)),
    maxBodyBytes: config.http.maxBodyBytes,
    timestampSkewSeconds: config.timestampSkewSeconds,
    now,
  });
  const publicServer = createServer(
    { keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, headersTimeout: 20_000, requestTimeout: 30_000 },
    routePublicRequest,
  );
  await listen(publicServer, config.http.port, config.http.host);
  const publicPort = (publicServer.address() as AddressInfo).port;
  log.info(
    { port: publicPort, host: config.http.host, accounts: config.accounts.map((a) => a.appId) },
    'gateway listening',
  );

  let adminServer: Server | undefined;
  let board: readonly { readonly queue: Queue; readonly shard: QueueShard }[] = [];
  if (config.admin.password === undefined || registered === undefined) {
    log.warn('admin listener not started: set ADMIN_PASSWORD to serve Bull Board and /metrics');
  } else {
    // Bull Board shows every wxq queue: failed sends (45015, 45047, ...) wait in outbound. Its
    // queues are operator queues: a job retried from the board gets its whole attempt budget again.
    // With shards, one board queue per queue and shard.
    board = shards.all.flatMap((shard) =>
      QUEUE_KEYS.filter((key) => queueOnShard(key, shard.index)).map((key) => ({
        queue: new OperatorQueue(QUEUES[key].name, { connection: redis, prefix: shard.prefix }),
        shard,
      })),
    );
    for (const { queue, shard } of board) {
      queue.on('error', (err) => {
        log.warn({ err, queue: queue.name, shard: shard.index }, 'Bull Board queue error');
      });
    }
    adminServer = createServer(
      // Loaded only here: Express and Bull Board are most of a gateway's memory, and a gateway
      // without an admin listener never needs them.
      (await import('./admin/admin-app.js')).createAdminApp({
        queues: board.map(({ queue, shard }) => ({ queue, shard: shards.all.length === 1 ? undefined : shard })),
        metrics: registered,
        user: config.admin.user,
        password: config.admin.password,
        basePath: config.admin.basePath,
        redis,
        loginFailuresKey: keys.adminLoginFailures,
        trustProxy: config.http.trustProxy,
        log,
      }),
    );
    await listen(adminServer, config.admin.port, config.admin.host);
    log.info(
      { port: (adminServer.address() as AddressInfo).port, host: config.admin.host },
      `admin listening (Bull Board at ${config.admin.basePath}, /metrics)`,
    );
  }
  const adminPort = adminServer === undefined ? undefined : (adminServer.address() as AddressInfo).port;

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      draining = true;
      log.info('gateway stopping: draining requests');
      // A held push gets no answer either way; closed now, WeChat delivers it again elsewhere.
      for (const res of held) res.destroy();
      await shutdownStep(log, 'public listener closed', () => closeServer(publicServer));
      if (adminServer !== undefined) await shutdownStep(log, 'admin listener closed', () => closeServer(adminServer));
      const waiters = passiveWaiters;
      if (waiters !== undefined) await shutdownStep(log, 'passive subscription closed', () => waiters.close());
      if (callbackIps !== undefined) await shutdownStep(log, 'callback IP refresh stopped', () => callbackIps.stop());
      // Queues that never reached Redis (down since the start, or refusing the password) still wait
      // for it, and a closed BullMQ queue rethrows the connection's end as an unhandled rejection
      // (its listeners are gone by then), which would crash the process: end a connection that is
      // not ready first, and let the queues hear of it while they still listen.
      const isRedisReady = redis.status === 'ready';
      if (!isRedisReady) {
        const queues = [...producers.all.map((producer) => producer.queue), ...board.map(({ queue }) => queue)];
        await shutdownStep(log, 'redis closed', async () => {
          redis.disconnect();
          // Between two retries there is no socket to end and the queues hear nothing: bounded.
          await raceTimeout(Promise.allSettled(queues.map((queue) => queue.waitUntilReady())), QUEUE_END_MS, () => 0);
        });
      }
      // One line whatever the shards: the queues close together.
      await shutdownStep(log, 'queue closed', () => Promise.all(producers.all.map((producer) => producer.close())));
      if (board.length > 0) {
        await shutdownStep(log, 'Bull Board queues closed', () => Promise.all(board.map(({ queue }) => queue.close())));
      }
      if (isRedisReady) await shutdownStep(log, 'redis closed', () => redis.quit());
    })();
    return stopping;
  };
  return { publicPort, adminPort, stop };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
