import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NotifyApiConfig } from '@wxq/config';
import { closeServer, shutdownStep, watchRedis } from '@wxq/lifecycle';
import type { Logger } from '@wxq/logging';
import { NotifyRequestError, createCampaigns, createNotifier } from '@wxq/notify';
import { createLanes, createProducer } from '@wxq/queue';
import { type RedisClient, createQueueShards, createRedis, pingWithin, raceTimeout } from '@wxq/redis';
import { createApiApp } from './app.js';
import { ApiError } from './errors.js';

export interface ApiDeps {
  readonly logger: Logger;
}

export interface RunningApi {
  readonly port: number;
  /** Idempotent: answers 503 to new requests, waits for those in flight, closes the listener, the queue, then Redis. */
  stop(): Promise<void>;
}

/**
 * A request's Redis work gets this long, then 503: a caller's HTTP client should not be left
 * hanging on an outage, and one with an Idempotency-Key can retry safely.
 */
const REDIS_TIMEOUT_MS = 2_000;
/** A Redis PING slower than this means "not ready" to a load balancer. */
const READY_PING_TIMEOUT_MS = 1_000;
/** Above the usual reverse-proxy upstream keep-alive (nginx: 60 s), so the proxy closes first. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** A 10 MiB body from a slow client still arrives; a client that stalls does not hold a socket forever. */
const REQUEST_TIMEOUT_MS = 60_000;
/** How long a stopping API gives its queue to hear that a connection that never got ready ended. */
const QUEUE_END_MS = 1_000;

/** Starts the notifications API's listener on API_HOST:API_PORT. */
export async function startApi(config: NotifyApiConfig, deps: ApiDeps): Promise<RunningApi> {
  const log = deps.logger;
  // Fail fast (no offline queue): a request during an outage is answered 503 at once, not held.
  const redis = createRedis(config.redis, 'producer', 'wxq-api');
  watchRedis(redis, log, 'requests are answered 503 until it is back');
  // Notifications are an account's: shard 0's queue and keys (docs/shards.md).
  const shards = createQueueShards(config.queuePrefix, config.queueShards);
  const producer = createProducer('notify', { connection: redis, prefix: shards.at(0).prefix, settings: {} });
  // Customer-service messages are replies without a push: the user's shard's outbound queue and lane.
  const outbound = shards.map((shard) =>
    createProducer('outbound', { connection: redis, prefix: shard.prefix, settings: {} }),
  );
  const lanes = config.ordering ? shards.map((shard) => createLanes(redis, outbound.at(shard.index).queue)) : undefined;
  const queues = [producer.queue, ...outbound.all.map((p) => p.queue)];
  for (const queue of queues) {
    queue.on('error', (err) => {
      // During an outage the connection's own listener has said it once; this would repeat it.
      if (redis.status === 'ready') log.warn({ err, queue: queue.name }, 'queue error');
    });
  }
  // BullMQ holds a queue's commands until its connection has been ready once: until then, 503.
  let isQueueReady = false;
  Promise.all(queues.map((queue) => queue.waitUntilReady())).then(
    () => {
      isQueueReady = true;
    },
    // Closed before Redis ever came up; the queue's 'error' listener has logged why.
    () => undefined,
  );
  const notifier = createNotifier({
    redis,
    keys: shards.keys,
    producer,
    customerService: { shards, outbound, lanes },
    accounts: config.accounts.map((account) => account.appId),
  });
  const campaigns = createCampaigns({
    redis,
    keys: shards.keys,
    accounts: config.accounts.map((account) => account.appId),
  });
  let draining = false;

  const withRedis = async <T>(work: () => Promise<T>): Promise<T> => {
    if (!isQueueReady || redis.status !== 'ready') throw new ApiError('unavailable', 'Redis is not reachable');
    try {
      return await raceTimeout(work(), REDIS_TIMEOUT_MS, () => {
        throw new ApiError('unavailable', `Redis did not answer within ${REDIS_TIMEOUT_MS} ms`);
      });
    } catch (err) {
      if (err instanceof ApiError || err instanceof NotifyRequestError) throw err;
      if (isRedisError(err, redis)) throw new ApiError('unavailable', 'Redis is not reachable', { cause: err });
      throw err;
    }
  };

  const app = createApiApp({
    notifier,
    campaigns,
    tokenDigests: config.tokenDigests,
    withRedis,
    isReady: async () => !draining && isQueueReady && (await pingWithin(redis, READY_PING_TIMEOUT_MS)),
    isDraining: () => draining,
    logger: log,
  });
  const server = createServer(
    { keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, headersTimeout: 20_000, requestTimeout: REQUEST_TIMEOUT_MS },
    app,
  );
  // While stopping, a keep-alive connection closes as soon as its last answer is out, instead of
  // holding close() open until its keep-alive timeout (a reverse proxy keeps a pool of them).
  server.on('request', (_req, res) => {
    res.once('finish', () => {
      if (draining) {
        setImmediate(() => {
          server.closeIdleConnections();
        });
      }
    });
  });
  // `once` rejects on 'error' (EADDRINUSE, EACCES).
  server.listen(config.http.port, config.http.host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  log.info(
    { port, host: config.http.host, accounts: config.accounts.map((a) => a.appId), tokens: config.tokenDigests.length },
    'api listening',
  );

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      draining = true;
      log.info('api stopping: finishing requests in flight');
      await shutdownStep(log, 'listener closed', () => closeServer(server));
      // A queue that never reached Redis still waits for it, and a closed BullMQ queue rethrows the
      // connection's end as an unhandled rejection: end a connection that is not ready first, and
      // let the queue hear of it while it still listens (as the gateway does).
      const isRedisReady = redis.status === 'ready';
      if (!isRedisReady) {
        await shutdownStep(log, 'redis closed', async () => {
          redis.disconnect();
          await raceTimeout(Promise.allSettled(queues.map((queue) => queue.waitUntilReady())), QUEUE_END_MS, () => 0);
        });
      }
      await shutdownStep(log, 'queue closed', () =>
        Promise.all([producer.close(), ...outbound.all.map((p) => p.close())]),
      );
      if (isRedisReady) await shutdownStep(log, 'redis closed', () => redis.quit());
    })();
    return stopping;
  };
  return { port, stop };
}

/**
 * Whether a failed command failed for Redis's sake (not connected, or Redis answered an error:
 * OOM, READONLY, LOADING): the caller is told 503 and may retry. Anything else is a bug: 500.
 */
function isRedisError(err: unknown, redis: RedisClient): boolean {
  if (redis.status !== 'ready') return true;
  return err instanceof Error && (err.name === 'ReplyError' || err.name === 'MaxRetriesPerRequestError');
}
