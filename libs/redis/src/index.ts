export { createRedis, type RedisClient, type RedisRole, type RedisTarget } from './create-redis.js';
export { type FixedWindowHit, hitFixedWindow } from './fixed-window.js';
export { type WxqKeys, createKeys } from './keys.js';
export { type RedisScript, type ScriptRedis, createScript, loadScript } from './script.js';
export { pingWithin } from './ping-within.js';
export { raceTimeout } from './race-timeout.js';
export { type PerShard, type QueueShard, type QueueShards, createQueueShards } from './shards.js';
