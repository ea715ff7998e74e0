import type { AppConfig } from '@wxq/config';
import type { RedisClient } from '@wxq/redis';
import { Cluster, type Redis } from 'ioredis';
import { describeRedis } from '../connect-redis.js';
import { type CheckResult, describeError, fail, ok, warn } from './check.js';

/** A node that takes longer to answer INFO is as good as down for the gateway's 5-second budget. */
const NODE_ANSWER_MS = 2_000;
/** BullMQ refuses older servers. */
const MIN_REDIS_VERSION = [5, 0, 0] as const;

/** Redis as wxq needs it: reachable, recent, never evicting, persistent; on a Cluster every master up. */
export async function checkRedis(redis: RedisClient, config: AppConfig): Promise<CheckResult[]> {
  const nodes: Redis[] = isCluster(redis) ? redis.nodes('master') : [redis];
  const results: CheckResult[] = [];
  const infos: Map<string, string>[] = [];
  const unreachable: string[] = [];
  for (const node of nodes) {
    try {
      infos.push(parseInfo(await withinMs(node.info(), NODE_ANSWER_MS)));
    } catch (err) {
      unreachable.push(`${node.options.host ?? '?'}:${node.options.port ?? '?'} (${describeError(err)})`);
    }
  }
  const first = infos[0];
  if (first === undefined) {
    return [fail(`Redis at ${describeRedis(config.redis)} does not answer INFO`, 'check the server and its ACL')];
  }
  const version = first.get('redis_version') ?? 'unknown';
  results.push(
    isAtLeast(version, MIN_REDIS_VERSION)
      ? ok(`Redis reachable at ${describeRedis(config.redis)}, version ${version}`)
      : fail(
          `Redis ${version} at ${describeRedis(config.redis)} is too old for BullMQ`,
          'run Redis 5 or newer (BullMQ recommends 6.2+)',
        ),
  );
  if (isCluster(redis)) {
    results.push(
      unreachable.length === 0
        ? ok(`Redis Cluster: all ${nodes.length} masters reachable`)
        : fail(
            `Redis Cluster: ${unreachable.length} of ${nodes.length} masters unreachable: ${unreachable.join(', ')}`,
            'bring them back or fix REDIS_CLUSTER_NODES; jobs in their slots wait meanwhile',
          ),
    );
    results.push(await checkHashTag(redis, config.queuePrefix));
  }
  const policies = new Set(infos.map((info) => info.get('maxmemory_policy') ?? 'unknown'));
  results.push(
    policies.size === 1 && policies.has('noeviction')
      ? ok('maxmemory-policy is noeviction')
      : fail(
          `maxmemory-policy is ${[...policies].join(', ')}: Redis may evict BullMQ's keys and lose or corrupt jobs`,
          'set maxmemory-policy noeviction (redis.conf, or your provider’s parameter group)',
        ),
  );
  const aofOff = infos.filter((info) => info.get('aof_enabled') !== '1').length;
  results.push(
    aofOff === 0
      ? ok('persistence: AOF on')
      : warn(
          'persistence: AOF off: a Redis restart loses every push acknowledged since the last RDB snapshot, and WeChat does not resend acknowledged pushes',
          'appendonly yes, appendfsync everysec (docs/deploy.md, Redis)',
        ),
  );
  return results;
}

/** Every wxq key must hash to the prefix's slot, or BullMQ's multi-key scripts fail with CROSSSLOT. */
async function checkHashTag(redis: Cluster, prefix: string): Promise<CheckResult> {
  const tag = /^\{([^}]+)\}/.exec(prefix)?.[1];
  if (tag === undefined) {
    return fail(`WXQ_QUEUE_PREFIX ${prefix} is not a {hash tag}`, 'use a prefix such as {wxq}');
  }
  const prefixSlot = await redis.cluster('KEYSLOT', tag);
  const queueSlot = await redis.cluster('KEYSLOT', `${prefix}:inbound:wait`);
  return prefixSlot === queueSlot
    ? ok(`WXQ_QUEUE_PREFIX ${prefix} is a hash tag: every wxq key is in slot ${prefixSlot}`)
    : fail(`keys under ${prefix} spread over slots`, 'use a prefix such as {wxq}');
}

function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

function isCluster(redis: RedisClient): redis is Cluster {
  return redis instanceof Cluster;
}

/** INFO's `field:value` lines. */
function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return fields;
}

function isAtLeast(version: string, minimum: readonly number[]): boolean {
  const parts = version.split('.').map(Number);
  for (const [i, min] of minimum.entries()) {
    const part = parts[i] ?? 0;
    if (Number.isNaN(part)) return false;
    if (part !== min) return part > min;
  }
  return true;
}
