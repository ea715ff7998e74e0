// A gateway started in-process with env overrides, a log sink, and a view of its queue on a
// connection of the test's own.
import { randomUUID } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import { type Account, type GatewayConfig, loadGatewayConfig } from '@wxq/config';
import { createLogger } from '@wxq/logging';
import { QUEUES } from '@wxq/queue';
import { type RedisClient, createRedis } from '@wxq/redis';
import { type LogSink, type SignedPush, createLogSink, waitFor } from '@wxq/testing';
import { Queue } from 'bullmq';
import { inject, onTestFinished } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/gateway.js';
import { type HttpAnswer, type SendOptions, send } from './http.js';
import { AES_KEY, APP_ID, TOKEN } from './pushes.js';

export interface TestGatewayOptions {
  /** Merged over the defaults; `undefined` removes a default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default: the run's shared Redis. */
  readonly redisUrl?: string;
  /** Replaces the configured accounts, for the shared vectors (their Token is not console-valid). */
  readonly accounts?: readonly Account[];
  readonly now?: () => number;
  /** Wait for /readyz to answer 200 before returning (default true; false for a Redis that is down). */
  readonly awaitReady?: boolean;
}

export interface TestGateway {
  readonly url: string;
  /** Undefined when the admin listener did not start. */
  readonly adminUrl: string | undefined;
  readonly config: GatewayConfig;
  readonly prefix: string;
  /** The inbound queue, seen through a connection of the test's own; job data is whatever Redis holds. */
  readonly queue: Queue<unknown>;
  /** A connection of the test's own to the gateway's Redis. */
  readonly redis: RedisClient;
  readonly logs: LogSink;
  /** POST a push to `path` (default `/wechat`). */
  push(push: SignedPush, path?: string, headers?: OutgoingHttpHeaders): Promise<HttpAnswer>;
  /** GET or POST anything on the public listener. */
  send(path: string, options?: SendOptions): Promise<HttpAnswer>;
  /** Jobs in the queue, in any state. */
  jobCount(): Promise<number>;
  /** Every value stored under the queue prefix, as one string (to search for secrets). */
  dumpRedis(): Promise<string>;
  /** Stops the gateway only. Idempotent. */
  stop(): Promise<void>;
  /** Stops the gateway, obliterates the queue, closes the test's connections. Idempotent. */
  close(): Promise<void>;
}

/** The environment a test gateway starts from: default account, loopback listeners on port 0, a fresh queue prefix. */
export function testEnv(
  redisUrl: string,
  overrides: Readonly<Record<string, string | undefined>> = {},
): Record<string, string | undefined> {
  return {
    WECHAT_APPID: APP_ID,
    WECHAT_TOKEN: TOKEN,
    WECHAT_ENCODING_AES_KEY: AES_KEY,
    HOST: '127.0.0.1',
    PORT: '0',
    ADMIN_HOST: '127.0.0.1',
    ADMIN_PORT: '0',
    REDIS_URL: redisUrl,
    WXQ_QUEUE_PREFIX: `{test-${randomUUID()}}`,
    LOG_LEVEL: 'info',
    ...overrides,
  };
}

/** Starts a gateway in this process; the caller closes it (see {@link useGateway}). */
async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const env = testEnv(options.redisUrl ?? inject('redisUrl'), options.env);
  const loaded = loadGatewayConfig(env);
  const config: GatewayConfig = options.accounts === undefined ? loaded : { ...loaded, accounts: options.accounts };
  const logs = createLogSink();
  const logger = createLogger({ level: config.logLevel, name: 'gateway' }, logs.stream);
  const redis = createRedis(config.redis, 'worker', 'wxq-test');
  // Expected while a test has Redis down; commands still wait for it to come back.
  redis.on('error', () => undefined);
  const queue = new Queue<unknown>(QUEUES.inbound.name, { connection: redis, prefix: config.queuePrefix });
  queue.on('error', () => undefined);

  let gateway: RunningGateway;
  try {
    gateway = await startGateway(config, { logger, ...(options.now === undefined ? {} : { now: options.now }) });
  } catch (error) {
    await queue.close();
    await redis.quit();
    throw error;
  }
  const url = `http://127.0.0.1:${gateway.publicPort}`;
  const adminUrl = gateway.adminPort === undefined ? undefined : `http://127.0.0.1:${gateway.adminPort}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const errors: unknown[] = [];
      const steps = [
        () => gateway.stop(),
        () => queue.obliterate({ force: true }),
        () => queue.close(),
        () => redis.quit(),
      ];
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, 'closing the test gateway failed');
    })();
    return closing;
  };

  // The gateway listens before its Redis connection is up and answers 503 until it is, as it would
  // for WeChat; tests start sending once it says it is ready.
  if (options.awaitReady ?? true) {
    try {
      await waitFor(async () => (await send(`${url}/readyz`)).status === 200, { message: 'the gateway to be ready' });
    } catch (error) {
      await close();
      throw error;
    }
  }

  return {
    url,
    adminUrl,
    config,
    prefix: config.queuePrefix,
    queue,
    redis,
    logs,
    push: (push, path = '/wechat', headers = {}) =>
      send(`${url}${path}?${push.query}`, { method: 'POST', body: push.body, headers }),
    send: (path, sendOptions) => send(`${url}${path}`, sendOptions),
    jobCount: async () => {
      const counts = await queue.getJobCounts();
      return Object.values(counts).reduce((sum, count) => sum + count, 0);
    },
    dumpRedis: () => dumpKeys(redis, `${config.queuePrefix}:*`),
    stop: () => gateway.stop(),
    close,
  };
}

/** {@link startTestGateway}, closed when the current test finishes. Call it inside a test. */
export async function useGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const gateway = await startTestGateway(options);
  onTestFinished(() => gateway.close());
  return gateway;
}

async function dumpKeys(redis: RedisClient, pattern: string): Promise<string> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const parts: string[] = [];
  for (const key of keys) {
    const type = await redis.type(key);
    if (type === 'hash') parts.push(key, JSON.stringify(await redis.hgetall(key)));
    else if (type === 'string') parts.push(key, (await redis.get(key)) ?? '');
    else if (type === 'list') parts.push(key, JSON.stringify(await redis.lrange(key, 0, -1)));
    else if (type === 'set') parts.push(key, JSON.stringify(await redis.smembers(key)));
    else if (type === 'zset') parts.push(key, JSON.stringify(await redis.zrange(key, 0, -1)));
    else if (type === 'stream') parts.push(key, JSON.stringify(await redis.xrange(key, '-', '+')));
    else parts.push(key, `(${type})`);
  }
  return parts.join('\n');
}
