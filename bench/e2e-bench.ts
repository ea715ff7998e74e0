import { randomUUID } from 'node:crypto';
import { type InboundPayload, QUEUES } from '@wxq/queue';
import { computeDedupKey } from '@wxq/wechat';
import { createMessage, startWechatApiSimulator } from '@wxq/wechat-sim';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { measureCpu } from './cpu.js';
import { type RunningTarget, startTarget } from './run-target.js';
import { percentile } from './stats.js';

/** One configuration's figures in one round. */
export interface E2eResult {
  readonly messagesPerSecond: number;
  /** The worker processes' CPU during the drain, summed; 100 is one core. */
  readonly cpuPct: number;
  /** The worker processes' CPU time per drained message. */
  readonly cpuMsPerMessage: number;
  /** Push (inbound job added) to the simulator accepting the reply, under a steady load. */
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
}

export interface E2eOptions {
  readonly redisUrl: string;
  /** Messages in the backlog drained for the throughput figure. */
  readonly messages: number;
  /** Steady load for the latency figure. */
  readonly latencyRatePerSecond: number;
  readonly latencySeconds: number;
  readonly rounds: number;
  /** Where every worker process runs (see pinning.ts); undefined: not pinned. */
  readonly targetCore: number | undefined;
}

/** A configuration's results, one per round, in round order. */
export interface E2eRounds {
  readonly id: E2eConfigurationId;
  readonly name: string;
  readonly rounds: readonly E2eResult[];
}

const APP_ID = 'wx0123456789abcdef';
const APP_SECRET = 'benchsecret0123456789abcdef01234';

const E2E_CONFIGURATIONS = {
  noop: 'BullMQ no-op worker (1 process)',
  send: 'BullMQ worker, one customer-service POST per job and nothing else (1 process)',
  worker: 'wxq worker (1 process)',
  worker_plain: 'wxq worker, ordering + ledger off (1 process)',
  worker_jobs: 'wxq worker, inline sends off: a job per reply (1 process)',
  worker_2: 'wxq worker (2 processes)',
} as const;

export type E2eConfigurationId = keyof typeof E2E_CONFIGURATIONS;

/** Per-user ordering and the quota ledger off: what they cost, side by side with the default. */
const WITHOUT_CONVERSATIONS = { WXQ_ORDERING: 'off', WXQ_CS_QUOTA: 'off' } as const;
/** Every reply its own outbound job, as before inline sends: what they save. */
const WITHOUT_INLINE_SENDS = { WXQ_INLINE_SENDS: 'off' } as const;

/** The wxq worker as production runs it; the send baseline in its place. */
const WXQ_WORKER = 'bench/targets/worker.ts';
const SEND_WORKER = 'bench/targets/send-worker.ts';

/**
 * Round after round: the noop baseline, the send baseline (what any worker that replies pays at
 * least: the job and one API call), then the whole worker pipeline with 1 process (the
 * defaults, then ordering and the ledger off, then inline sends off) and 2 processes, so that the
 * configurations compared are measured side by side.
 */
export async function runE2eBench(options: E2eOptions): Promise<E2eRounds[]> {
  const noop: E2eResult[] = [];
  const send: E2eResult[] = [];
  const one: E2eResult[] = [];
  const plain: E2eResult[] = [];
  const jobs: E2eResult[] = [];
  const two: E2eResult[] = [];
  for (let round = 0; round < options.rounds; round += 1) {
    noop.push(await runNoop(options));
    send.push(await runPipeline(options, 1, {}, SEND_WORKER));
    one.push(await runPipeline(options, 1));
    plain.push(await runPipeline(options, 1, WITHOUT_CONVERSATIONS));
    jobs.push(await runPipeline(options, 1, WITHOUT_INLINE_SENDS));
    two.push(await runPipeline(options, 2));
  }
  return [
    { id: 'noop', name: E2E_CONFIGURATIONS.noop, rounds: noop },
    { id: 'send', name: E2E_CONFIGURATIONS.send, rounds: send },
    { id: 'worker', name: E2E_CONFIGURATIONS.worker, rounds: one },
    { id: 'worker_plain', name: E2E_CONFIGURATIONS.worker_plain, rounds: plain },
    { id: 'worker_jobs', name: E2E_CONFIGURATIONS.worker_jobs, rounds: jobs },
    { id: 'worker_2', name: E2E_CONFIGURATIONS.worker_2, rounds: two },
  ];
}

async function runNoop(options: E2eOptions): Promise<E2eResult> {
  const prefix = `{bench-${randomUUID().slice(0, 8)}}`;
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('noop', { connection: redis, prefix });
  const payload = samplePayload();
  // Paused while the backlog is added and the worker starts: the clock covers the drain alone.
  await queue.pause();
  await addInBatches(queue, options.messages, (i) => ({
    name: 'noop',
    data: payload,
    opts: { jobId: `noop-${i}`, removeOnComplete: { age: 600 } },
  }));
  const worker = await startTarget(
    'bench/targets/noop-worker.ts',
    { REDIS_URL: options.redisUrl, WXQ_QUEUE_PREFIX: prefix },
    { core: options.targetCore },
  );
  try {
    const drain = await measureCpu([worker.pid], async () => {
      const started = performance.now();
      await queue.resume();
      await until(async () => ((await queue.getJobCounts('completed')).completed ?? 0) >= options.messages, 120_000);
      return (performance.now() - started) / 1000;
    });
    return { ...drainFigures(options.messages, drain), p50Ms: undefined, p99Ms: undefined };
  } finally {
    await worker.stop();
    await queue.obliterate({ force: true });
    await queue.close();
    await redis.quit();
  }
}

