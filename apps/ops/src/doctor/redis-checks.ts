import type { AppConfig, RedisConfig } from '@wxq/config';
import { type RedisClient, createQueueShards, raceTimeout } from '@wxq/redis';
import type { Redis } from 'ioredis';
import { OpsError } from '../cli-io.js';
import { connectRedis, describeRedis } from '../connect-redis.js';
import { type CheckResult, fail, ok, warn } from './check.js';

/** A node that takes longer to answer INFO is as good as down for the gateway's 5-second budget. */
const NODE_ANSWER_MS = 2_000;
/** BullMQ refuses older servers. */
const MIN_REDIS_VERSION = [5, 0, 0] as const;

/**
 * Redis as wxq needs it: reachable, recent, never evicting, persistent; on a Cluster every master
 * up. A Cluster is looked at node by node, each on a connection of its own, so one master that
 * hangs is named instead of holding the whole check.
 * @throws OpsError when Redis (every Cluster seed node) is unreachable
 */
export async function checkRedis(config: AppConfig): Promise<CheckResult[]> {
  const where = describeRedis(config.redis);
  const seed = await connectSeed(config.redis);
  const results: CheckResult[] = [];
  const infos: Map<string, string>[] = [];
  const unreachable: string[] = [];
  try {
    if (config.redis.mode === 'standalone') infos.push(parseInfo(await withinMs(seed.info(), NODE_ANSWER_MS)));
    else {
      const masters = await masterAddresses(seed);
      for (const address of masters) {
        const info = await nodeInfo(address, config.redis);
        if (info === undefined) unreachable.push(address);
        else infos.push(info);
      }
      results.push(
        unreachable.length === 0
          ? ok(`Redis Cluster: all ${masters.length} masters reachable`)
          : fail(
              `Redis Cluster: ${unreachable.length} of ${masters.length} masters do not answer: ${unreachable.join(', ')}`,
              'bring them back or fix REDIS_CLUSTER_NODES; jobs in their slots wait meanwhile',
            ),
      );
      results.push(await checkHashTag(seed, config.queuePrefix));
      if (config.queueShards > 1) results.push(await checkShards(seed, config.queuePrefix, config.queueShards));
    }
  } finally {
    seed.disconnect();
  }
  const first = infos[0];
  if (first === undefined)
    return [...results, fail(`Redis at ${where} does not answer INFO`, 'check the servers and their ACL')];
  const version = first.get('redis_version') ?? 'unknown';
  results.unshift(
    isAtLeast(version, MIN_REDIS_VERSION)
      ? ok(`Redis reachable at ${where}, version ${version}`)
      : fail(`Redis ${version} at ${where} is too old for BullMQ`, 'run Redis 5 or newer (BullMQ recommends 6.2+)'),
  );
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

/**
 * Standalone: the server. Cluster: the first seed node that answers, as a plain connection. A
 * standalone RedisConfig always makes a Redis (createRedis), hence the casts.
 */
async function connectSeed(config: RedisConfig): Promise<Redis> {
  if (config.mode === 'standalone') return (await connectRedis(config, 'wxq-doctor')) as Redis;
  let lastError: unknown;
  for (const node of config.nodes) {
    try {
      return (await connectRedis(nodeConfig(node, config), 'wxq-doctor', NODE_ANSWER_MS)) as Redis;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError instanceof Error
    ? lastError
    : new OpsError(`no Redis Cluster node answers (${config.nodes.join(',')})`);
}

/** The masters CLUSTER NODES lists: `<id> <ip:port@cport[,hostname]> <flags> ...`. */
async function masterAddresses(seed: Redis): Promise<string[]> {
  const text = String(await withinMs(seed.cluster('NODES'), NODE_ANSWER_MS));
  return text
    .split('\n')
    .map((row) => row.split(' '))
    .filter((fields) => (fields[2] ?? '').split(',').includes('master'))
    .map((fields) => (fields[1] ?? '').split('@')[0] ?? '')
    .filter((address) => address !== '' && !address.startsWith(':'));
}

/** A node's INFO, or undefined when it does not answer within NODE_ANSWER_MS. */
async function nodeInfo(address: string, cluster: RedisConfig): Promise<Map<string, string> | undefined> {
  let node: RedisClient | undefined;
  try {
    node = await connectRedis(nodeConfig(address, cluster), 'wxq-doctor', NODE_ANSWER_MS);
    return parseInfo(await withinMs(node.info(), NODE_ANSWER_MS));
  } catch {
    return undefined;
  } finally {
    node?.disconnect();
  }
}

/** One Cluster node on its own, with the Cluster's user, password and TLS. */
function nodeConfig(address: string, cluster: RedisConfig): RedisConfig {
  const { username, password, tls } = cluster;
  return {
    mode: 'standalone',
    url: `redis://${address}`,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(tls === undefined ? {} : { tls }),
  };
}

/** Every wxq key must hash to the prefix's slot, or BullMQ's multi-key scripts fail with CROSSSLOT. */
async function checkHashTag(redis: Redis, prefix: string): Promise<CheckResult> {
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

/**
 * Each shard's keys hash where wxq computes they do (the server's CLUSTER KEYSLOT agrees), and the
 * shards land on as many masters as they can (docs/shards.md).
 */
async function checkShards(redis: Redis, prefix: string, count: number): Promise<CheckResult> {
  const shards = createQueueShards(prefix, count).all;
  const slots = await Promise.all(shards.map((shard) => redis.cluster('KEYSLOT', `${shard.prefix}:inbound:wait`)));
  const wrong = shards.filter((shard, i) => slots[i] !== shard.slot);
  if (wrong.length > 0) {
    return fail(
      `WXQ_QUEUE_SHARDS=${count}: Redis hashes shard ${wrong.map((s) => s.index).join(', ')} elsewhere than wxq`,
      'report this: the shard mapping and the server disagree',
    );
  }
  const ranges = await redis.cluster('SLOTS');
  const masterOf = (slot: number) => ranges.find(([from, to]) => slot >= from && slot <= to)?.[2]?.[1];
  const used = new Set(shards.map((shard) => masterOf(shard.slot)));
  const masters = new Set(ranges.map((range) => range[2]?.[1])).size;
  const summary = `WXQ_QUEUE_SHARDS=${count}: slots ${shards.map((s) => s.slot).join(', ')} on ${used.size} of ${masters} masters`;
  return used.size >= Math.min(count, masters)
    ? ok(summary)
    : warn(summary, 'some masters serve no shard: reshard so each shard slot has a master of its own');
}

function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  return raceTimeout(promise, ms, () => {
    throw new Error(`no answer within ${ms} ms`);
  });
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
