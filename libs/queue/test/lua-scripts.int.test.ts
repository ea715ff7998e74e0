// The lane scripts run directly, file by file: their keys, arguments and answers, malformed state
// included, apart from what lanes.ts makes of them (lanes.int.test.ts).
import { randomUUID } from 'node:crypto';
import { loadScript } from '@wxq/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';

const redis = new Redis(inject('redisUrl'));
const created: string[] = [];
afterEach(async () => {
  if (created.length > 0) await redis.del(created.splice(0));
});
afterAll(async () => {
  await redis.quit();
});

const script = (name: string) => loadScript(new URL(`../src/lua/${name}.lua`, import.meta.url));
const ENTER = script('lane-enter');
const TURN = script('lane-turn');
const LEAVE = script('lane-leave');
const DROP_HEAD = script('lane-drop-head');

/** Keys under one fresh hash tag, deleted after the test. */
function keysOf<const N extends readonly string[]>(...names: N): { readonly [K in N[number]]: string } {
  const tag = `{test-${randomUUID()}}`;
  const keys = Object.fromEntries(names.map((name) => [name, `${tag}:${name}`]));
  created.push(...Object.values(keys));
  return keys as { readonly [K in N[number]]: string };
}

const TTL_MS = 60_000;
/** The score lane-enter.lua and lane-turn.lua give a member that would go below the head. */
const aboveHead = (headScore: number) => String(headScore + 1 / 4096);

describe('lane-enter.lua', () => {
  it('adds each member whose job does not exist, in score order, and answers 0 for it', async () => {
    const { lane, jobB, jobA } = keysOf('lane', 'jobB', 'jobA');
    expect(await ENTER.run(redis, [lane, jobB, lane, jobA], [TTL_MS, 2000, 'b', 1000, 'a'])).toEqual([0, 0]);
    expect(await redis.zrange(lane, 0, -1, 'WITHSCORES')).toEqual(['a', '1000', 'b', '2000']);
    const ttl = await redis.pttl(lane);
    expect(ttl).toBeGreaterThan(TTL_MS - 5_000);
    expect(ttl).toBeLessThanOrEqual(TTL_MS);
  });

  it('answers 1 for a member whose job hash exists, and does not add it', async () => {
    const { lane, jobDone, jobNew } = keysOf('lane', 'jobDone', 'jobNew');
    await redis.hset(jobDone, 'name', 'ran');
    expect(await ENTER.run(redis, [lane, jobDone, lane, jobNew], [TTL_MS, 1000, 'done', 2000, 'new'])).toEqual([1, 0]);
    expect(await redis.zrange(lane, 0, -1)).toEqual(['new']);
  });

  it('puts no member below the head the lane had, and keeps a member already there in its place', async () => {
    const { lane, jobH, jobX } = keysOf('lane', 'jobH', 'jobX');
    await redis.zadd(lane, 5000, 'h');
    expect(await ENTER.run(redis, [lane, jobX, lane, jobH], [TTL_MS, 1000, 'x', 1, 'h'])).toEqual([0, 0]);
    expect(await redis.zrange(lane, 0, -1, 'WITHSCORES')).toEqual(['h', '5000', 'x', aboveHead(5000)]);
  });

  it('enters members of several lanes in one call, each lane with its own floor and ttl', async () => {
    const { laneOne, laneTwo, job1, job2 } = keysOf('laneOne', 'laneTwo', 'job1', 'job2');
    await redis.zadd(laneTwo, 9000, 'head');
    expect(await ENTER.run(redis, [laneOne, job1, laneTwo, job2], [TTL_MS, 100, 'one', 100, 'two'])).toEqual([0, 0]);
    expect(await redis.zrange(laneOne, 0, -1, 'WITHSCORES')).toEqual(['one', '100']);
    expect(await redis.zrange(laneTwo, 0, -1, 'WITHSCORES')).toEqual(['head', '9000', 'two', aboveHead(9000)]);
    expect(await redis.pttl(laneTwo)).toBeGreaterThan(0);
  });

  it('fails with WRONGTYPE on a lane that is not a sorted set, having added nothing', async () => {
    const { lane, job, other, otherJob } = keysOf('lane', 'job', 'other', 'otherJob');
    await redis.set(lane, 'not a lane');
    await expect(ENTER.run(redis, [other, otherJob, lane, job], [TTL_MS, 1, 'a', 2, 'b'])).rejects.toThrow(
      /^WRONGTYPE/,
    );
    expect(await redis.exists(other)).toBe(0);
  });
});

