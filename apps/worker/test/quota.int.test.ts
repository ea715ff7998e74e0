import { randomUUID } from 'node:crypto';
import { createKeys } from '@wxq/redis';
import { waitFor } from '@wxq/testing';
import { defineHandlers } from '@wxq/handlers';
import { createMessage } from '@wxq/wechat-sim';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { UNTIL_RESUMED } from '@wxq/quota';
import { NO_QUOTA_REASON } from '../src/processors/outbound.js';
import { APP_ID, type WorkerHarness, startHarness } from './harness.js';

// The customer-service quota ledger in the worker (docs/quota.md), against the simulator.

const SEND = '/cgi-bin/message/custom/send';
let harness: WorkerHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

function sendCalls(h: WorkerHarness): number {
  return h.sim.calls.filter((c) => c.path === SEND).length;
}

const user = () => `oQuota${randomUUID().replaceAll('-', '').slice(0, 22)}`;
const HOURS_49_AGO = () => String(Math.floor(Date.now() / 1000) - 49 * 3600);

describe('quota ledger (enforce, the default)', () => {
  it('a message 49 h old opens no window: its reply is not attempted and fails naming the quota', async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    h.startWorkers(1);
    await h.push(createMessage.text('late', { openid: user(), createTime: HOURS_49_AGO() }));
    const failed = await waitFor(async () => (await h.outbound.getFailed())[0], {
      timeoutMs: 10_000,
      message: 'the reply failed',
    });
    expect(failed.failedReason).toContain(NO_QUOTA_REASON);
    expect(failed.attemptsMade).toBe(1);
    expect(sendCalls(h)).toBe(0);
  });

  it('an operator retry of a held-back reply, after the user wrote again, sends it', async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    const openid = user();
    h.startWorkers(1);
    await h.push(createMessage.text('late', { openid, createTime: HOURS_49_AGO() }));
    const failed = await waitFor(async () => (await h.outbound.getFailed())[0], {
      timeoutMs: 10_000,
      message: 'held back',
    });
    await h.push(createMessage.text('#multi 1 again', { openid }));
    await h.sim.waitForSends(1, 10_000);
    // As Bull Board's retry does: the job runs again, in its user's lane, with the new window.
    await failed.retry('failed');
    await h.sim.waitForSends(2, 10_000);
    expect(h.sim.sends.map((s) => s.message['text'])).toEqual([{ content: '1/1 again' }, { content: 'late' }]);
  });

  it('#multi 7 to one message: 5 sent, in order, 2 held back', async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    h.startWorkers(1);
    await h.push(createMessage.text('#multi 7 x', { openid: user() }));
    await waitFor(async () => (await h.outbound.getFailed()).length === 2, {
      timeoutMs: 15_000,
      message: 'two replies held back',
    });
    expect(h.sim.sends.map((s) => s.message['text'])).toEqual([1, 2, 3, 4, 5].map((i) => ({ content: `${i}/7 x` })));
    expect(sendCalls(h)).toBe(5);
    expect(await h.redis.hgetall(createKeys(h.prefix).sendCounters(APP_ID))).toEqual({ quota_refused: '2' });
  });

  it("a 45047 from WeChat closes the user's windows until the next message", async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    const openid = user();
    h.sim.injectFault({ path: SEND, errcode: 45047, times: 1 });
    h.startWorkers(1);
    await h.push(createMessage.text('#multi 2 y', { openid }));
    await waitFor(async () => (await h.outbound.getFailed()).length === 2, {
      timeoutMs: 15_000,
      message: 'both replies failed',
    });
    const reasons = (await h.outbound.getFailed()).map((j) => j.failedReason).sort();
    expect(reasons[0]).toContain('errcode 45047');
    expect(reasons[1]).toContain(NO_QUOTA_REASON);
    expect(sendCalls(h)).toBe(1);
    // The user writes again: a new window.
    await h.push(createMessage.text('again', { openid }));
    await h.sim.waitForSends(1, 10_000);
  });
});

