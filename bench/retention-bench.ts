// What Redis holds at steady state (docs/capacity.md, "Retention"): pushes at a steady rate for
// longer than every TTL a push's keys have once it is done (a short DEDUP_WINDOW_SECONDS scales
// them down), used_memory sampled over the last stretch. Held memory that keeps rising there is
// a key that outlives its push; what levels off, divided by the rate and by how long a done push
// is kept, is what each push costs Redis: the figure docs/capacity.md sizes memory with.
import { keptAfterDoneMs } from '@wxq/queue';
import { type Deployment, sendPaced, startDeployment } from './deployment.js';
import { parseRedisInfo } from './redis-info.js';
import { slope } from './stats.js';

export interface RetentionOptions {
  readonly redisUrl: string;
  readonly targetCore: number | undefined;
  readonly pushesPerSecond: number;
  /** DEDUP_WINDOW_SECONDS of each run, e.g. [20, 60]. */
  readonly windows: readonly number[];
  /** How long used_memory is sampled, at the end of each run. */
  readonly sampleSeconds: number;
}

/** One window's steady state. */
export interface RetentionResult {
  readonly windowSeconds: number;
  readonly pushesPerSecond: number;
  /** How long pushes were sent, in all. */
  readonly seconds: number;
  /** used_memory over the sampled stretch minus before the first push, less the bounded kinds. */
  readonly heldBytes: number;
  /** heldBytes / pushesPerSecond: what each push/s of rate costs at this window. */
  readonly bytesPerPushPerSecond: number;
  /** How long a done push's keys are kept: max(W, 15 s). */
  readonly keptSeconds: number;
  /**
   * MEMORY USAGE of the per-push kinds at the end, per push kept: what one done push's keys hold
   * themselves, without Redis's own overhead (its dicts, the allocator), which used_memory has.
   */
  readonly keyBytesPerPush: number;
  /** Keys over the sampled stretch minus before, per push/s. */
  readonly keysPerPushPerSecond: number;
  /** The sampled stretch's trend, least squares: near 0 at steady state. */
  readonly growthBytesPerSecond: number;
  /** What the bounded kinds hold (taken off heldBytes), by MEMORY USAGE. */
  readonly boundedBytes: number;
  /** What each of the fixture's users keeps (their quota ledger), by MEMORY USAGE. */
  readonly perUserBytes: number;
  readonly users: number;
  /** Every key at the end, by kind, the largest first. */
  readonly kinds: readonly KeyKind[];
  /** Pushes not answered 200 (the figures then do not compare). */
  readonly failedPushes: number;
}

export async function runRetentionBench(options: RetentionOptions): Promise<RetentionResult[]> {
  const results: RetentionResult[] = [];
  for (const windowSeconds of options.windows) results.push(await runWindow(options, windowSeconds));
  return results;
}

