import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { flag, list, optionalString } from './env-schema.js';

const REDIS_URL_PROBLEM = 'expected redis://[user:password@]host[:port][/db] or rediss://… (TLS)';

export const redisEnvSchema = z.object({
  // Never echoed back: it may carry a password.
  REDIS_URL: z.string().default('redis://127.0.0.1:6379').refine(isRedisUrl, { message: REDIS_URL_PROBLEM }),
  REDIS_CLUSTER_NODES: list,
  REDIS_USERNAME: optionalString,
  REDIS_PASSWORD: optionalString,
  REDIS_TLS: flag(false),
  // The PEM text, read once at start-up, so a certificate that is missing fails the start, not every connection.
  REDIS_TLS_CA: optionalString.transform((path, ctx) => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      ctx.addIssue({ code: 'custom', message: `cannot read the CA certificate file ${path} (${code})` });
      return z.NEVER;
    }
  }),
});

/** How every connection authenticates and whether it speaks TLS: the same for each Cluster node. */
export interface RedisCredentials {
  /** An ACL user (Redis 6+); without it, the password is the default user's (`requirepass`). */
  readonly username?: string;
  readonly password?: string;
  /** TLS on; `ca` is a PEM certificate to trust besides the system's (a private CA). */
  readonly tls?: { readonly ca?: string };
}

export type RedisConfig =
  | ({ readonly mode: 'standalone'; readonly url: string } & RedisCredentials)
  | ({ readonly mode: 'cluster'; readonly nodes: readonly string[] } & RedisCredentials);

/**
 * REDIS_CLUSTER_NODES (host:port,...) selects Cluster mode; otherwise REDIS_URL. REDIS_USERNAME,
 * REDIS_PASSWORD and REDIS_TLS (with REDIS_TLS_CA) apply to every Cluster node; standalone, a
 * user and password in REDIS_URL win over them, and `rediss://` turns TLS on as REDIS_TLS does.
 */
export function toRedisConfig(env: z.infer<typeof redisEnvSchema>): RedisConfig {
  const isCluster = env.REDIS_CLUSTER_NODES.length > 0;
  const isTls = env.REDIS_TLS || (!isCluster && /^rediss:/i.test(env.REDIS_URL));
  const credentials: RedisCredentials = {
    ...(env.REDIS_USERNAME === undefined ? {} : { username: env.REDIS_USERNAME }),
    ...(env.REDIS_PASSWORD === undefined ? {} : { password: env.REDIS_PASSWORD }),
    ...(isTls ? { tls: env.REDIS_TLS_CA === undefined ? {} : { ca: env.REDIS_TLS_CA } } : {}),
  };
  return isCluster
    ? { mode: 'cluster', nodes: env.REDIS_CLUSTER_NODES, ...credentials }
    : { mode: 'standalone', url: env.REDIS_URL, ...credentials };
}

function isRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
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
