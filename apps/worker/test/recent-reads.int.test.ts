// The campaign status and notifications' pause a send acts on (recent-reads.ts), over a real
// Redis: another process's change is seen within READ_EVERY_MS, this process's own at once.
import { randomUUID } from 'node:crypto';
import { createLogger } from '@wxq/logging';
import { createCampaigns } from '@wxq/notify';
import { createSendPause } from '@wxq/quota';
import { createKeys } from '@wxq/redis';
import { waitFor } from '@wxq/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { recentCampaigns, recentSendPause } from '../src/processors/recent-reads.js';

const APP_ID = 'wx_recent_reads';
const redis = new Redis(inject('redisUrl'));
const prefix = `{test-${randomUUID()}}`;
const keys = createKeys(prefix);
const log = createLogger({ level: 'silent', name: 'test' });
afterAll(async () => {
  const left = await redis.keys(`${prefix}*`);
  if (left.length > 0) await redis.del(left);
  await redis.quit();
});

/** Counts the reads that reach Redis. */
function counted<T extends object>(target: T, method: keyof T & string): { target: T; reads: () => number } {
  let reads = 0;
  const original = target[method] as (...args: unknown[]) => unknown;
  const read = (...args: unknown[]) => {
    reads += 1;
    return original(...args);
  };
  const wrapped = { ...target, [method]: read } as T;
  return { target: wrapped, reads: () => reads };
}

describe('recentCampaigns', () => {
  it('reads a campaign once for the sends of a moment; another process cancelling it is seen once the memo runs out', async () => {
    const campaigns = createCampaigns({ redis, keys, accounts: [APP_ID] });
    const created = await campaigns.create({
      template: { id: 'TPL', data: { thing1: { value: 'x' } } },
      recipients: ['o1', 'o2'],
    });
    const { target, reads } = counted(campaigns, 'statusOf');
    const recent = recentCampaigns(target);
    const first = await Promise.all(Array.from({ length: 20 }, () => recent.statusOf(created.id)));
    expect(first.every((s) => s?.status === 'running')).toBe(true);
    expect(reads()).toBe(1);
    await campaigns.control(created.id, 'cancel');
    await waitFor(async () => ((await recent.statusOf(created.id))?.status === 'cancelled' ? true : undefined), {
      message: 'the cancel to be seen',
      timeoutMs: 5_000,
    });
    expect(reads()).toBeGreaterThan(1);
    // No such campaign is an answer too, remembered like the others.
    expect(await recent.statusOf('cmp_missing')).toBeUndefined();
    const before = reads();
    expect(await recent.statusOf('cmp_missing')).toBeUndefined();
    expect(reads()).toBe(before);
  });

  it('a campaign this process fails is seen failed at once', async () => {
    const campaigns = createCampaigns({ redis, keys, accounts: [APP_ID] });
    const created = await campaigns.create({ template: { id: 'TPL', data: {} }, recipients: ['o1'] });
    const recent = recentCampaigns(campaigns);
    expect((await recent.statusOf(created.id))?.status).toBe('running');
    await recent.fail(created.id, 40037);
    expect(await recent.statusOf(created.id)).toEqual({ status: 'failed', reason: '40037' });
  });
});

describe('recentSendPause', () => {
  it("sees this process's pause and resume at once, another's once the memo runs out", async () => {
    const pause = createSendPause(redis, keys, Date.now, keys.notificationPause);
    const { target, reads } = counted(pause, 'pausedUntil');
    const recent = recentSendPause(target);
    expect(await recent.pausedUntil(APP_ID)).toBeUndefined();
    const until = await recent.pause(APP_ID, 'minute', log);
    expect(await recent.pausedUntil(APP_ID)).toBe(until);
    expect(reads()).toBe(1);
    expect(await recent.resume(APP_ID)).toBe(true);
    expect(await recent.pausedUntil(APP_ID)).toBeUndefined();
    // Another process (an operator) pauses: a read once the memo has run out (READ_EVERY_MS) sees it.
    await pause.pauseUntilResumed(APP_ID);
    await waitFor(async () => ((await recent.pausedUntil(APP_ID)) === undefined ? undefined : true), {
      message: "the operator's pause to be seen",
      timeoutMs: 5_000,
    });
    await pause.resume(APP_ID);
  });

  it('a read under way when this process pauses or resumes answers, never fails (lru-cache aborts it)', async () => {
    const appId = `${APP_ID}_3`;
    const pause = createSendPause(redis, keys, Date.now, keys.notificationPause);
    // Reads held until released: they are surely under way when the pause is set.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = {
      ...pause,
      pausedUntil: async (id: string) => {
        await held;
        return pause.pausedUntil(id);
      },
    };
    const recent = recentSendPause(slow);
    const reads = Array.from({ length: 5 }, () => recent.pausedUntil(appId));
    const until = await recent.pause(appId, 'minute', log);
    release();
    expect(await Promise.all(reads)).toEqual(Array.from({ length: 5 }, () => until));
    expect(await recent.pausedUntil(appId)).toBe(until);
    const during = recent.pausedUntil(appId);
    await recent.resume(appId);
    await expect(during).resolves.toBe(until);
    expect(await recent.pausedUntil(appId)).toBeUndefined();
  });

  it('a remembered pause that has ended is no pause', async () => {
    let clock = Date.now();
    const pause = createSendPause(redis, keys, () => clock, keys.notificationPause);
    const recent = recentSendPause(pause, () => clock);
    const until = await recent.pause(`${APP_ID}_2`, 'minute', log);
    expect(await recent.pausedUntil(`${APP_ID}_2`)).toBe(until);
    clock = until + 1;
    expect(await recent.pausedUntil(`${APP_ID}_2`)).toBeUndefined();
  });
});