async function runPipeline(
  options: E2eOptions,
  processes: number,
  settings: Readonly<Record<string, string>> = {},
  target = WXQ_WORKER,
): Promise<E2eResult> {
  const sim = await startWechatApiSimulator({ accounts: [{ appId: APP_ID, appSecret: APP_SECRET }] });
  const prefix = `{bench-${randomUUID().slice(0, 8)}}`;
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const inbound = new Queue(QUEUES.inbound.name, { connection: redis, prefix });
  const outbound = new Queue(QUEUES.outbound.name, { connection: redis, prefix });
  const env = {
    REDIS_URL: options.redisUrl,
    WECHAT_APPID: APP_ID,
    WECHAT_APPSECRET: APP_SECRET,
    WECHAT_API_BASE_URL: sim.url,
    WXQ_QUEUE_PREFIX: prefix,
    ...settings,
  };
  const workers: RunningTarget[] = [];
  try {
    // Throughput: a backlog of pushes, drained from the moment the paused queue resumes (the
    // worker processes' start-up is not part of the figure).
    for (let i = 0; i < processes; i += 1) workers.push(await startTarget(target, env, { core: options.targetCore }));
    // One message first: connections open, scripts load, the access_token is fetched.
    const warmUp = pushJob('warm-up');
    await inbound.add(warmUp.name, warmUp.data, warmUp.opts);
    await sim.waitForSends(1, 30_000);
    await inbound.pause();
    await addInBatches(inbound, options.messages, (i) => pushJob(`backlog ${i}`));
    const drain = await measureCpu(
      workers.map((w) => w.pid),
      async () => {
        const started = performance.now();
        await inbound.resume();
        await sim.waitForSends(options.messages + 1, 300_000);
        return (performance.now() - started) / 1000;
      },
    );

    // Latency: a steady stream of pushes at a rate every configuration sustains.
    const pushedAt = new Map<string, number>();
    const total = options.latencyRatePerSecond * options.latencySeconds;
    const before = sim.sends.length;
    const origin = performance.now();
    for (let i = 0; i < total; i += 1) {
      const content = `latency ${i}`;
      const job = pushJob(content);
      pushedAt.set(content, Date.now());
      await inbound.add(job.name, job.data, job.opts);
      await sleepUntil(origin + ((i + 1) * 1000) / options.latencyRatePerSecond);
    }
    await sim.waitForSends(before + total, 60_000);
    const latencies = sim.sends
      .slice(before)
      // The demo handlers echo the text, so a reply names the push it answers.
      .map((s) => s.time - (pushedAt.get((s.message as { text?: { content?: string } }).text?.content ?? '') ?? s.time))
      .sort((a, b) => a - b);
    return {
      ...drainFigures(options.messages, drain),
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await inbound.obliterate({ force: true });
    await outbound.obliterate({ force: true });
    await inbound.close();
    await outbound.close();
    await redis.quit();
    await sim.stop();
  }
}

function drainFigures(
  messages: number,
  drain: { result: number; cpuPct: number; cpuMs: number },
): Pick<E2eResult, 'messagesPerSecond' | 'cpuPct' | 'cpuMsPerMessage'> {
  return {
    messagesPerSecond: messages / drain.result,
    cpuPct: drain.cpuPct,
    cpuMsPerMessage: Math.round((drain.cpuMs / messages) * 1000) / 1000,
  };
}

function pushJob(content: string) {
  const message = createMessage.text(content);
  const payload: InboundPayload = {
    v: 1,
    appId: APP_ID,
    mode: 'plaintext',
    receivedAt: Date.now(),
    dedupKey: computeDedupKey(message),
    message,
  };
  return {
    name: 'push',
    data: payload,
    opts: { ...QUEUES.inbound.jobOptions({ dedupWindowSeconds: 600 }), jobId: QUEUES.inbound.jobId(payload) },
  };
}

function samplePayload(): InboundPayload {
  return pushJob('noop').data;
}

/** Adds `count` jobs, 500 to a call. */
export async function addInBatches(
  queue: Queue,
  count: number,
  job: (i: number) => { name: string; data: unknown; opts: object },
): Promise<void> {
  for (let i = 0; i < count; i += 500) {
    await queue.addBulk(Array.from({ length: Math.min(500, count - i) }, (_, k) => job(i + k)));
  }
}

async function sleepUntil(due: number): Promise<void> {
  const wait = due - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** Resolves once `check` answers true, polling every 20 ms. @throws after `timeoutMs` */
export async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error('bench step timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