describe('quota ledger, other modes', () => {
  it('observe attempts what enforce would hold back, and WeChat refuses it (45015)', async () => {
    harness = await startHarness(inject('redisUrl'), { WXQ_CS_QUOTA: 'observe' });
    const h = harness;
    h.startWorkers(1);
    await h.push(createMessage.text('late', { openid: user(), createTime: HOURS_49_AGO() }));
    const failed = await waitFor(async () => (await h.outbound.getFailed())[0], {
      timeoutMs: 10_000,
      message: 'the reply failed',
    });
    expect(failed.failedReason).toContain('errcode 45015');
    expect(sendCalls(h)).toBe(1);
    expect(h.logs.text()).toContain('sending without customer-service quota');
  });

  it('the simulator agrees with the ledger: with enforcement off in the worker, WeChat refuses the 6th reply', async () => {
    harness = await startHarness(inject('redisUrl'), { WXQ_CS_QUOTA: 'off' });
    const h = harness;
    h.startWorkers(1);
    await h.push(createMessage.text('#multi 6 z', { openid: user() }));
    const failed = await waitFor(async () => (await h.outbound.getFailed())[0], {
      timeoutMs: 15_000,
      message: 'the 6th reply failed',
    });
    expect(failed.failedReason).toContain('errcode 45047');
    expect(h.sim.sends).toHaveLength(5);
  });
});

describe('account-level limits', () => {
  it("45009 pauses the account's sends without failing them; lifting the pause sends them", async () => {
    // One send at a time (inline from the push's job, or by a reply job): the second finds the
    // pause the first one's 45009 set.
    harness = await startHarness(inject('redisUrl'), { WORKER_CONCURRENCY: '1', OUTBOUND_CONCURRENCY: '1' });
    const h = harness;
    h.sim.injectFault({ path: SEND, errcode: 45009, times: 1 });
    h.startWorkers(1);
    const firstUser = user();
    await h.push(createMessage.text('first', { openid: firstUser }));
    await h.push(createMessage.text('second', { openid: user() }));
    const keys = createKeys(h.prefix);
    await waitFor(async () => (await h.outbound.getDelayedCount()) === 2, {
      timeoutMs: 10_000,
      message: 'both sends paused',
    });
    expect(await h.outbound.getFailedCount()).toBe(0);
    const until = Number(await h.redis.get(keys.sendPause(APP_ID)));
    // Midnight in Beijing is 16:00 UTC.
    expect(new Date(until).getUTCHours()).toBe(16);
    expect(until).toBeGreaterThan(Date.now());
    expect(h.logs.text().split('daily API quota reached').length - 1).toBe(1);
    expect(await h.redis.hgetall(keys.sendCounters(APP_ID))).toEqual({ paused_45009: '1' });
    // An operator lifts the pause: the sends go out.
    await h.redis.del(keys.sendPause(APP_ID));
    for (const job of await h.outbound.getDelayed()) await job.promote();
    await h.sim.waitForSends(2, 10_000);
    // The refused send spent nothing: the first user's window lost one send, the one that went out.
    await waitFor(async () => (await h.redis.hget(keys.quota(APP_ID, firstUser), 'm_left')) === '4', {
      message: 'one send spent',
    });
  });

  it('a reply held by a pause spends none of the quota the inline send took for it up front', async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    const keys = createKeys(h.prefix);
    const openid = user();
    h.startWorkers(1);
    await h.redis.set(keys.sendPause(APP_ID), String(UNTIL_RESUMED));
    await h.push(createMessage.text('wait', { openid }));
    await waitFor(async () => (await h.outbound.getDelayedCount()) === 1, {
      timeoutMs: 10_000,
      message: 'the reply waits for the pause',
    });
    // The window of the push (5 sends) is whole: the reservation went back when the pause was seen.
    expect(await h.redis.hget(keys.quota(APP_ID, openid), 'm_left')).toBe('5');
    expect(sendCalls(h)).toBe(0);
    await h.redis.del(keys.sendPause(APP_ID));
    for (const job of await h.outbound.getDelayed()) await job.promote();
    await h.sim.waitForSends(1, 10_000);
    await waitFor(async () => (await h.redis.hget(keys.quota(APP_ID, openid), 'm_left')) === '4', {
      message: 'the send, when it went, spent one',
    });
  });

  it("a reply that must wait behind an earlier one of its user's takes none of their quota for its inline try", async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    const keys = createKeys(h.prefix);
    const openid = user();
    const quotaKey = keys.quota(APP_ID, openid);
    // An earlier reply of the user's waits in their outbound lane: its job, by the entry's age
    // (under the lanes' repair age), taken to be on its way.
    await h.redis.zadd(keys.lane('outbound', APP_ID, openid), Date.now(), 'an-earlier-reply');
    // Every change to the user's quota hash, as Redis makes it.
    const watcher = h.redis.duplicate();
    await watcher.ping();
    const notifyWas = ((await h.redis.config('GET', 'notify-keyspace-events')) as string[])[1] ?? '';
    await h.redis.config('SET', 'notify-keyspace-events', 'Kh');
    const changes: string[] = [];
    try {
      watcher.on('message', (_channel: string, event: string) => changes.push(event));
      await watcher.subscribe(`__keyspace@0__:${quotaKey}`);
      h.startWorkers(1);
      await h.push(createMessage.text('wait behind', { openid }));
      await waitFor(async () => (await h.outbound.getJobCountByTypes('waiting', 'active', 'delayed')) === 1, {
        timeoutMs: 10_000,
        message: 'the reply queued as a job behind the earlier one',
      });
      // The push's grant wrote the hash; nothing took a send from it and gave it back, where the
      // earlier reply, had it asked meanwhile, would have found the user's last send gone.
      expect(changes.filter((event) => event === 'hincrby')).toEqual([]);
      expect(changes).toContain('hset');
      expect(await h.redis.hget(quotaKey, 'm_left')).toBe('5');
      expect(sendCalls(h)).toBe(0);
    } finally {
      await h.redis.config('SET', 'notify-keyspace-events', notifyWas);
      await watcher.quit();
    }
  });

  it("45011 pauses the account's sends until the next minute", async () => {
    harness = await startHarness(inject('redisUrl'), { OUTBOUND_CONCURRENCY: '1' });
    const h = harness;
    h.sim.injectFault({ path: SEND, errcode: 45011, times: 1 });
    h.startWorkers(1);
    await h.push(createMessage.text('soon', { openid: user() }));
    const keys = createKeys(h.prefix);
    await waitFor(async () => (await h.outbound.getDelayedCount()) === 1, {
      timeoutMs: 10_000,
      message: 'the send paused',
    });
    const until = Number(await h.redis.get(keys.sendPause(APP_ID)));
    expect(until % 60_000).toBe(0);
    expect(until - Date.now()).toBeLessThanOrEqual(60_000);
    expect(await h.redis.hgetall(keys.sendCounters(APP_ID))).toEqual({ paused_45011: '1' });
    expect(await h.outbound.getFailedCount()).toBe(0);
  });
});

