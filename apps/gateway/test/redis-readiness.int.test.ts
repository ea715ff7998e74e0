// A push that finds Redis not (yet) connected waits for it within ENQUEUE_TIMEOUT_MS instead of
// getting 503 at once: a gateway (re)starting under load, or reconnecting after a blip, answers
// `success` as soon as Redis is there. Each test stalls Redis, so each runs on a private one.
import { signPlaintextPush, waitFor } from '@wxq/testing';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { useGateway } from './helpers/harness.js';
import { timed, usePrivateRedis } from './helpers/private-redis.js';
import { DEFAULT_ACCOUNT, jobIdOf, textXml } from './helpers/pushes.js';

const plaintextPush = (xml: string) => signPlaintextPush(xml, { account: DEFAULT_ACCOUNT });

const ENQUEUE_TIMEOUT_MS = 3_000;

describe('a push while the gateway is connecting to Redis', () => {
  it('a gateway started while Redis is still starting answers a push sent at once with success', async () => {
    const redis = await usePrivateRedis();
    // Stopped (SIGSTOP): it accepts connections but answers nothing, as a Redis still loading.
    await redis.pause();
    const gateway = await useGateway({
      redisUrl: redis.url,
      env: { ENQUEUE_TIMEOUT_MS: String(ENQUEUE_TIMEOUT_MS) },
      awaitReady: false,
    });
    const resumed = new Promise<void>((resolve) => {
      setTimeout(() => {
        void redis.resume().then(resolve);
      }, 1_000);
    });
    const xml = textXml();
    const answer = await timed(() => gateway.push(plaintextPush(xml)));
    await resumed;
    expect(answer.value).toMatchObject({ status: 200, body: 'success' });
    expect(answer.ms).toBeGreaterThanOrEqual(900);
    expect(answer.ms).toBeLessThan(ENQUEUE_TIMEOUT_MS + 500);
    expect(await gateway.queue.getJob(jobIdOf(xml))).toBeDefined();
  });

  it('a gateway whose Redis never comes answers 503 within the deadline, and nothing is enqueued after it', async () => {
    const redis = await usePrivateRedis();
    await redis.pause();
    const gateway = await useGateway({ redisUrl: redis.url, env: { ENQUEUE_TIMEOUT_MS: '800' }, awaitReady: false });
    const xmls = [textXml(), textXml(), textXml()];
    const answers = await Promise.all(xmls.map((xml) => timed(() => gateway.push(plaintextPush(xml)))));
    for (const answer of answers) {
      expect(answer.value).toMatchObject({ status: 503, body: 'redis_unavailable' });
      expect(answer.ms).toBeGreaterThanOrEqual(750);
      expect(answer.ms).toBeLessThan(2_500);
    }
    // Redis comes back later: none of the pushes answered 503 becomes a job (WeChat retries them).
    await redis.resume();
    await waitFor(async () => (await gateway.send('/readyz')).status === 200, {
      timeoutMs: 10_000,
      message: 'the gateway ready',
    });
    expect(await gateway.jobCount()).toBe(0);
    expect(await gateway.redis.keys(`${gateway.prefix}:lane:*`)).toEqual([]);
  });

  it('a push right after the connection dropped waits for the reconnect instead of failing at once', async () => {
    const redis = await usePrivateRedis();
    const gateway = await useGateway({ redisUrl: redis.url, env: { ENQUEUE_TIMEOUT_MS: String(ENQUEUE_TIMEOUT_MS) } });
    expect(await gateway.push(plaintextPush(textXml()))).toMatchObject({ status: 200 });
    const admin = new Redis(redis.url);
    onTestFinished(async () => {
      await admin.quit();
    });
    // Every other client's connection is cut; the gateway's reconnects within ~50 ms.
    await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    const xml = textXml();
    expect(await gateway.push(plaintextPush(xml))).toMatchObject({ status: 200, body: 'success' });
    expect(await gateway.queue.getJob(jobIdOf(xml))).toBeDefined();
  });
});
