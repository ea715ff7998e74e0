import type { QueueShards } from '@wxq/redis';
import type { Enqueuer } from './enqueue.js';

/**
 * One enqueuer in front of one per queue shard (docs/shards.md): a push goes to its user's shard,
 * so WeChat's retries of it find its job (dedup) and the user's lane there (order). Ready once
 * every shard's queue has reached Redis.
 */
export function createShardedEnqueuer(shards: QueueShards, enqueuers: readonly Enqueuer[]): Enqueuer {
  if (enqueuers.length !== shards.all.length) throw new RangeError('one enqueuer per queue shard');
  const [only] = enqueuers;
  if (only !== undefined && enqueuers.length === 1) return only;
  return {
    isReady: () => enqueuers.every((enqueuer) => enqueuer.isReady()),
    enqueue: (payload) =>
      (enqueuers[shards.of(payload.appId, payload.message.FromUserName).index] as Enqueuer).enqueue(payload),
  };
}