describe('typing', () => {
  it('a second Typing while the first shows is not sent (WeChat would answer 45081), and is counted', async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    h.startWorkers(
      1,
      defineHandlers((r) =>
        r.fallback((_m, ctx) => {
          ctx.reply.typing();
          ctx.reply.typing();
          ctx.reply.text('done');
        }),
      ),
    );
    await h.push(createMessage.text('hi', { openid: user() }));
    await h.sim.waitForSends(1, 10_000);
    const typingCalls = h.sim.calls.filter((c) => c.path === '/cgi-bin/message/custom/typing');
    expect(typingCalls.map((c) => c.errcode)).toEqual([0]);
    expect(await h.redis.hgetall(createKeys(h.prefix).sendCounters(APP_ID))).toEqual({ typing_skipped: '1' });
  });

  it('WXQ_AUTO_TYPING_MS shows Typing once while a slow handler runs, before its reply', async () => {
    harness = await startHarness(inject('redisUrl'), { WXQ_AUTO_TYPING_MS: '100' });
    const h = harness;
    h.startWorkers(1);
    await h.push(createMessage.text('#slow 800 thought about it', { openid: user() }));
    await h.sim.waitForSends(1, 10_000);
    const calls = h.sim.calls.filter((c) => c.path === '/cgi-bin/message/custom/typing' || c.path === SEND);
    expect(calls.map((c) => [c.path, c.errcode])).toEqual([
      ['/cgi-bin/message/custom/typing', 0],
      [SEND, 0],
    ]);
  });

  it('a quick handler shows no Typing', async () => {
    harness = await startHarness(inject('redisUrl'), { WXQ_AUTO_TYPING_MS: '2000' });
    const h = harness;
    h.startWorkers(1);
    await h.push(createMessage.text('quick', { openid: user() }));
    await h.sim.waitForSends(1, 10_000);
    expect(h.sim.calls.filter((c) => c.path === '/cgi-bin/message/custom/typing')).toEqual([]);
  });
});
