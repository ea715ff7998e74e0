// An API started in-process with env overrides, a log sink, and its notify queue seen through a
// connection of the test's own.
import { randomUUID } from 'node:crypto';
import { type NotifyApiConfig, loadNotifyApiConfig } from '@wxq/config';
import { createLogger } from '@wxq/logging';
import { QUEUES } from '@wxq/queue';
import { type RedisClient, createRedis } from '@wxq/redis';
import { type LogSink, createLogSink, waitFor } from '@wxq/testing';
import { Queue } from 'bullmq';
import { inject, onTestFinished } from 'vitest';
import { type RunningApi, startApi } from '../../src/index.js';

export const APP_ID = 'wx1234567890abcdef';
export const OTHER_APP_ID = 'wxfedcba0987654321';
/** The bearer every request carries unless a test says otherwise. */
export const TOKEN = `test-token-${randomUUID()}`;
export const SECOND_TOKEN = `second-token-${randomUUID()}`;

export interface TestApiOptions {
  /** Merged over the defaults; `undefined` removes a default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default: the run's shared Redis. */
  readonly redisUrl?: string;
  /** Wait for /readyz to answer 200 before returning (default true). */
  readonly awaitReady?: boolean;
}

export interface RequestOptions {
  readonly method?: string;
  /** Merged over `Authorization: Bearer TOKEN`; `undefined` removes it. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string | Buffer;
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed, or undefined when it is not JSON. */
  readonly json: unknown;
}

export interface TestApi {
  readonly url: string;
  readonly port: number;
  readonly config: NotifyApiConfig;
  /** The notify queue, through the test's own connection. */
  readonly queue: Queue<unknown>;
  readonly redis: RedisClient;
  readonly logs: LogSink;
  request(path: string, options?: RequestOptions): Promise<Answer>;
  /** POST /api/v1/messages with a JSON body (a string is sent as it is). */
  post(body: unknown, headers?: RequestOptions['headers']): Promise<Answer>;
  /** Jobs in the notify queue, in any state. */
  jobCount(): Promise<number>;
  /** Stops the API only. Idempotent. */
  stop(): Promise<void>;
}

/** The environment a test API starts from: one account, loopback on port 0, a fresh queue prefix. */
export function testEnv(
  redisUrl: string,
  overrides: Readonly<Record<string, string | undefined>> = {},
): Record<string, string | undefined> {
  return {
    WECHAT_APPID: APP_ID,
    API_HOST: '127.0.0.1',
    API_PORT: '0',
    WXQ_API_TOKENS: `${TOKEN},${SECOND_TOKEN}`,
    REDIS_URL: redisUrl,
    WXQ_QUEUE_PREFIX: `{test-${randomUUID()}}`,
    LOG_LEVEL: 'info',
    ...overrides,
  };
}

/** A message request the schema accepts. */
export function templateRequest(overrides: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    to: 'oUser-0001',
    template: { id: 'TPL-order-shipped', data: { thing1: { value: 'Your order' }, time2: { value: '2024-05-01' } } },
    ...overrides,
  };
}

/** Starts an API in this process, closed (with its queue obliterated) when the current test finishes. */
export async function useApi(options: TestApiOptions = {}): Promise<TestApi> {
  const config = loadNotifyApiConfig(testEnv(options.redisUrl ?? inject('redisUrl'), options.env));
  const logs = createLogSink();
  const logger = createLogger({ level: config.logLevel, name: 'api' }, logs.stream);
  const redis = createRedis(config.redis, 'worker', 'wxq-test');
  // Expected while a test has Redis down; commands still wait for it to come back.
  redis.on('error', () => undefined);
  const queue = new Queue<unknown>(QUEUES.notify.name, { connection: redis, prefix: config.queuePrefix });
  queue.on('error', () => undefined);
  let api: RunningApi;
  try {
    api = await startApi(config, { logger });
  } catch (error) {
    await queue.close();
    await redis.quit();
    throw error;
  }
  onTestFinished(async () => {
    await api.stop();
    await queue.obliterate({ force: true });
    await queue.close();
    await redis.quit();
  });
  const url = `http://127.0.0.1:${api.port}`;
  const request = async (path: string, requestOptions: RequestOptions = {}): Promise<Answer> => {
    const merged: Record<string, string | undefined> = { authorization: `Bearer ${TOKEN}`, ...requestOptions.headers };
    const headers = Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined);
    const res = await fetch(`${url}${path}`, {
      method: requestOptions.method ?? 'GET',
      headers,
      ...(requestOptions.body === undefined ? {} : { body: requestOptions.body }),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  if (options.awaitReady ?? true) {
    await waitFor(async () => (await request('/readyz')).status === 200, { message: 'the API to be ready' });
  }
  return {
    url,
    port: api.port,
    config,
    queue,
    redis,
    logs,
    request,
    post: (body, headers = {}) =>
      request('/api/v1/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    jobCount: async () => {
      const counts = await queue.getJobCounts();
      return Object.values(counts).reduce((sum, count) => sum + count, 0);
    },
    stop: () => api.stop(),
  };
}

/** The `{"error": {"code"}}` of an answer. */
export function errorCodeOf(answer: Pick<Answer, 'json'>): unknown {
  return (answer.json as { error?: { code?: unknown } } | undefined)?.error?.code;
}
