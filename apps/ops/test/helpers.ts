import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { type InboundPayload, type OutboundPayload, type Producer, QUEUES, createProducer } from '@wxq/queue';
import { waitFor } from '@wxq/testing';
import { computeDedupKey } from '@wxq/wechat';
import { createMessage } from '@wxq/wechat-sim';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { CliIo } from '../src/index.js';
import { runOps } from '../src/index.js';

// Test-only: a deployment's queues on a private prefix, jobs made to fail by a real BullMQ worker,
// and `ops` run in-process with captured output.

export const APP_ID = 'wx0123456789abcdef';
export const OTHER_APP_ID = 'wxfedcba9876543210';
export const APP_SECRET = 'simulatorsecret0123456789abcdef0';

export interface CapturedIo {
  readonly io: CliIo;
  readonly stdin: PassThrough;
  stdout(): string;
  stderr(): string;
}

export function captureIo(
  env: CliIo['env'],
  tty: { stdin?: boolean; stderr?: boolean; stdout?: boolean } = {},
): CapturedIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return {
    io: {
      env,
      stdout,
      stderr,
      stdin,
      stdinIsTTY: tty.stdin ?? false,
      stderrIsTTY: tty.stderr ?? false,
      stdoutIsTTY: tty.stdout ?? false,
    },
    stdin,
    stdout: () => out,
    stderr: () => err,
  };
}

export interface OpsRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface OpsFixture {
  readonly prefix: string;
  readonly env: Readonly<Record<string, string>>;
  readonly redis: Redis;
  readonly inbound: Producer<'inbound'>;
  readonly outbound: Producer<'outbound'>;
  /** `npm run ops -- ...args` in-process, on this fixture's deployment. */
  ops(args: readonly string[], env?: Readonly<Record<string, string>>): Promise<OpsRun>;
  /** Pushes from `openid` of `appId`, added as the gateway adds them. */
  addPushes(count: number, options?: { appId?: string; openid?: string; delayMs?: number }): Promise<InboundPayload[]>;
  /** Text replies to `openid`. */
  addReplies(count: number, options?: { appId?: string; openid?: string }): Promise<OutboundPayload[]>;
  /** Runs a real BullMQ worker on `queue` whose every job fails for good, until `count` have failed. */
  failAll(queue: 'inbound' | 'outbound', count: number): Promise<void>;
  /** Runs a real BullMQ worker on `queue` that completes jobs and records them, until `count` completed. */
  completeAll(queue: 'inbound' | 'outbound', count: number): Promise<Job[]>;
  close(): Promise<void>;
}

export function startOpsFixture(redisUrl: string, extraEnv: Readonly<Record<string, string>> = {}): OpsFixture {
  const prefix = `{test-${randomUUID()}}`;
  const env = {
    REDIS_URL: redisUrl,
    WECHAT_APPID: APP_ID,
    WECHAT_APPSECRET: APP_SECRET,
    WXQ_QUEUE_PREFIX: prefix,
    ...extraEnv,
  };
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const inbound = createProducer('inbound', { connection: redis, prefix, settings: { dedupWindowSeconds: 600 } });
  const outbound = createProducer('outbound', { connection: redis, prefix, settings: {} });
  let receivedAt = Date.now();

  const runWorker = async (queue: 'inbound' | 'outbound', count: number, fail: boolean): Promise<Job[]> => {
    const done: Job[] = [];
    const worker = new Worker(
      QUEUES[queue].name,
      () =>
        fail ? Promise.reject(new UnrecoverableError('errcode 45015: response out of time limit')) : Promise.resolve(),
      { connection: redis, prefix, autorun: true },
    );
    const record = (job: Job | undefined) => {
      if (job !== undefined) done.push(job);
    };
    if (fail) worker.on('failed', record);
    else worker.on('completed', record);
    try {
      await waitFor(() => done.length >= count, { timeoutMs: 10_000, message: `${count} ${queue} jobs processed` });
    } finally {
      await worker.close();
    }
    return done;
  };

  return {
    prefix,
    env,
    redis,
    inbound,
    outbound,
    async ops(args, moreEnv = {}) {
      const captured = captureIo({ ...env, ...moreEnv });
      const code = await runOps(args, captured.io);
      return { code, stdout: captured.stdout(), stderr: captured.stderr() };
    },
    async addPushes(count, options = {}) {
      const payloads = Array.from({ length: count }, (_, i): InboundPayload => {
        const message = createMessage.text(
          `message ${i}`,
          options.openid === undefined ? {} : { openid: options.openid },
        );
        receivedAt += 1;
        return {
          v: 1,
          appId: options.appId ?? APP_ID,
          mode: 'plaintext',
          receivedAt,
          dedupKey: computeDedupKey(message),
          message,
        };
      });
      const { delayMs } = options;
      if (delayMs === undefined) await inbound.addBulk(payloads);
      else {
        for (const payload of payloads) {
          await inbound.queue.add('push', payload, { jobId: QUEUES.inbound.jobId(payload), delay: delayMs });
        }
      }
      return payloads;
    },
    async addReplies(count, options = {}) {
      const openid = options.openid ?? `o${randomUUID().replaceAll('-', '').slice(0, 27)}`;
      const payloads = Array.from({ length: count }, (_, i): OutboundPayload => {
        receivedAt += 1;
        return {
          v: 1,
          appId: options.appId ?? APP_ID,
          dedupKey: `${openid}:${receivedAt}`,
          replyIndex: i,
          receivedAt,
          reply: { kind: 'message', message: { touser: openid, msgtype: 'text', text: { content: `reply ${i}` } } },
        };
      });
      await outbound.addBulk(payloads);
      return payloads;
    },
    async failAll(queue, count) {
      await runWorker(queue, count, true);
    },
    completeAll: (queue, count) => runWorker(queue, count, false),
    async close() {
      await inbound.queue.obliterate({ force: true });
      await outbound.queue.obliterate({ force: true });
      await inbound.close();
      await outbound.close();
      const leftovers = await redis.keys(`${prefix}*`);
      if (leftovers.length > 0) await redis.del(...leftovers);
      await redis.quit();
    },
  };
}

/** The i-th item, which the test expects to be there. */
export function at<T>(items: readonly T[], i: number): T {
  const item = items[i];
  if (item === undefined) throw new Error(`expected an item at ${i} of ${items.length}`);
  return item;
}
