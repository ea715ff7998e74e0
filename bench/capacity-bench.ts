// What one push costs each part of a deployment: the real gateway and worker processes (the
// defaults: per-user ordering and the quota ledger on) and Redis, measured across the window in
// which N signed pushes are sent at a steady rate below saturation and every one is replied at
// the WeChat API simulator. docs/capacity.md turns the figures into a plan.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '@wxq/redis-server';
import { QUEUES } from '@wxq/queue';
import { startWechatApiSimulator } from '@wxq/wechat-sim';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { measureCpu } from './cpu.js';
import { BENCH_ACCOUNT, PUSH_PATH, nextPushBody } from './push-fixture.js';
import { type RedisDelta, parseRedisInfo, redisDelta } from './redis-info.js';
import { type RunningTarget, startTarget } from './run-target.js';

const APP_SECRET = 'benchsecret0123456789abcdef01234';

export interface CapacityOptions {
  readonly redisUrl: string;
  readonly pushes: number;
  /** The steady rate the pushes are sent at: below what the processes sustain. */
  readonly pushesPerSecond: number;
  /** Where the gateway and the worker run (see pinning.ts); undefined: not pinned. */
  readonly targetCore: number | undefined;
}

/** One configuration's costs across its window, per push. */
export interface CapacityResult {
  readonly id: CapacityConfigurationId;
  readonly name: string;
  readonly pushes: number;
  /** From the first push sent to the last reply accepted by the simulator. */
  readonly seconds: number;
  readonly gatewayCpuMsPerPush: number;
  readonly workerCpuMsPerPush: number;
  /** Redis's process CPU (every thread). */
  readonly redisCpuMsPerPush: number;
  /** Redis's main thread, which executes the commands. */
  readonly redisMainThreadCpuMsPerPush: number | undefined;
  /** This bench process (the pacer and the WeChat API simulator): not part of a deployment. */
  readonly benchCpuMsPerPush: number;
  /** Redis commands per push: total_commands_processed, and commandstats per command. */
  readonly redisCommandsPerPush: number;
  readonly redisCallsPerPush: Readonly<Record<string, number>>;
  readonly redisBytesInPerPush: number;
  readonly redisBytesOutPerPush: number;
  /** used_memory once every push is done: the completed jobs kept for the dedup window. */
  readonly redisRetainedBytesPerPush: number;
  /** Pushes not answered 200 by the gateway (the figures then do not compare). */
  readonly failedPushes: number;
}

const CAPACITY_CONFIGURATIONS = {
  defaults: { name: 'wxq defaults (ordering + ledger on)', env: {} },
  plain: {
    name: 'ordering + ledger off',
    env: { WXQ_ORDERING: 'off', WXQ_CS_QUOTA: 'off' },
  },
} as const satisfies Record<string, { name: string; env: Readonly<Record<string, string>> }>;

export type CapacityConfigurationId = keyof typeof CAPACITY_CONFIGURATIONS;

/** The defaults, then ordering and the ledger off, one after the other on the same Redis. */
export async function runCapacityBench(options: CapacityOptions): Promise<CapacityResult[]> {
  const results: CapacityResult[] = [];
  for (const [id, configuration] of Object.entries(CAPACITY_CONFIGURATIONS) as [
    CapacityConfigurationId,
    (typeof CAPACITY_CONFIGURATIONS)[CapacityConfigurationId],
  ][])
    results.push(await runConfiguration(options, id, configuration.name, configuration.env));
  return results;
}

