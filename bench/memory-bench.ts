import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '@wxq/redis-server';
import { QUEUES } from '@wxq/queue';
import { computeDedupKey } from '@wxq/wechat';
import { createMessage, startWechatApiSimulator } from '@wxq/wechat-sim';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BENCH_ACCOUNT, PUSH_PATH, nextPushBody } from './push-fixture.js';
import { spawnOnCore, stopChild } from './run-target.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BENCH_APP_SECRET = 'benchsecret0123456789abcdef01234';

/** RSS of one process, as deployed (`node apps/*\/dist/main.js`, no tsx), in MB. */
export interface MemoryResult {
  readonly id: 'node' | 'gateway' | 'gateway_deployed_flags' | 'worker';
  readonly name: string;
  /** RSS 2 s after it answered its first request: start-up's garbage still held. */
  readonly startedMb: number;
  /** RSS once idle long enough for V8's memory reducer to have run (see {@link settledRss}). */
  readonly idleMb: number;
  /** The highest RSS sampled (every 100 ms) under load. */
  readonly loadedMb: number;
  readonly load: string;
  /** Under the load, for the servers (autocannon's mean). */
  readonly requestsPerSecond?: number;
}

export interface MemoryBenchOptions {
  readonly redisUrl: string;
  readonly durationSeconds: number;
  readonly connections: number;
  readonly drainMessages: number;
  /** Where the measured process runs (see pinning.ts); undefined: not pinned. */
  readonly targetCore: number | undefined;
}

// The baseline, as plain JavaScript so that no loader sits in its memory either.
const BARE_NODE = `require('node:http').createServer((req, res) => { req.on('data', () => {}); req.on('end', () => res.end('success')); }).listen(Number(process.env.PORT), '127.0.0.1');`;

/**
 * What a gateway and a worker hold, run as production runs them (built `dist/` entry points),
 * next to a bare node:http server in the same run: idle, then at the peak of a load.
 */
export async function runMemoryBench(options: MemoryBenchOptions): Promise<MemoryResult[]> {
  const load = `${options.connections} connections, ${options.durationSeconds} s`;
  const bare = await measureServer('node:http (bare)', ['-e', BARE_NODE], {}, options);
  const gatewayRun = (flags: readonly string[]) =>
    measureServer(
      `wxq gateway (dist, admin off, LOG_LEVEL=warn${flags.length === 0 ? ', node defaults' : `, ${flags.join(' ')}`})`,
      [...flags, 'apps/gateway/dist/main.js'],
      gatewayEnv(options.redisUrl, `{bench-${randomUUID().slice(0, 8)}}`),
      options,
    );
  const defaults = await gatewayRun([]);
  const deployed = await gatewayRun(GATEWAY_NODE_FLAGS);
  const worker = await measureWorker(options);
  return [
    { id: 'node', ...bare, load },
    { id: 'gateway', ...defaults, load },
    { id: 'gateway_deployed_flags', ...deployed, load },
    { id: 'worker', ...worker, load: `draining ${String(options.drainMessages)} pushes, concurrency 50` },
  ];
}

/**
 * The V8 flags the gateway runs with as deployed (the Dockerfile's CMD, docker-compose.yml): a
 * young generation of 2 x 8 MB instead of 2 x 16 MB, a heap ceiling of 256 MB rather than one
 * derived from the host's memory, and one V8 helper thread instead of 4 (docs/deploy.md,
 * "Memory"). BENCH_GATEWAY_FLAGS measures others in its place.
 */
export const GATEWAY_NODE_FLAGS = (
  process.env['BENCH_GATEWAY_FLAGS'] ?? '--max-semi-space-size=8 --max-old-space-size=256 --v8-pool-size=1'
)
  .split(' ')
  .filter(Boolean);

/**
 * The V8 flags the worker runs with as deployed: a heap ceiling of 1 GB, far above a worker's
 * heap after a GC (about 19 MB with the demo handlers) and room for handlers that hold more, but
 * under the 2 GB from which V8 lets garbage grow to 4x the live heap between full GCs
 * (docs/deploy.md, "Memory"). BENCH_WORKER_FLAGS measures others in its place.
 */
export const WORKER_NODE_FLAGS = (process.env['BENCH_WORKER_FLAGS'] ?? '--max-old-space-size=1024')
  .split(' ')
  .filter(Boolean);

async function measureServer(
  name: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  options: MemoryBenchOptions,
): Promise<Omit<MemoryResult, 'id' | 'load'>> {
  const port = await findFreePort();
  const child = start(args, { ...env, PORT: String(port), HOST: '127.0.0.1' }, options.targetCore);
  try {
    await until(
      async () => (await fetch(`http://127.0.0.1:${String(port)}/healthz`).catch(() => undefined)) !== undefined,
    );
    await settle();
    const startedMb = await rssMb(child);
    const idleMb = await settledRss(child);
    const peak = sampleRss(child);
    const result = await autocannon({
      url: `http://127.0.0.1:${String(port)}`,
      connections: options.connections,
      duration: options.durationSeconds,
      requests: [
        {
          method: 'POST',
          path: PUSH_PATH,
          headers: { 'content-type': 'text/xml' },
          setupRequest: (request) => ({ ...request, body: nextPushBody() }),
        },
      ],
    });
    return {
      name,
      startedMb,
      idleMb,
      loadedMb: await peak.stop(),
      requestsPerSecond: Math.round(result.requests.average),
    };
  } finally {
    await stopChild(child);
  }
}

