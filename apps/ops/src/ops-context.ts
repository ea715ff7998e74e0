import type { WorkerConfig } from '@wxq/config';
import { type Campaigns, createCampaigns } from '@wxq/notify';
import { OperatorQueue, QUEUES, QUEUE_KEYS, type QueueKey, queueOnShard } from '@wxq/queue';
import { type QuotaLedger, type SendPause, createQuotaLedger, createSendPause } from '@wxq/quota';
import { type QueueShards, type RedisClient, createQueueShards } from '@wxq/redis';
import { connectRedis } from './connect-redis.js';

/** What the commands work on: the deployment's queues (as an operator sees them), pauses and ledger. */
export interface OpsContext {
  readonly config: WorkerConfig;
  readonly redis: RedisClient;
  /** Each catalog queue once per shard (WXQ_QUEUE_SHARDS, docs/shards.md), by shard index. */
  readonly queues: Readonly<Record<QueueKey, readonly OperatorQueue[]>>;
  readonly shards: QueueShards;
  /** How output names a queue: `inbound`, or `inbound (shard 2)` with several shards. */
  label(queue: OperatorQueue): string;
  readonly pause: SendPause;
  /** The notifications' own pause (a 45009 on template sends): `pause` and `resume` hold and lift both. */
  readonly notificationPause: SendPause;
  /** undefined with WXQ_CS_QUOTA=off. */
  readonly ledger: QuotaLedger | undefined;
  /** The deployment's campaigns (shard 0's keys, as the API and worker keep them). */
  readonly campaigns: Campaigns;
  close(): Promise<void>;
}

/**
 * Connects to the deployment's Redis with the worker's configuration.
 * @throws OpsError when Redis is unreachable
 */
export async function openOpsContext(config: WorkerConfig): Promise<OpsContext> {
  const redis = await connectRedis(config.redis, 'wxq-ops');
  const shards = createQueueShards(config.queuePrefix, config.queueShards);
  const keys = shards.keys;
  const shardOf = new Map<OperatorQueue, number>();
  const queues = Object.fromEntries(
    QUEUE_KEYS.map((key) => [
      key,
      shards.all
        .filter((shard) => queueOnShard(key, shard.index))
        .map((shard) => {
          const queue = new OperatorQueue(QUEUES[key].name, { connection: redis, prefix: shard.prefix });
          // A connection error also fails the command that waits on it, which reports it.
          queue.on('error', () => undefined);
          shardOf.set(queue, shard.index);
          return queue;
        }),
    ]),
  ) as Record<QueueKey, OperatorQueue[]>;
  const everyQueue = Object.values(queues).flat();
  const { mode, messageSends, eventSends } = config.quota;
  return {
    config,
    redis,
    queues,
    shards,
    label: (queue) => (shards.all.length === 1 ? queue.name : `${queue.name} (shard ${shardOf.get(queue) ?? '?'})`),
    pause: createSendPause(redis, keys),
    notificationPause: createSendPause(redis, keys, Date.now, keys.notificationPause),
    ledger:
      mode === 'off'
        ? undefined
        : createQuotaLedger({
            redis,
            // A user's ledger is in their shard.
            keyOf: (appId, openId) => shards.of(appId, openId).keys.quota(appId, openId),
            rules: { messageSends, eventSends },
          }),
    campaigns: createCampaigns({ redis, keys, accounts: config.accounts.map((account) => account.appId) }),
    async close() {
      await Promise.all(everyQueue.map((queue) => queue.close()));
      await redis.quit();
    },
  };
}

/** The catalog queues a `--queue` option selects, in every shard: the one named, or all of them. */
export function selectQueues(context: OpsContext, queue: QueueKey | undefined): OperatorQueue[] {
  return (queue === undefined ? QUEUE_KEYS : [queue]).flatMap((key) => context.queues[key]);
}
