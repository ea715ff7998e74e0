export { createRedis, type RedisClient, type RedisRole, type RedisTarget } from './create-redis.js';
