// These tests stop and stall Redis, so each runs on a private redis-server (never the run's shared one).
import { type RedisServer, startRedisServer, waitFor } from '@wxq/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { errorCodeOf, templateRequest, useApi } from './helpers/harness.js';

/** The API's 2 s Redis deadline plus slack for a loaded CI machine. */
const ANSWER_WITHIN_MS = 4_000;
/** ioredis retries every 2 s at most (libs/redis), so it is back within a few seconds of Redis. */
const RECOVERY_TIMEOUT_MS = 10_000;

async function usePrivateRedis(): Promise<RedisServer> {
  const server = await startRedisServer();
  onTestFinished(() => server.stop());
  return server;
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

describe('Redis down', () => {
  it('answers 503 at once while Redis is stopped, 404 for ids not shaped like one, then works once it is back', async () => {
    const redis = await usePrivateRedis();
    const api = await useApi({ redisUrl: redis.url });
    const before = await api.post(templateRequest());
    expect(before.status).toBe(202);

    await redis.pause();
    const refused = await timed(() => api.post(templateRequest(), { 'idempotency-key': 'retry-me' }));
    expect(refused.value.status).toBe(503);
    expect(errorCodeOf(refused.value)).toBe('unavailable');
    expect(refused.value.headers.get('retry-after')).toBe('1');
    expect(refused.ms).toBeLessThan(ANSWER_WITHIN_MS);
    expect((await api.request(`/api/v1/messages/${(before.json as { id: string }).id}`)).status).toBe(503);
    // Not shaped like an id: answered without Redis.
    expect((await api.request('/api/v1/messages/not-an-id')).status).toBe(404);
    expect((await api.request('/readyz')).status).toBe(503);
    expect((await api.request('/healthz')).status).toBe(200);

    await redis.resume();
    const accepted = await waitFor(
      async () => {
        const answer = await api.post(templateRequest(), { 'idempotency-key': 'retry-me' });
        return answer.status === 202 ? answer : undefined;
      },
      { message: 'a retried request to be accepted once Redis is back', timeoutMs: RECOVERY_TIMEOUT_MS },
    );
    expect((await api.request('/readyz')).status).toBe(200);
    const got = await api.request(`/api/v1/messages/${(accepted.json as { id: string }).id}`);
    expect(got.json).toMatchObject({ status: 'queued' });
    // The restarted Redis came back empty (no persistence): only the retried request is there.
    expect(await api.jobCount()).toBe(1);
  });

  it('answers 503 within its deadline when Redis accepts connections but does not answer', async () => {
    const redis = await usePrivateRedis();
    const api = await useApi({ redisUrl: redis.url });
    // Every client's commands wait until the pause ends; it outlasts the API's 2 s deadline.
    await api.redis.call('CLIENT', 'PAUSE', '3500', 'ALL');
    const [stalled, read] = await Promise.all([
      timed(() => api.post(templateRequest(), { 'idempotency-key': 'stalled-1' })),
      timed(() => api.request(`/api/v1/messages/ntf_${'0'.repeat(32)}`)),
    ]);
    for (const answer of [stalled, read]) {
      expect(answer.value.status).toBe(503);
      expect(answer.ms).toBeGreaterThanOrEqual(1_900);
      expect(answer.ms).toBeLessThan(ANSWER_WITHIN_MS);
    }
    // The stalled request may still land after the pause; its retry finds it and queues nothing again.
    const retried = await waitFor(
      async () => {
        const answer = await api.post(templateRequest(), { 'idempotency-key': 'stalled-1' });
        return answer.status === 202 ? answer : undefined;
      },
      { message: 'the retry to be accepted after the pause', timeoutMs: RECOVERY_TIMEOUT_MS },
    );
    expect(retried.status).toBe(202);
    expect(await api.jobCount()).toBe(1);
  });

  it('starts while Redis is down, answering 503, and serves once Redis comes up', async () => {
    const redis = await usePrivateRedis();
    await redis.pause();
    const api = await useApi({ redisUrl: redis.url, awaitReady: false });
    const refused = await timed(() => api.post(templateRequest()));
    expect(refused.value.status).toBe(503);
    expect(refused.ms).toBeLessThan(ANSWER_WITHIN_MS);
    expect((await api.request('/readyz')).status).toBe(503);
    await redis.resume();
    await waitFor(async () => (await api.post(templateRequest())).status === 202, {
      message: 'a request to be accepted once Redis is up',
      timeoutMs: RECOVERY_TIMEOUT_MS,
    });
    expect(await api.jobCount()).toBe(1);
  });

  it('stops cleanly while Redis is down', async () => {
    const redis = await usePrivateRedis();
    await redis.pause();
    const api = await useApi({ redisUrl: redis.url, awaitReady: false });
    await api.stop();
    await redis.resume();
  });
});