describe('lane-turn.lua', () => {
  it("answers a member's head and its score", async () => {
    const { lane, marker } = keysOf('lane', 'marker');
    await redis.zadd(lane, 1000, 'a', 2000, 'b');
    expect(await TURN.run(redis, [lane, marker], ['a', 1000, TTL_MS, 0])).toEqual(['a', '1000', 'member', null]);
    expect(await TURN.run(redis, [lane, marker], ['b', 2000, TTL_MS, 0])).toEqual(['a', '1000', 'member', null]);
  });

  it('lets a job not in its lane join it, creating a missing lane with its ttl', async () => {
    const { lane, marker } = keysOf('lane', 'marker');
    expect(await TURN.run(redis, [lane, marker], ['j', 3000, TTL_MS, 0])).toEqual(['j', '3000', 'joined', null]);
    expect(await redis.pttl(lane)).toBeGreaterThan(0);
  });

  it('joins a job above a head it would go below', async () => {
    const { lane, marker } = keysOf('lane', 'marker');
    await redis.zadd(lane, 5000, 'h');
    expect(await TURN.run(redis, [lane, marker], ['j', 1000, TTL_MS, 0])).toEqual(['h', '5000', 'joined', null]);
    expect(await redis.zscore(lane, 'j')).toBe(aboveHead(5000));
  });

  it('answers left, without joining, for a job whose marker says it left at this attempt', async () => {
    const { lane, marker } = keysOf('lane', 'marker');
    await redis.zadd(lane, 1000, 'h');
    await redis.set(marker, '2:failed');
    expect(await TURN.run(redis, [lane, marker], ['j', 2000, TTL_MS, 2])).toEqual([null, null, 'left', '2:failed']);
    expect(await redis.zscore(lane, 'j')).toBeNull();
    // Left at another attempt (an operator's retry since): it joins.
    expect(await TURN.run(redis, [lane, marker], ['j', 2000, TTL_MS, 3])).toEqual(['h', '1000', 'joined', null]);
  });

  it('fails with WRONGTYPE on a lane or a marker of the wrong type', async () => {
    const { lane, marker, hashLane } = keysOf('lane', 'marker', 'hashLane');
    await redis.hset(hashLane, 'a', '1');
    await expect(TURN.run(redis, [hashLane, marker], ['a', 1, TTL_MS, 0])).rejects.toThrow(/^WRONGTYPE/);
    await redis.rpush(marker, 'not a marker');
    await expect(TURN.run(redis, [lane, marker], ['a', 1, TTL_MS, 0])).rejects.toThrow(/^WRONGTYPE/);
    expect(await redis.exists(lane)).toBe(0);
  });
});

describe('lane-leave.lua', () => {
  it('removes the job, writes its marker with a ttl and answers the next head', async () => {
    const { lane, marker } = keysOf('lane', 'marker');
    await redis.zadd(lane, 1000, 'a', 2000, 'b');
    expect(await LEAVE.run(redis, [lane, marker], ['a', 1, 'done', TTL_MS])).toBe('b');
    expect(await redis.zrange(lane, 0, -1)).toEqual(['b']);
    expect(await redis.get(marker)).toBe('1:done');
    expect(await redis.pttl(marker)).toBeGreaterThan(0);
  });

  it('answers null when the lane is empty after it (or missing), and still marks the job', async () => {
    const { lane, marker, missing, missingMarker } = keysOf('lane', 'marker', 'missing', 'missingMarker');
    await redis.zadd(lane, 1000, 'a');
    expect(await LEAVE.run(redis, [lane, marker], ['a', 0, 'failed', TTL_MS])).toBeNull();
    expect(await redis.exists(lane)).toBe(0);
    expect(await LEAVE.run(redis, [missing, missingMarker], ['z', 4, 'done', TTL_MS])).toBeNull();
    expect(await redis.get(missingMarker)).toBe('4:done');
  });

  it('fails with WRONGTYPE on a lane that is not a sorted set, before writing the marker', async () => {
    const { lane, marker } = keysOf('lane', 'marker');
    await redis.set(lane, 'not a lane');
    await expect(LEAVE.run(redis, [lane, marker], ['a', 0, 'done', TTL_MS])).rejects.toThrow(/^WRONGTYPE/);
    expect(await redis.exists(marker)).toBe(0);
  });
});

describe('lane-drop-head.lua', () => {
  it('removes the id while it is the head and answers 1; 0 for a member behind it or a missing lane', async () => {
    const { lane, missing } = keysOf('lane', 'missing');
    await redis.zadd(lane, 1000, 'a', 2000, 'b');
    expect(await DROP_HEAD.run(redis, [lane], ['b'])).toBe(0);
    expect(await redis.zrange(lane, 0, -1)).toEqual(['a', 'b']);
    expect(await DROP_HEAD.run(redis, [lane], ['a'])).toBe(1);
    expect(await redis.zrange(lane, 0, -1)).toEqual(['b']);
    expect(await DROP_HEAD.run(redis, [missing], ['a'])).toBe(0);
  });

  it('fails with WRONGTYPE on a lane that is not a sorted set', async () => {
    const { lane } = keysOf('lane');
    await redis.set(lane, 'a');
    await expect(DROP_HEAD.run(redis, [lane], ['a'])).rejects.toThrow(/^WRONGTYPE/);
    expect(await redis.get(lane)).toBe('a');
  });
});
