import { z } from 'zod';
import { type Account, type ReplyMode, envAccountSchema, replyModeSchema } from './accounts.js';
import { logLevel, optionalString } from './env-schema.js';
import { type RedisConfig, queuePrefix, queueShards, redisEnvSchema, toRedisConfig } from './redis-config.js';

/** What every wxq process reads: its accounts, Redis, the queue prefix, logging and the stop deadline. */
export interface AppConfig {
  readonly accounts: readonly Account[];
  readonly shutdownTimeoutMs: number;
  readonly logLevel: z.infer<typeof logLevel>;
  readonly redis: RedisConfig;
  /** Key prefix of every queue and every key wxq writes; hash-tagged for Redis Cluster. */
  readonly queuePrefix: string;
  /** WXQ_QUEUE_SHARDS (docs/shards.md): 1..64; shard 0 is `queuePrefix` itself. */
  readonly queueShards: number;
  /** Per-user ordering (WXQ_ORDERING, docs/ordering.md): the same value on gateways and workers. */
  readonly ordering: boolean;
  /** WXQ_REPLY_MODE: the reply mode of every account that does not set its own (the same on gateways and workers). */
  readonly replyMode: ReplyMode;
}

/** An account's reply mode: its own `replyMode`, else WXQ_REPLY_MODE. */
export function replyModeOf(config: Pick<AppConfig, 'replyMode'>, account: Pick<Account, 'replyMode'>): ReplyMode {
  return account.replyMode ?? config.replyMode;
}

/** The variables behind AppConfig (SHUTDOWN_TIMEOUT_MS is each app's own: the defaults differ). */
export const appEnvSchema = z
  .object({
    WXQ_ACCOUNTS_FILE: optionalString,
    LOG_LEVEL: logLevel,
    WXQ_QUEUE_PREFIX: queuePrefix,
    WXQ_QUEUE_SHARDS: queueShards,
    WXQ_ORDERING: z.enum(['on', 'off'], { message: 'expected on or off' }).default('on'),
    WXQ_REPLY_MODE: replyModeSchema.default('customer-service'),
  })
  .extend(envAccountSchema.shape)
  .extend(redisEnvSchema.shape);

export function toAppConfig(
  env: z.infer<typeof appEnvSchema> & { readonly SHUTDOWN_TIMEOUT_MS: number },
  accounts: readonly Account[],
): AppConfig {
  return {
    accounts,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    logLevel: env.LOG_LEVEL,
    redis: toRedisConfig(env),
    queuePrefix: env.WXQ_QUEUE_PREFIX,
    queueShards: env.WXQ_QUEUE_SHARDS,
    ordering: env.WXQ_ORDERING === 'on',
    replyMode: env.WXQ_REPLY_MODE,
  };
}

/** Freezes a config and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
