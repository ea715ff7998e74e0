import { type RedisServer, startRedisServer, waitFor } from '@wxq/testing';
import { createMessage } from '@wxq/wechat-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WorkerHarness, startHarness } from './harness.js';
import slowHandlers from './slow-handlers.js';

// Short lock and stalled-check intervals: a killed worker's jobs come back within ~3 s here
// instead of the production 12 s at worst (the last test takes the production settings).
const FAST_RECOVERY = { WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000', WORKER_CONCURRENCY: '5' };

let redis: RedisServer;
let harness: WorkerHarness;

beforeAll(async () => {
  // This suite kills processes that hold Redis connections: it gets a Redis of its own.
  redis = await startRedisServer();
  harness = await startHarness(redis.url, FAST_RECOVERY);
});

afterAll(async () => {
  await harness.stop();
  await redis.stop();
});

describe('a worker killed with SIGKILL mid-run', () => {
  it('loses no message: another worker takes over its jobs and every message is answered', async () => {
    const messages = Array.from({ length: 60 }, (_, i) => createMessage.text(`kill test ${i}`));
    for (const message of messages) await harness.push(message);

    const child = harness.startWorkerProcess({ WXQ_HANDLERS: './apps/worker/test/slow-handlers.ts' });
    await waitFor(() => harness.sim.sends.length >= 10, {
      timeoutMs: 20_000,
      message: 'the child worker started answering',
    });
    child.signal('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    const answeredBeforeKill = harness.sim.sends.length;
    expect(answeredBeforeKill).toBeLessThan(messages.length);

    // The survivor runs in this process, with the same configuration and handlers.
    harness.startWorkers(1, slowHandlers);

    const answered = (user: string) => harness.sim.sends.some((s) => s.message.touser === user);
    await waitFor(() => messages.every((m) => answered(m.FromUserName)), {
      timeoutMs: 30_000,
      message: 'every message answered',
    });
    // A killed job may have sent its reply inline before it died: the stalled-job check gives it to
    // the survivor, which completes it, resending only a reply the kill cut off before its count.
    await waitFor(async () => (await harness.inbound.getJobCounts('completed')).completed === 60, {
      timeoutMs: 30_000,
      message: 'every push job completed',
    });
    expect(await harness.inbound.getJobCounts('completed', 'failed')).toEqual({ completed: 60, failed: 0 });
    // At-least-once: only a send cut off by the kill can repeat (at most the 5 jobs in flight), each
    // to its own user right after the first.
    const duplicates = harness.sim.sends.length - messages.length;
    expect(duplicates).toBeGreaterThanOrEqual(0);
    expect(duplicates).toBeLessThanOrEqual(5);
  });
});

describe('recovery with the production lock and stalled-check settings', () => {
  it('every push a SIGKILLed worker held is replied within 15 s of the kill by the worker that runs on', async () => {
    const h = await startHarness(redis.url, { WORKER_CONCURRENCY: '5' });
    try {
      const messages = Array.from({ length: 80 }, (_, i) => createMessage.text(`recovery ${i}`));
      for (const message of messages) await h.push(message);
      const child = h.startWorkerProcess({ WXQ_HANDLERS: './apps/worker/test/slow-handlers.ts' });
      await waitFor(() => h.sim.sends.length >= 10, { timeoutMs: 20_000, message: 'the child worker answering' });
      child.signal('SIGKILL');
      const killedAt = Date.now();
      expect((await child.exited).signal).toBe('SIGKILL');
      // What the dead worker held: still active, its locks not yet expired.
      const held = (await h.inbound.getActive()).length;
      expect(held).toBeGreaterThan(0);
      h.startWorkers(1, slowHandlers);
      const answered = (user: string) => h.sim.sends.some((s) => s.message.touser === user);
      await waitFor(() => messages.every((m) => answered(m.FromUserName)), {
        timeoutMs: 40_000,
        message: 'every message answered',
      });
      const recoveredMs = Date.now() - killedAt;
      expect(recoveredMs, `the ${held} held pushes were replied ${recoveredMs} ms after the kill`).toBeLessThan(15_000);
    } finally {
      await h.stop();
    }
  }, 60_000);
});
