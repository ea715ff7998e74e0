// What the shorter job lock costs (docs/deploy.md, "Recovery"): one idle worker process, alone on
// Redis, with wxq's WORKER_LOCK_DURATION_MS / WORKER_STALLED_INTERVAL_MS against BullMQ's own
// defaults; Redis commands per second from total_commands_processed. Idle is the worker's floor:
// its stalled checks and blocking fetches, every interval, for every queue and shard. Rounds
// alternate the settings so drift on this machine falls on both.
import { randomUUID } from 'node:crypto';
import { findFreePort } from '@wxq/redis-server';
import { startWechatApiSimulator } from '@wxq/wechat-sim';
import { Redis } from 'ioredis';
import { BENCH_ACCOUNT } from './push-fixture.js';
import { parseRedisInfo, redisDelta } from './redis-info.js';
import { startTarget } from './run-target.js';

const LOCK_SETTINGS = {
  wxq: { name: 'wxq (6000 / 3000 ms)', env: {} },
  bullmq: {
    name: "BullMQ's defaults (30000 / 30000 ms)",
    env: { WORKER_LOCK_DURATION_MS: '30000', WORKER_STALLED_INTERVAL_MS: '30000' },
  },
} as const satisfies Record<string, { name: string; env: Readonly<Record<string, string>> }>;

export type LockSettingId = keyof typeof LOCK_SETTINGS;

export interface LockCostOptions {
  readonly redisUrl: string;
  readonly targetCore: number | undefined;
  readonly rounds: number;
  /** How long each idle worker is measured, after it has started. */
  readonly seconds: number;
}

/** Per setting, the commands per second of each round. */
export type LockCostResult = readonly {
  readonly id: LockSettingId;
  readonly name: string;
  readonly rounds: number[];
}[];

/** Settles after start-up (connections, script loads, the first stalled checks) before measuring. */
const SETTLE_MS = 5_000;

export async function runLockCostBench(options: LockCostOptions): Promise<LockCostResult> {
  const sim = await startWechatApiSimulator({ accounts: [{ appId: BENCH_ACCOUNT.appId, appSecret: 'x'.repeat(32) }] });
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const result = (Object.keys(LOCK_SETTINGS) as LockSettingId[]).map((id) => ({
    id,
    name: LOCK_SETTINGS[id].name,
    rounds: [] as number[],
  }));
  try {
    for (let round = 0; round < options.rounds; round += 1)
      for (const setting of result)
        setting.rounds.push(await idleCommandsPerSecond(options, redis, sim.url, LOCK_SETTINGS[setting.id].env));
  } finally {
    await redis.quit();
    await sim.stop();
  }
  return result;
}

async function idleCommandsPerSecond(
  options: LockCostOptions,
  redis: Redis,
  simUrl: string,
  settings: Readonly<Record<string, string>>,
): Promise<number> {
  const worker = await startTarget(
    'bench/targets/worker.ts',
    {
      REDIS_URL: options.redisUrl,
      WXQ_QUEUE_PREFIX: `{bench-${randomUUID().slice(0, 8)}}`,
      WECHAT_APPID: BENCH_ACCOUNT.appId,
      WECHAT_APPSECRET: 'x'.repeat(32),
      WECHAT_API_BASE_URL: simUrl,
      ADMIN_PORT: String(await findFreePort()),
      ...settings,
    },
    { core: options.targetCore },
  );
  try {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const before = parseRedisInfo(await redis.info('everything'));
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
    const after = parseRedisInfo(await redis.info('everything'));
    const seconds = (performance.now() - started) / 1000;
    return Math.round((redisDelta(before, after).commandsProcessed / seconds) * 10) / 10;
  } finally {
    await worker.stop();
  }
}
