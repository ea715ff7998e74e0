import type { WorkerConfig } from '@wxq/config';
import { OperatorQueue, QUEUES, QUEUE_KEYS, type QueueKey } from '@wxq/queue';
import { type QuotaLedger, type SendPause, createQuotaLedger, createSendPause } from '@wxq/quota';
import { type RedisClient, createKeys } from '@wxq/redis';
import { connectRedis } from './connect-redis.js';

/** What the commands work on: the deployment's queues (as an operator sees them), pauses and ledger. */
export interface OpsContext {
  readonly config: WorkerConfig;
  readonly redis: RedisClient;
  readonly queues: Readonly<Record<QueueKey, OperatorQueue>>;
  readonly pause: SendPause;
  /** undefined with WXQ_CS_QUOTA=off. */
  readonly ledger: QuotaLedger | undefined;
  close(): Promise<void>;
}

/**
 * Connects to the deployment's Redis with the worker's configuration.
 * @throws OpsError when Redis is unreachable
 */
export async function openOpsContext(config: WorkerConfig): Promise<OpsContext> {
  const redis = await connectRedis(config.redis, 'wxq-ops');
  const keys = createKeys(config.queuePrefix);
  const queues = Object.fromEntries(
    QUEUE_KEYS.map((key) => [
      key,
      new OperatorQueue(QUEUES[key].name, { connection: redis, prefix: config.queuePrefix }),
    ]),
  ) as Record<QueueKey, OperatorQueue>;
  for (const queue of Object.values(queues)) {
    // A connection error also fails the command that waits on it, which reports it.
    queue.on('error', () => undefined);
  }
  const { mode, messageSends, eventSends } = config.quota;
  return {
    config,
    redis,
    queues,
    pause: createSendPause(redis, keys),
    ledger:
      mode === 'off' ? undefined : createQuotaLedger({ redis, keyOf: keys.quota, rules: { messageSends, eventSends } }),
    async close() {
      await Promise.all(Object.values(queues).map((queue) => queue.close()));
      await redis.quit();
    },
  };
}

/** The catalog queues a `--queue` option selects: the one named, or all of them. */
export function selectQueues(context: OpsContext, queue: QueueKey | undefined): OperatorQueue[] {
  return queue === undefined ? QUEUE_KEYS.map((key) => context.queues[key]) : [context.queues[queue]];
}
