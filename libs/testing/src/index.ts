// Test support, dev-only. Redis processes themselves come from @wxq/redis-server; the few of its
// exports that suites start directly (a private redis-server, a free port) are re-exported here so
// a suite has one test-support import.
export { findFreePort, startRedisServer, type RedisServer, type RedisServerOptions } from '@wxq/redis-server';
export { createLogSink, LOG_LEVELS, type LogRecord, type LogSink } from './log-sink.js';
export { parsePrometheusText, sampleValue, type Sample } from './prometheus-text.js';
export {
  signEncryptedPush,
  signEncryptedQuery,
  signHandshake,
  signPlaintextPush,
  type SignedPush,
  type SignEncryptedPushOptions,
  type SignPushOptions,
} from './push-signing.js';
export { type TestCertificate, createTestCertificate } from './tls-certificate.js';
export { type ExternalRedis, type PrivateRedis, type TestRedis, type TestRedisOptions } from './test-redis.js';
export {
  REPO_ROOT,
  startTsProcess,
  type ProcessExit,
  type StopOptions,
  type TsProcess,
  type TsProcessOptions,
} from './ts-process.js';
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
