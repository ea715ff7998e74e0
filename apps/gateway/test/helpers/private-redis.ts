import { type RedisServer, startRedisServer } from '@wxq/testing';
import { onTestFinished } from 'vitest';

/** A redis-server of the test's own, stopped when it finishes: for tests that stop or stall Redis. */
export async function usePrivateRedis(): Promise<RedisServer> {
  const server = await startRedisServer();
  onTestFinished(() => server.stop());
  return server;
}

/** What `run` resolves to, and how long it took. */
export async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}
