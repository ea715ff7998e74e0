import { createHash } from 'node:crypto';
import { type WxqKeys, createKeys } from './keys.js';
import { CLUSTER_SLOTS, hashTagOf, keySlot } from './slots.js';

// Queue shards (docs/shards.md). The prefix names and the user -> shard mapping are wire
// contracts between gateways, workers and the jobs in Redis: change them only with a migration.

/** The most shards WXQ_QUEUE_SHARDS allows. */
const MAX_QUEUE_SHARDS = 64;
/**
 * A shard's slot lands within this many slots after its even share of the slot range: close
 * enough to spread over the masters, found after ~1,000 tries of the salt on average.
 */
const SLOT_WINDOW = 16;
/** Far past any salt the search needs (each try lands in the window with p = 16/16384). */
const MAX_SALT = 10_000_000;

/** One queue shard: its queues, its users' keys and the slot they all hash to. */
export interface QueueShard {
  /** 0 .. count-1. */
  readonly index: number;
  /** The BullMQ prefix of the shard's queues; shard 0's is WXQ_QUEUE_PREFIX itself. */
  readonly prefix: string;
  /** The Cluster slot of every key of the shard. */
  readonly slot: number;
  /** The shard's key names (an account's keys stay under shard 0's prefix). */
  readonly keys: WxqKeys;
}

/** One T per shard, found by index or by user. */
export interface PerShard<T> {
  /** By shard index. */
  readonly all: readonly T[];
  /** The T of one user's shard. */
  readonly of: (appId: string, openId: string) => T;
  /** The index of one user's shard. */
  readonly indexOf: (appId: string, openId: string) => number;
  /** The T of shard `index`. @throws RangeError for an index out of range */
  readonly at: (index: number) => T;
}

export interface QueueShards extends PerShard<QueueShard> {
  /** Shard 0's key names: an account's keys (token, send pause, send rate, passive channel) are in every shard's. */
  readonly keys: WxqKeys;
  /** One T made for each shard (its producer, its lanes, ...). */
  map<T>(make: (shard: QueueShard) => T): PerShard<T>;
}

/**
 * The `count` queue shards of a deployment whose WXQ_QUEUE_PREFIX is `prefix`. Shard 0 is the
 * prefix unchanged (one shard is the unsharded layout); shard i > 0 gets the hash tag
 * `<tag>~s<i>~<salt>`, the least salt whose slot lies within a few slots after shard 0's slot plus
 * i/count of the range. `~` is not allowed in WXQ_QUEUE_PREFIX, so no configured prefix is ever a
 * derived one.
 * @throws RangeError when count is not an integer in 1..64
 */
export function createQueueShards(prefix: string, count: number): QueueShards {
  if (!Number.isInteger(count) || count < 1 || count > MAX_QUEUE_SHARDS) {
    throw new RangeError(`queue shards: expected an integer from 1 to ${MAX_QUEUE_SHARDS}, got ${count}`);
  }
  const all = Array.from({ length: count }, (_, index) => {
    const shardPrefix = shardPrefixOf(prefix, index, count);
    return { index, prefix: shardPrefix, slot: keySlot(shardPrefix), keys: createKeys(shardPrefix, prefix) };
  });
  const indexOf = count === 1 ? () => 0 : (appId: string, openId: string) => shardIndexOf(appId, openId, count);
  const perShard = <T>(items: readonly T[]): PerShard<T> => {
    const at = (index: number): T => {
      if (!(index in items)) throw new RangeError(`queue shards: no shard ${index} of ${count}`);
      return items[index] as T;
    };
    return { all: items, at, indexOf, of: (appId, openId) => at(indexOf(appId, openId)) };
  };
  return {
    ...perShard(all),
    // count >= 1: there is a shard 0.
    keys: (all[0] as QueueShard).keys,
    map: (make) => perShard(all.map(make)),
  };
}

/** The prefix of shard `index` of `count`. */
export function shardPrefixOf(prefix: string, index: number, count: number): string {
  if (index === 0) return prefix;
  const tag = hashTagOf(prefix);
  // Without a hash tag (a standalone Redis) slots do not matter: no salt to look for.
  if (tag === undefined) return `${prefix}~s${index}`;
  const open = prefix.indexOf(`{${tag}}`);
  const target = (keySlot(prefix) + Math.round((index * CLUSTER_SLOTS) / count)) % CLUSTER_SLOTS;
  for (let salt = 0; salt < MAX_SALT; salt += 1) {
    const shardTag = `${tag}~s${index}~${salt}`;
    if ((keySlot(`{${shardTag}}`) - target + CLUSTER_SLOTS) % CLUSTER_SLOTS < SLOT_WINDOW) {
      return `${prefix.slice(0, open)}{${shardTag}}${prefix.slice(open + tag.length + 2)}`;
    }
  }
  throw new Error(`queue shards: no salt found for shard ${index} of ${prefix}`);
}

/**
 * Jump consistent hash (Lamping and Veach, 2014) of SHA-1(appId, openId): from N to N+1 shards
 * only 1/(N+1) of the users move, each to the new shard, where a modulo would move most of them.
 */
export function shardIndexOf(appId: string, openId: string, count: number): number {
  let key = createHash('sha1').update(`${appId}\n${openId}`).digest().readBigUInt64BE(0);
  let bucket = -1;
  let next = 0;
  while (next < count) {
    bucket = next;
    key = (key * 2862933555777941757n + 1n) & 0xffffffffffffffffn;
    next = Math.floor((bucket + 1) * (2 ** 31 / (Number(key >> 33n) + 1)));
  }
  return bucket;
}