async function measureWorker(options: MemoryBenchOptions): Promise<Omit<MemoryResult, 'id' | 'load'>> {
  const sim = await startWechatApiSimulator({
    accounts: [{ appId: BENCH_ACCOUNT.appId, appSecret: BENCH_APP_SECRET }],
  });
  const prefix = `{bench-${randomUUID().slice(0, 8)}}`;
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const inbound = new Queue(QUEUES.inbound.name, { connection: redis, prefix });
  const child = start(
    [...WORKER_NODE_FLAGS, 'apps/worker/dist/main.js'],
    await workerEnv(options.redisUrl, prefix, sim.url),
    options.targetCore,
  );
  try {
    await settle();
    const startedMb = await rssMb(child);
    const idleMb = await settledRss(child);
    const peak = sampleRss(child);
    for (let i = 0; i < options.drainMessages; i += 500) {
      await inbound.addBulk(
        Array.from({ length: Math.min(500, options.drainMessages - i) }, () => {
          const message = createMessage.text('memory');
          const data = {
            v: 1 as const,
            appId: BENCH_ACCOUNT.appId,
            mode: 'plaintext' as const,
            receivedAt: Date.now(),
            dedupKey: computeDedupKey(message),
            message,
          };
          return {
            name: 'text',
            data,
            opts: { ...QUEUES.inbound.jobOptions({ dedupWindowSeconds: 600 }), jobId: QUEUES.inbound.jobId(data) },
          };
        }),
      );
    }
    await sim.waitForSends(options.drainMessages, 300_000);
    return {
      name: `wxq worker (dist, LOG_LEVEL=warn, ${WORKER_NODE_FLAGS.join(' ')})`,
      startedMb,
      idleMb,
      loadedMb: await peak.stop(),
    };
  } finally {
    await stopChild(child);
    await inbound.obliterate({ force: true });
    await inbound.close();
    await redis.quit();
    await sim.stop();
  }
}

/** The gateway as the memory and soak benches run it: one plaintext account, admin off. */
export function gatewayEnv(redisUrl: string, prefix: string): Record<string, string> {
  return {
    REDIS_URL: redisUrl,
    WECHAT_APPID: BENCH_ACCOUNT.appId,
    WECHAT_TOKEN: BENCH_ACCOUNT.token,
    WXQ_QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    TIMESTAMP_SKEW_SECONDS: '0',
  };
}

/** The worker as the memory and soak benches run it: the demo handlers, replying through `apiBaseUrl`. */
export async function workerEnv(redisUrl: string, prefix: string, apiBaseUrl: string): Promise<Record<string, string>> {
  return {
    REDIS_URL: redisUrl,
    WECHAT_APPID: BENCH_ACCOUNT.appId,
    WECHAT_APPSECRET: BENCH_APP_SECRET,
    WECHAT_API_BASE_URL: apiBaseUrl,
    WXQ_QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    ADMIN_PORT: String(await findFreePort()),
    // Every push is replied: the bench's users send more than WeChat lets one user.
    WXQ_CS_QUOTA: 'off',
    // NODE_ENV=production wants the demo asked for by name.
    WXQ_HANDLERS: 'demo',
  };
}

/**
 * `node <args>` from the repo root, as production starts it: no tsx, NODE_ENV=production, stdout
 * ignored; on `core` when one is given (see pinning.ts).
 */
export function start(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  core: number | undefined,
  stdio: readonly ('ignore' | 'inherit' | 'ipc')[] = ['ignore', 'ignore', 'inherit'],
): ChildProcess {
  return spawnOnCore(core, process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production', ...env },
    stdio: [...stdio],
  });
}

/** Lets a started process finish its start-up allocations before "idle" is read. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 2_000));
}

/**
 * A process that has nothing to do is not left holding start-up's garbage for long: V8's memory
 * reducer collects and releases it once the process has been quiet for a while, in steps (in our
 * runs an idle gateway went from 88 to 69 MB at about 10 s and to 68 MB at about 20 s, the second
 * step sometimes the only one). The RSS after 25 s without a request.
 */
async function settledRss(child: ChildProcess): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return rssMb(child);
}

const SETTLE_MS = 25_000;

function sampleRss(child: ChildProcess): { stop(): Promise<number> } {
  let peak = 0;
  const timer = setInterval(() => {
    void rssMb(child).then(
      (mb) => {
        peak = Math.max(peak, mb);
      },
      () => undefined,
    );
  }, 100);
  return {
    async stop() {
      clearInterval(timer);
      return Math.max(peak, await rssMb(child));
    },
  };
}

async function rssMb(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${String(child.pid)}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Math.round(kb / 102.4) / 10;
}

export async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error('the target did not start within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
