// These tests stop and stall Redis, so each runs on a private redis-server (never the run's shared one).
import { signPlaintextPush, waitFor } from '@wxq/testing';
import { describe, expect, it } from 'vitest';
import { useGateway } from './helpers/harness.js';
import { timed, usePrivateRedis } from './helpers/private-redis.js';
import { DEFAULT_ACCOUNT, jobIdOf, textXml } from './helpers/pushes.js';

/** Low, so the tests are quick; the 503 must still come well inside WeChat's 5 s. */
const ENQUEUE_TIMEOUT_MS = 500;
/** The deadline plus generous slack for a loaded 2-core CI machine, still far below 5 s. */
const ANSWER_WITHIN_MS = 2_500;
/** ioredis retries every 2 s at most (libs/redis), so it is back within a few seconds of Redis. */
const RECOVERY_TIMEOUT_MS = 10_000;

describe('Redis down', () => {
  it('answers 503 within the deadline and /readyz 503, then accepts again once Redis is back', async () => {
    const redis = await usePrivateRedis();
    const gateway = await useGateway({ redisUrl: redis.url, env: { ENQUEUE_TIMEOUT_MS: String(ENQUEUE_TIMEOUT_MS) } });
    expect(await gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }))).toMatchObject({
      status: 200,
      body: 'success',
    });

    await redis.pause();
    const retried = textXml();
    const refused = await timed(() => gateway.push(signPlaintextPush(retried, { account: DEFAULT_ACCOUNT })));
    expect(refused.value.status).toBe(503);
    expect(refused.value.body).not.toContain('success');
    expect(refused.ms).toBeLessThan(ANSWER_WITHIN_MS);
    expect((await gateway.send('/readyz')).status).toBe(503);
    expect((await gateway.send('/healthz')).status).toBe(200);

    await redis.resume();
    // WeChat retries the same push; once Redis is back one of the retries gets in.
    await waitFor(
      async () => (await gateway.push(signPlaintextPush(retried, { account: DEFAULT_ACCOUNT }))).status === 200,
      {
        message: 'a retried push to be accepted once Redis is back',
        timeoutMs: RECOVERY_TIMEOUT_MS,
      },
    );
    expect((await gateway.send('/readyz')).status).toBe(200);
    // The restarted Redis came back empty (no persistence): only the retried push is there.
    expect(await gateway.jobCount()).toBe(1);
    expect(await gateway.queue.getJob(jobIdOf(retried))).toBeDefined();
  });

  it('answers 503 when Redis accepts connections but does not confirm within ENQUEUE_TIMEOUT_MS', async () => {
    const redis = await usePrivateRedis();
    const gateway = await useGateway({ redisUrl: redis.url, env: { ENQUEUE_TIMEOUT_MS: String(ENQUEUE_TIMEOUT_MS) } });
    const xml = textXml();
    // Every client's commands wait until the pause ends (CLIENT UNPAUSE would wait too). It outlasts
    // the readiness probe's 1 s PING timeout with room to spare, so /readyz cannot see it end.
    await gateway.redis.call('CLIENT', 'PAUSE', '2500', 'ALL');

    const [stalled, readiness] = await Promise.all([
      timed(() => gateway.push(signPlaintextPush(xml, { account: DEFAULT_ACCOUNT }))),
      gateway.send('/readyz'),
    ]);
    expect(stalled.value).toMatchObject({ status: 503, body: 'enqueue_timeout' });
    expect(stalled.ms).toBeGreaterThanOrEqual(ENQUEUE_TIMEOUT_MS - 50);
    expect(stalled.ms).toBeLessThan(ANSWER_WITHIN_MS);
    expect(readiness.status).toBe(503);

    // The stalled add may still land after the pause; WeChat's retry then finds it and no second job is made.
    await waitFor(
      async () => (await gateway.push(signPlaintextPush(xml, { account: DEFAULT_ACCOUNT }))).status === 200,
      {
        message: 'the retry to be accepted after the pause',
        timeoutMs: RECOVERY_TIMEOUT_MS,
      },
    );
    expect(await gateway.jobCount()).toBe(1);
  });

  it('a gateway started while Redis is down answers 503 within the deadline and starts accepting when Redis comes up', async () => {
    const redis = await usePrivateRedis();
    await redis.pause();
    const starting = await timed(() =>
      useGateway({ redisUrl: redis.url, env: { ENQUEUE_TIMEOUT_MS: String(ENQUEUE_TIMEOUT_MS) }, awaitReady: false }),
    );
    expect(starting.ms).toBeLessThan(ANSWER_WITHIN_MS);
    const gateway = starting.value;

    const refusedXml = textXml();
    const refused = await timed(() => gateway.push(signPlaintextPush(refusedXml, { account: DEFAULT_ACCOUNT })));
    expect(refused.value.status).toBe(503);
    expect(refused.ms).toBeLessThan(ANSWER_WITHIN_MS);
    expect((await gateway.send('/readyz')).status).toBe(503);
    expect((await gateway.send('/healthz')).status).toBe(200);

    await redis.resume();
    const acceptedXml = textXml();
    await waitFor(
      async () => (await gateway.push(signPlaintextPush(acceptedXml, { account: DEFAULT_ACCOUNT }))).status === 200,
      {
        message: 'a push to be accepted once Redis is up',
        timeoutMs: RECOVERY_TIMEOUT_MS,
      },
    );
    expect((await gateway.send('/readyz')).status).toBe(200);
    // A push answered 503 must not turn into a job later: WeChat will retry it, and it may not.
    expect(await gateway.queue.getJob(jobIdOf(refusedXml))).toBeUndefined();
    expect(await gateway.jobCount()).toBe(1);
  });
});