async function runConfiguration(
  options: CapacityOptions,
  id: CapacityConfigurationId,
  name: string,
  settings: Readonly<Record<string, string>>,
): Promise<CapacityResult> {
  const sim = await startWechatApiSimulator({ accounts: [{ appId: BENCH_ACCOUNT.appId, appSecret: APP_SECRET }] });
  const prefix = `{bench-${randomUUID().slice(0, 8)}}`;
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const env = {
    REDIS_URL: options.redisUrl,
    WXQ_QUEUE_PREFIX: prefix,
    // The fixture signs once at start-up; a long run must not age out of the timestamp check.
    TIMESTAMP_SKEW_SECONDS: '0',
    ...settings,
  };
  const logDir = await mkdtemp(join(tmpdir(), 'wxq-capacity-'));
  const targets: RunningTarget[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  try {
    const gateway = await startTarget(
      'bench/targets/gateway.ts',
      { ...env, ADMIN_PORT: String(await findFreePort()), BENCH_LOG_DIR: logDir },
      { core: options.targetCore },
    );
    targets.push(gateway);
    const worker = await startTarget(
      'bench/targets/worker.ts',
      {
        ...env,
        WECHAT_APPID: BENCH_ACCOUNT.appId,
        WECHAT_APPSECRET: APP_SECRET,
        WECHAT_API_BASE_URL: sim.url,
        ADMIN_PORT: String(await findFreePort()),
      },
      { core: options.targetCore },
    );
    targets.push(worker);
    const push = () => postPush(agent, gateway.port);
    // One push first (retried until the gateway is ready): connections open, scripts load, the
    // access_token is fetched.
    await untilAnswered(push);
    await sim.waitForSends(1, 30_000);

    const benchBefore = process.cpuUsage();
    const measured = await measureCpu([gateway.pid, worker.pid], async () => {
      const before = parseRedisInfo(await redis.info('everything'));
      const started = performance.now();
      const statuses = await sendPaced(options.pushes, options.pushesPerSecond, push);
      await sim.waitForSends(options.pushes + 1, 120_000 + (options.pushes * 1000) / options.pushesPerSecond);
      const seconds = (performance.now() - started) / 1000;
      const after = parseRedisInfo(await redis.info('everything'));
      return { seconds, delta: redisDelta(before, after), failed: statuses.filter((s) => s !== 200).length };
    });
    const bench = process.cpuUsage(benchBefore);
    const [gatewayMs = 0, workerMs = 0] = measured.perProcessMs;
    return figures(options.pushes, id, name, measured.result, {
      gatewayMs,
      workerMs,
      benchMs: (bench.user + bench.system) / 1000,
    });
  } finally {
    agent.destroy();
    await Promise.all(targets.map((t) => t.stop()));
    for (const definition of [QUEUES.inbound, QUEUES.outbound]) {
      const queue = new Queue(definition.name, { connection: redis, prefix });
      await queue.obliterate({ force: true });
      await queue.close();
    }
    await redis.quit();
    await sim.stop();
    await rm(logDir, { recursive: true, force: true });
  }
}

async function untilAnswered(push: () => Promise<number>): Promise<void> {
  const deadline = performance.now() + 30_000;
  while ((await push().catch(() => 0)) !== 200) {
    if (performance.now() > deadline) throw new Error('the gateway did not answer a push 200 within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function figures(
  pushes: number,
  id: CapacityConfigurationId,
  name: string,
  window: { seconds: number; delta: RedisDelta; failed: number },
  cpu: { gatewayMs: number; workerMs: number; benchMs: number },
): CapacityResult {
  const per = (value: number, digits = 3) => round(value / pushes, digits);
  const { delta } = window;
  return {
    id,
    name,
    pushes,
    seconds: round(window.seconds, 1),
    gatewayCpuMsPerPush: per(cpu.gatewayMs),
    workerCpuMsPerPush: per(cpu.workerMs),
    redisCpuMsPerPush: per(delta.cpuMs),
    redisMainThreadCpuMsPerPush: delta.mainThreadCpuMs === undefined ? undefined : per(delta.mainThreadCpuMs),
    benchCpuMsPerPush: per(cpu.benchMs),
    redisCommandsPerPush: per(delta.commandsProcessed, 2),
    redisCallsPerPush: Object.fromEntries(
      Object.entries(delta.calls)
        .sort(([, a], [, b]) => b - a)
        .map(([command, calls]) => [command, per(calls, 2)]),
    ),
    redisBytesInPerPush: per(delta.netInputBytes, 0),
    redisBytesOutPerPush: per(delta.netOutputBytes, 0),
    redisRetainedBytesPerPush: per(delta.usedMemoryBytes, 0),
    failedPushes: window.failed,
  };
}

/** Sends `count` pushes at `perSecond`, each on schedule whether or not the last was answered. */
async function sendPaced(count: number, perSecond: number, push: () => Promise<number>): Promise<number[]> {
  const answers: Promise<number>[] = [];
  const origin = performance.now();
  for (let i = 0; i < count; i += 1) {
    answers.push(push().catch(() => 0));
    const wait = origin + ((i + 1) * 1000) / perSecond - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  return Promise.all(answers);
}

/** POSTs the next signed push to the gateway and resolves with the status code. */
function postPush(agent: Agent, port: number): Promise<number> {
  const body = nextPushBody();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: PUSH_PATH,
        headers: { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.once('end', () => {
          resolve(res.statusCode ?? 0);
        });
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
