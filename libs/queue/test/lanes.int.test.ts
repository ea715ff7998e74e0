import { randomUUID } from 'node:crypto';
import { startRedisServer, waitFor } from '@wxq/testing';
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

function raise(message: string): never {
  throw new Error(message);
}

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

  it('a job the producer did not order joins; one that left at this attempt stays out; a retry joins again', async () => {
    const { lanes, lane, queue } = setup();
    const now = Date.now();
    await lanes.enter(lane, [['first', now]]);
    const late = await queue.add('x', {}, { jobId: 'late' });
    expect(await lanes.turn(lane, late, now + 1)).toEqual({ is: 'behind', head: 'first' });
    expect(await redis.zrange(lane, 0, -1)).toEqual(['first', 'late']);
    // Running again at the same attempt after a crash between leaving and finishing: it is done.
    await lanes.leave(lane, late, 'done');
    expect(await lanes.turn(lane, late, now + 1)).toEqual({ is: 'left', outcome: 'done' });
    expect(await redis.zrange(lane, 0, -1)).toEqual(['first']);
    // Left as failed: the re-run must fail the same way.
    const failed = await queue.add('x', {}, { jobId: 'failed' });
    await lanes.turn(lane, failed, now + 2);
    await lanes.leave(lane, failed, 'failed');
    expect(await lanes.turn(lane, failed, now + 2)).toEqual({ is: 'left', outcome: 'failed' });
    // An operator's retry is a later attempt (BullMQ counted the failure): it joins and runs again.
    const retried = Object.assign(Object.create(Object.getPrototypeOf(failed) as object) as typeof failed, failed, {
      attemptsMade: failed.attemptsMade + 1,
    });
    expect(await lanes.turn(lane, retried, now + 2)).toEqual({ is: 'behind', head: 'first' });
    expect(await redis.zrange(lane, 0, -1)).toEqual(['first', 'failed']);
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
    await lanes.leave(lane, (await queue.getJob('head')) ?? raise('no head job'), 'done');
    await waitFor(() => processed.length === 2, { timeoutMs: 5_000, message: 'next woken by the hand-over' });
    expect(processed).toEqual(['head', 'next']);
  });

  it('drops old heads whose jobs no longer exist, in one look, so the lane cannot block', async () => {
    const { lanes, lane, queue } = setup();
    const old = Date.now() - 60_000;
    await lanes.enter(lane, [
      ['ghost-1', old],
      ['ghost-2', old + 1],
      ['ghost-3', old + 2],
      ['real', old + 3],
    ]);
    const real = await queue.add('x', {}, { jobId: 'real' });
    expect(await lanes.turn(lane, real, old + 3)).toEqual({ is: 'head' });
    expect(await redis.zrange(lane, 0, -1)).toEqual(['real']);
  });

  it('does not enter a job that already exists (a WeChat retry of a push handled before)', async () => {
    const { lanes, lane, queue } = setup();
    await queue.add('x', {}, { jobId: 'handled' });
    const existed = await lanes.enter(lane, [
      ['handled', Date.now()],
      ['new', Date.now() + 1],
    ]);
    expect(existed).toEqual([true, false]);
    expect(await redis.zrange(lane, 0, -1)).toEqual(['new']);
  });

  it('enters several lanes in one call, each below no head it had, and answers per entry', async () => {
    const { prefix, lanes, queue } = setup();
    const [one, two, three] = ['o1', 'o2', 'o3'].map((user) => `${prefix}:lane:lanes:wx1:${user}`) as [
      string,
      string,
      string,
    ];
    const now = Date.now();
    await lanes.enter(one, [['running-1', now]]);
    await queue.add('x', {}, { jobId: 'handled' });
    const existed = await lanes.enterEach([
      { lane: one, jobId: 'late-clock', score: now - 5_000 },
      { lane: two, jobId: 'two-b', score: now + 2 },
      { lane: three, jobId: 'handled', score: now },
      { lane: two, jobId: 'two-a', score: now + 1 },
    ]);
    expect(existed).toEqual([false, false, true, false]);
    // Below the head that was there: put right behind it. Two members of one lane: their own order.
    expect(await redis.zrange(one, 0, -1)).toEqual(['running-1', 'late-clock']);
    expect(await redis.zrange(two, 0, -1)).toEqual(['two-a', 'two-b']);
    expect(await redis.exists(three)).toBe(0);
    expect(await redis.pttl(two)).toBeGreaterThan(0);
    expect(await lanes.enterEach([])).toEqual([]);
  });

  it('answers no existence after a script reload: the answer may have seen an add sent behind it', async () => {
    // A private server: SCRIPT FLUSH empties its cache as a restart does, unseen by other suites.
    const server = await startRedisServer();
    const own = new Redis(server.url, { maxRetriesPerRequest: null });
    const queue = new Queue('lanes', { connection: own, prefix: '{flushed}' });
    opened.push({
      close: () =>
        queue
          .close()
          .then(() => own.quit())
          .then(() => server.stop()),
    });
    const lanes = createLanes(own, queue);
    const lane = '{flushed}:lane:lanes:wx1:o1';
    await lanes.enter(lane, [['loaded', Date.now()]]);
    await own.script('FLUSH');
    const [existed] = await Promise.all([
      lanes.enter(lane, [['pushed', Date.now()]]),
      queue.add('x', {}, { jobId: 'pushed' }),
    ]);
    expect(existed).toBeUndefined();
    // Loaded again: the next answer is plain.
    expect(await lanes.enter(lane, [['pushed', Date.now()]])).toEqual([true]);
  });

  it('never puts a newcomer below the head, which may be running', async () => {
    const { lanes, lane, queue } = setup();
    const now = Date.now();
    await lanes.enter(lane, [['running', now]]);
    await lanes.enter(lane, [['earlier-clock', now - 5_000]]);
    const unordered = await queue.add('x', {}, { jobId: 'unordered' });
    await lanes.turn(lane, unordered, now - 9_000);
    expect((await redis.zrange(lane, 0, -1)).slice(0, 1)).toEqual(['running']);
    expect(await redis.zcard(lane)).toBe(3);
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
