export { createRedis, type RedisClient, type RedisRole, type RedisTarget } from './create-redis.js';
export { type WxqKeys, createKeys } from './keys.js';
export { type RedisScript, createScript } from './script.js';
export { pingWithin } from './ping-within.js';
export { CLUSTER_SLOTS, crc16, hashTagOf, keySlot } from './slots.js';
export {
  MAX_QUEUE_SHARDS,
  type PerShard,
  type QueueShard,
  type QueueShards,
  createQueueShards,
  shardIndexOf,
  shardPrefixOf,
} from './shards.js';
