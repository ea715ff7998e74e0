import { randomUUID } from 'node:crypto';
import { loadWorkerConfig } from '@wxq/config';
import { createLogger } from '@wxq/logging';
import { type InboundPayload, type Producer, QUEUES, createLanes, createProducer, laneScore } from '@wxq/queue';
import { createKeys } from '@wxq/redis';
import { type LogSink, type TsProcess, createLogSink, startTsProcess } from '@wxq/testing';
import { type InboundMessage, computeDedupKey } from '@wxq/wechat';
import { type WechatApiSimulator, startWechatApiSimulator } from '@wxq/wechat-sim';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { onTestFinished } from 'vitest';
import { type Handlers, demoHandlers } from '@wxq/handlers';
import { type RunningWorker, type RunningWorkerWithAdmin, startWorker, startWorkerWithAdmin } from '../src/worker.js';

// Test-only: a simulator, N in-process workers (or worker processes) on a private queue prefix,
// and a producer that enqueues pushes exactly as the gateway does.

export const APP_ID = 'wx0123456789abcdef';
export const APP_SECRET = 'simulatorsecret0123456789abcdef0';

export interface WorkerHarness {
  readonly sim: WechatApiSimulator;
  readonly prefix: string;
  readonly env: Readonly<Record<string, string>>;
  readonly inbound: Queue;
  readonly outbound: Queue;
  /** The harness's own connection, for looking at keys. */
  readonly redis: Redis;
  /** What the in-process workers log. */
  readonly logs: LogSink;
  startWorkers(count: number, handlers?: Handlers): RunningWorker[];
  /** One in-process worker as `npm run worker` starts it: with its admin listener on a free port. */
  startWorkerWithAdmin(handlers?: Handlers): Promise<RunningWorkerWithAdmin>;
  /**
   * `apps/worker/src/main.ts` as `npm run worker` runs it, on this harness's queues and simulator,
   * logging at warn; `env` goes over {@link WorkerHarness.env} (`WXQ_HANDLERS` for other handlers
   * than the demo ones). Killed with SIGKILL when the current test finishes, or by {@link WorkerHarness.stop}.
   */
  startWorkerProcess(env?: Readonly<Record<string, string>>): TsProcess;
  push(message: InboundMessage): Promise<InboundPayload>;
  /** Calls to the token endpoints (each one a fetch, whatever it answered). */
  tokenFetches(): number;
  /** The access_token the workers share, as cached in Redis. */
  currentToken(): Promise<string | null>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /**
   * Whether the simulator keeps WeChat's send windows (default true): a reply the worker's ledger
   * lets through that WeChat would refuse then fails the suite. Off for suites about something else
   * that send more than WeChat allows one user.
   */
  readonly enforceQuota?: boolean;
}

export async function startHarness(
  redisUrl: string,
  env: Readonly<Record<string, string>> = {},
  options: HarnessOptions = {},
): Promise<WorkerHarness> {
  const sim = await startWechatApiSimulator({
    accounts: [{ appId: APP_ID, appSecret: APP_SECRET }],
    enforceQuota: options.enforceQuota ?? true,
  });
  const prefix = `{test-${randomUUID()}}`;
  const fullEnv = {
    REDIS_URL: redisUrl,
    WECHAT_APPID: APP_ID,
    WECHAT_APPSECRET: APP_SECRET,
    WECHAT_API_BASE_URL: sim.url,
    WXQ_QUEUE_PREFIX: prefix,
    WECHAT_API_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'info',
    // Worker processes of one suite each take a free port for their probes and /metrics.
    ADMIN_PORT: '0',
    ...env,
  };
  const config = loadWorkerConfig(fullEnv);
  const logs = createLogSink();
  const logger = createLogger({ level: config.logLevel, name: 'worker' }, logs.stream);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const inboundProducer: Producer<'inbound'> = createProducer('inbound', {
    connection: redis,
    prefix,
    settings: { dedupWindowSeconds: 600 },
  });
  const outboundProducer: Producer<'outbound'> = createProducer('outbound', {
    connection: redis,
    prefix,
    settings: {},
  });
  const inbound: Queue = inboundProducer.queue;
  const keys = createKeys(prefix);
  const lanes = createLanes(redis, inbound);
  const outbound: Queue = outboundProducer.queue;
  const workers: RunningWorker[] = [];
  const children: TsProcess[] = [];
  let lastReceivedAt = 0;
  return {
    sim,
    prefix,
    env: fullEnv,
    inbound,
    outbound,
    redis,
    logs,
    startWorkers(count, handlers = demoHandlers) {
      const started = Array.from({ length: count }, () => startWorker(config, { logger, handlers }));
      workers.push(...started);
      return started;
    },
    async startWorkerWithAdmin(handlers = demoHandlers) {
      const worker = await startWorkerWithAdmin(config, { logger, handlers });
      workers.push(worker);
      return worker;
    },
    startWorkerProcess(extraEnv = {}) {
      const child = startTsProcess('apps/worker/src/main.ts', {
        env: { ...process.env, ...fullEnv, LOG_LEVEL: 'warn', ...extraEnv },
        echoStderr: true,
      });
      children.push(child);
      onTestFinished(async () => {
        await child.stop({ signal: 'SIGKILL' });
      });
      return child;
    },
    async push(message) {
      // Strictly increasing, as one gateway process stamps them: the lane orders by it.
      lastReceivedAt = Math.max(Date.now(), lastReceivedAt + 1);
      const payload: InboundPayload = {
        v: 1,
        appId: APP_ID,
        mode: 'plaintext',
        receivedAt: lastReceivedAt,
        dedupKey: computeDedupKey(message),
        message,
      };
      // As the gateway does: the push takes its place in the user's lane, then becomes a job.
      const lane = keys.lane(QUEUES.inbound.name, APP_ID, message.FromUserName);
      // WeChat opens the user's send windows when the user acts.
      sim.recordInteraction({ appId: APP_ID, message });
      await lanes.enter(lane, [[QUEUES.inbound.jobId(payload), laneScore(payload.receivedAt)]]);
      await inboundProducer.add(payload);
      return payload;
    },
    currentToken: () => redis.get(keys.accessToken(APP_ID)),
    tokenFetches: () =>
      sim.calls.filter((c) => c.path === '/cgi-bin/token' || c.path === '/cgi-bin/stable_token').length,
    async stop() {
      // Children first: they would go on taking jobs from queues that are about to be obliterated.
      await Promise.all(children.map((child) => child.stop({ signal: 'SIGKILL' })));
      await Promise.all(workers.map((w) => w.stop()));
      await inbound.obliterate({ force: true });
      await outbound.obliterate({ force: true });
      await inbound.close();
      await outbound.close();
      await redis.quit();
      await sim.stop();
    },
  };
}
