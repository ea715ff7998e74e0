// Vitest globalSetup (named in the root vitest.config.ts): one Redis for the whole run, handed to
// tests as inject('redisUrl'). This is an entry point, so it is where process.env is read.
// Brings 'vitest' into the program so the augmentation below resolves; erased at runtime.
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startTestRedis, type TestRedis } from './test-redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's shared Redis. Use a key or queue prefix of your own (`test-<uuid>`); never flush it. */
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startTestRedis({ env: process.env });
  // Which Redis a run used is the first question when a Redis test fails in CI.
  console.info(`[@wxq/testing] test Redis: ${describeRedis(redis)}`);
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}

function describeRedis(redis: TestRedis): string {
  // REDIS_URL may carry a password, so it is not printed.
  if (redis.source === 'env') return 'REDIS_URL from the environment';
  return `${redis.source} at ${redis.url}`;
}
