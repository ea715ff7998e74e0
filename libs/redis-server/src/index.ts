export { findFreePort } from './free-port.js';
export { pollUntil, type PollOptions, type Truthy } from './poll.js';
export { canReadProcessGroups, processGroupOf, redisServerPid } from './process-group.js';
export { isDockerAvailable, startRedisContainer, type DockerEnv, type RedisContainer } from './redis-container.js';
export { startRedisCluster, type RedisCluster, type RedisClusterOptions } from './redis-cluster.js';
export { type RedisTlsFiles } from './redis-process.js';
export { RedisServerError, type RedisServerErrorCode } from './redis-server-error.js';
export {
  startRedisServer,
  stopOrphanedRedisServer,
  type RedisServer,
  type RedisServerOptions,
} from './redis-server.js';