async function runWindow(options: RetentionOptions, windowSeconds: number): Promise<RetentionResult> {
  const deployment = await startDeployment({
    redisUrl: options.redisUrl,
    targetCore: options.targetCore,
    env: { DEDUP_WINDOW_SECONDS: String(windowSeconds) },
  });
  try {
    const before = await reading(deployment);
    // Every key a done push leaves ends within keptAfterDone of it (completed jobs are removed by
    // later completions, at once here): after that and 20 s of slack, the level is steady.
    const keptMs = keptAfterDoneMs({ removeOnComplete: { age: windowSeconds } });
    const settleSeconds = keptMs / 1000 + 20;
    const seconds = settleSeconds + options.sampleSeconds;
    const pushes = Math.round(seconds * options.pushesPerSecond);
    const samples: { at: number; memory: number; keys: number }[] = [];
    const sampleFrom = Math.round(settleSeconds * options.pushesPerSecond);
    const every = Math.max(1, Math.round(options.pushesPerSecond));
    let pending: Promise<void> = Promise.resolve();
    const statuses = await sendPaced(pushes, options.pushesPerSecond, deployment.push, (sent) => {
      if (sent < sampleFrom || sent % every !== 0) return;
      pending = pending.then(async () => {
        const now = await reading(deployment);
        samples.push({ at: performance.now() / 1000, ...now });
      });
    });
    await pending;
    const kinds = await keyKinds(deployment);
    const bounded = kinds.filter((k) => !k.perPush);
    const boundedBytes = bounded.reduce((total, k) => total + k.bytes, 0);
    const boundedKeys = bounded.reduce((total, k) => total + k.keys, 0);
    const users = kinds.find((k) => k.pattern.startsWith('quota:'));
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const heldBytes = mean(samples.map((s) => s.memory)) - before.memory - boundedBytes;
    const heldKeys = mean(samples.map((s) => s.keys)) - before.keys - boundedKeys;
    const perSecond = (value: number) => value / options.pushesPerSecond;
    const perPushBytes = kinds.filter((k) => k.perPush).reduce((total, k) => total + k.bytes, 0);
    return {
      windowSeconds,
      pushesPerSecond: options.pushesPerSecond,
      seconds: Math.round(seconds),
      heldBytes: Math.round(heldBytes),
      bytesPerPushPerSecond: Math.round(perSecond(heldBytes)),
      keysPerPushPerSecond: Math.round(perSecond(heldKeys) * 100) / 100,
      keptSeconds: keptMs / 1000,
      keyBytesPerPush: Math.round(perSecond(perPushBytes) / (keptMs / 1000)),
      growthBytesPerSecond: Math.round(slope(samples.map((s) => [s.at, s.memory]))),
      boundedBytes,
      perUserBytes: users === undefined ? 0 : Math.round(users.bytes / users.keys),
      users: users?.keys ?? 0,
      kinds,
      failedPushes: statuses.filter((s) => s !== 200).length,
    };
  } finally {
    await deployment.stop();
  }
}

async function reading(deployment: Deployment): Promise<{ memory: number; keys: number }> {
  const info = parseRedisInfo(await deployment.redis.info('memory'));
  return { memory: Number(info.fields['used_memory']), keys: await deployment.redis.dbsize() };
}

/** A queue's sets of job ids (one entry per push): per push though their name holds none. */
const JOB_SETS = /:(wait|active|delayed|prioritized|completed|failed)$/;

/** Keys of one kind: their name with the push, the user and the reply index taken out. */
export interface KeyKind {
  readonly pattern: string;
  readonly keys: number;
  /** MEMORY USAGE, summed (an estimate for large collections: Redis samples them). */
  readonly bytes: number;
  /** Whether each push has keys of this kind (its name holds a push), or it is bounded otherwise. */
  readonly perPush: boolean;
}

/**
 * Every key of the deployment by kind, once the sampling ends. The bounded kinds (the users'
 * quota ledgers, the queues' own keys and capped event streams) are taken off what is held, so
 * what remains is what scales with the push rate.
 */
async function keyKinds(deployment: Deployment): Promise<KeyKind[]> {
  const { redis, prefix } = deployment;
  const kinds = new Map<string, { keys: number; bytes: number }>();
  for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 1000 })) {
    for (const key of batch as string[]) {
      const pattern = key
        .slice(prefix.length + 1)
        .replace(/[0-9a-f]{40}/g, '<push>')
        .replace(/oBench\d+/g, '<user>')
        .replace(/(<push>)-\d+/g, '$1-<n>');
      const kind = kinds.get(pattern) ?? { keys: 0, bytes: 0 };
      kind.keys += 1;
      kind.bytes += (await redis.memory('USAGE', key)) ?? 0;
      kinds.set(pattern, kind);
    }
  }
  return [...kinds]
    .map(([pattern, kind]) => ({ pattern, ...kind, perPush: pattern.includes('<push>') || JOB_SETS.test(pattern) }))
    .sort((a, b) => b.bytes - a.bytes);
}
