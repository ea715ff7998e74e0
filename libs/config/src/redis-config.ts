import { z } from 'zod';
import { list } from './env-schema.js';

export const redisEnvSchema = z.object({
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  REDIS_CLUSTER_NODES: list,
});

export type RedisConfig =
  | { readonly mode: 'standalone'; readonly url: string }
  | { readonly mode: 'cluster'; readonly nodes: readonly string[] };

/** REDIS_CLUSTER_NODES (host:port,...) selects Cluster mode; otherwise REDIS_URL. */
export function toRedisConfig(env: z.infer<typeof redisEnvSchema>): RedisConfig {
  return env.REDIS_CLUSTER_NODES.length > 0
    ? { mode: 'cluster', nodes: env.REDIS_CLUSTER_NODES }
    : { mode: 'standalone', url: env.REDIS_URL };
}

/**
 * The queue key prefix. It must be a Redis Cluster hash tag (`{...}`) so that all of a queue's keys
 * share a slot, which BullMQ's multi-key scripts need (BullMQ docs, patterns/redis-cluster).
 */
export const queuePrefix = z
  .string()
  .regex(/^\{[\w.-]{1,64}\}$/, 'expected a hash tag such as {wxq}')
  .default('{wxq}');

/**
 * WXQ_QUEUE_SHARDS: how many queue shards (docs/shards.md), each in its own Cluster slot. The
 * same value on every gateway, worker and ops run of a deployment.
 */
export const queueShards = z
  .string()
  .default('1')
  .refine((value) => /^\d{1,2}$/.test(value) && Number(value) >= 1 && Number(value) <= 64, {
    message: 'expected an integer from 1 to 64',
  })
  .transform(Number);
