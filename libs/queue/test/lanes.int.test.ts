import { randomUUID } from 'node:crypto';
import { waitFor } from '@wxq/testing';
import { DelayedError, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { createLanes, laneScore } from '../src/lanes.js';

const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
});
afterAll(async () => {
  await redis.quit();
});

function setup() {
  const prefix = `{test-${randomUUID()}}`;
  const queue = new Queue('lanes', { connection: redis, prefix });
  opened.push({ close: () => queue.obliterate({ force: true }).then(() => queue.close()) });
  return { prefix, queue, lanes: createLanes(redis, queue), lane: `${prefix}:lane:lanes:wx1:o1` };
}

describe('lanes', () => {
  it('orders members by score, whatever order they entered in', async () => {
    const { lanes, lane, queue } = setup();
    await lanes.enter(lane, [
      ['c', laneScore(3000)],
      ['a', laneScore(1000)],
      ['b', laneScore(1000, 1)],
    ]);
    expect(await redis.zrange(lane, 0, -1)).toEqual(['a', 'b', 'c']);
    // Entering again keeps a member's place.
    await lanes.enter(lane, [['a', laneScore(9000)]]);
    expect(await redis.zrange(lane, 0, -1)).toEqual(['a', 'b', 'c']);
    expect(await redis.pttl(lane)).toBeGreaterThan(0);
    const a = await queue.add('x', {}, { jobId: 'a' });
    expect(await lanes.turn(lane, a, 1000)).toEqual({ is: 'head' });
  });

  it('a job the producer did not order joins on its first start; one that left stays out', async () => {
    const { lanes, lane, queue } = setup();
    const now = Date.now();
    await lanes.enter(lane, [['first', now]]);
    const late = await queue.add('x', {}, { jobId: 'late' });
    expect(await lanes.turn(lane, late, now + 1)).toEqual({ is: 'behind', head: 'first' });
    expect(await redis.zrange(lane, 0, -1)).toEqual(['first', 'late']);
    // Running again after a crash between leaving and completing: its work is done.
    await lanes.leave(lane, 'late');
    const rerun = Object.assign(Object.create(Object.getPrototypeOf(late) as object) as typeof late, late, {
      attemptsStarted: 2,
    });
    expect(await lanes.turn(lane, rerun, now + 1)).toEqual({ is: 'left' });
    expect(await redis.zrange(lane, 0, -1)).toEqual(['first']);
  });

  it('leaving wakes the parked next job', async () => {
    const { lanes, lane, queue, prefix } = setup();
    const now = Date.now();
    await lanes.enter(lane, [
      ['head', now],
      ['next', now + 1],
    ]);
    const processed: string[] = [];
    const worker = new Worker(
      'lanes',
      async (job, token) => {
        const turn = await lanes.turn(lane, job, job.id === 'head' ? now : now + 1);
        if (turn.is === 'behind') {
          // Far longer than the test waits: only the hand-over can wake it in time.
          await lanes.park(lane, job, token, 60_000);
          throw new DelayedError();
        }
        processed.push(job.id ?? '');
      },
      { connection: redis, prefix, autorun: true },
    );
    opened.push(worker);
    await queue.add('x', {}, { jobId: 'next' });
    await waitFor(async () => (await queue.getJobState('next')) === 'delayed', {
      timeoutMs: 5_000,
      message: 'next parked',
    });
    await queue.add('x', {}, { jobId: 'head' });
    await waitFor(() => processed.length === 1, { timeoutMs: 5_000, message: 'head ran' });
    await lanes.leave(lane, 'head');
    await waitFor(() => processed.length === 2, { timeoutMs: 5_000, message: 'next woken by the hand-over' });
    expect(processed).toEqual(['head', 'next']);
  });

  it('drops an old head whose job no longer exists, so the lane cannot block forever', async () => {
    const { lanes, lane, queue } = setup();
    const old = Date.now() - 60_000;
    await lanes.enter(lane, [
      ['ghost', old],
      ['real', old + 1],
    ]);
    const real = await queue.add('x', {}, { jobId: 'real' });
    expect(await lanes.turn(lane, real, old + 1)).toEqual({ is: 'behind', head: 'ghost' });
    expect(await lanes.turn(lane, real, old + 1)).toEqual({ is: 'head' });
  });

  it('keeps a young head whose job is not there yet (the gateway writes the lane first)', async () => {
    const { lanes, lane, queue } = setup();
    const now = Date.now();
    await lanes.enter(lane, [
      ['coming', now],
      ['real', now + 1],
    ]);
    const real = await queue.add('x', {}, { jobId: 'real' });
    expect(await lanes.turn(lane, real, now + 1)).toEqual({ is: 'behind', head: 'coming' });
    expect(await redis.zrange(lane, 0, -1)).toEqual(['coming', 'real']);
  });
});
