// A deployment as the benches measure it: the real gateway and worker processes (built packages,
// NODE_ENV=production, demo handlers: one echo reply per push) on their own queue prefix, the
// WeChat API simulator in this process, and a paced stream of signed pushes. Shared by the
// capacity and retention benches; each reads Redis and the processes its own way.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '@wxq/redis-server';
import { QUEUES } from '@wxq/queue';
import { type WechatApiSimulator, startWechatApiSimulator } from '@wxq/wechat-sim';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BENCH_ACCOUNT, PUSH_PATH, nextPushBody } from './push-fixture.js';
import { type RunningTarget, startTarget } from './run-target.js';

const APP_SECRET = 'benchsecret0123456789abcdef01234';

export interface DeploymentOptions {
  readonly redisUrl: string;
  /** Where the gateway and the worker run (see pinning.ts); undefined: not pinned. */
  readonly targetCore: number | undefined;
  /** Settings for both processes, over the defaults. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface Deployment {
  readonly gateway: RunningTarget;
  readonly worker: RunningTarget;
  readonly sim: WechatApiSimulator;
  /** A connection of the bench's own to the deployment's Redis. */
  readonly redis: Redis;
  /** The queue prefix: every key the deployment writes starts with it. */
  readonly prefix: string;
  /** POSTs the next signed push to the gateway; resolves with the status code. */
  readonly push: () => Promise<number>;
  /** Stops both processes and the simulator, and deletes the deployment's queues. */
  readonly stop: () => Promise<void>;
}

/**
 * Starts the gateway and the worker and waits for a first push to be replied: connections are
 * open, scripts loaded, the access_token fetched.
 */
export async function startDeployment(options: DeploymentOptions): Promise<Deployment> {
  const sim = await startWechatApiSimulator({ accounts: [{ appId: BENCH_ACCOUNT.appId, appSecret: APP_SECRET }] });
  const prefix = `{bench-${randomUUID().slice(0, 8)}}`;
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const env = {
    REDIS_URL: options.redisUrl,
    WXQ_QUEUE_PREFIX: prefix,
    // The fixture signs once at start-up; a long run must not age out of the timestamp check.
    TIMESTAMP_SKEW_SECONDS: '0',
    ...options.env,
  };
  const logDir = await mkdtemp(join(tmpdir(), 'wxq-bench-'));
  const targets: RunningTarget[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const stop = async () => {
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
  };
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
    await untilAnswered(push);
    await sim.waitForSends(1, 30_000);
    return { gateway, worker, sim, redis, prefix, push, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Sends `count` pushes at `perSecond`, each on schedule whether or not the last was answered. */
export async function sendPaced(
  count: number,
  perSecond: number,
  push: () => Promise<number>,
  onTick?: (sent: number) => void,
): Promise<number[]> {
  const answers: Promise<number>[] = [];
  const origin = performance.now();
  for (let i = 0; i < count; i += 1) {
    answers.push(push().catch(() => 0));
    onTick?.(i + 1);
    const wait = origin + ((i + 1) * 1000) / perSecond - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  return Promise.all(answers);
}

async function untilAnswered(push: () => Promise<number>): Promise<void> {
  const deadline = performance.now() + 30_000;
  while ((await push().catch(() => 0)) !== 200) {
    if (performance.now() > deadline) throw new Error('the gateway did not answer a push 200 within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** POSTs the next signed push to the gateway; answers its HTTP status. */
export function postPush(agent: Agent, port: number): Promise<number> {
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
