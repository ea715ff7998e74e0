export { findFreePort } from './free-port.js';
export { canReadProcessGroups, processGroupOf, redisServerPid } from './process-group.js';
export { isDockerAvailable, startRedisContainer, type DockerEnv, type RedisContainer } from './redis-container.js';
export { startRedisCluster, type RedisCluster, type RedisClusterOptions } from './redis-cluster.js';
export {
  RedisServerError,
  startRedisServer,
  stopOrphanedRedisServer,
  type RedisServer,
  type RedisServerErrorCode,
  type RedisServerOptions,
} from './redis-server.js';
export {
  startPrivateRedis,
  startTestRedis,
  type ExternalRedis,
  type PrivateRedis,
  type TestRedis,
  type TestRedisOptions,
} from './test-redis.js';
export { waitFor, WaitForTimeoutError, type Truthy, type WaitForOptions } from './wait-for.js';
export {
  type DecryptVector,
  type EncryptVector,
  type FreshVector,
  type NegativeVector,
  type PublishedVector,
  VECTORS_URL,
  type Vectors,
  loadWechatVectors,
} from './wechat-vectors.js';
