import { QUEUES } from '@wxq/queue';
import { createKeys } from '@wxq/redis';
import { waitFor } from '@wxq/testing';
import { createMessage } from '@wxq/wechat-sim';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { defineHandlers } from '@wxq/handlers';
import { type WorkerHarness, startHarness } from './harness.js';

const SEND = '/cgi-bin/message/custom/send';
let harness: WorkerHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

function textsSent(h: WorkerHarness): string[] {
  return h.sim.sends.flatMap((s) => {
    const text = (s.message as { text?: { content?: string } }).text;
    return text === undefined ? [] : [`${s.message.touser}:${text.content ?? ''}`];
  });
}

describe('worker with the WeChat simulator', () => {
  it('5 workers, 100 messages: every reply sent exactly once, at most 2 token fetches', async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    h.startWorkers(5);
    const messages = Array.from({ length: 100 }, (_, i) => createMessage.text(`message ${i} 你好 👋`));
    await Promise.all(messages.map((m) => h.push(m)));
    await h.sim.waitForSends(100, 30_000);
    // Nothing more arrives once every push is done (its replies sent inline or by their jobs).
    await waitFor(
      async () =>
        (await h.inbound.getJobCounts('completed')).completed === 100 &&
        Object.values(await h.outbound.getJobCounts('waiting', 'active', 'delayed')).every((n) => n === 0),
      { timeoutMs: 10_000, message: 'every push done' },
    );
    const expected = messages.map((m) => `${m.FromUserName}:${m.Content}`).sort();
    expect(textsSent(h).sort()).toEqual(expected);
    expect(h.tokenFetches()).toBeLessThanOrEqual(2);
    expect(h.tokenFetches()).toBeGreaterThanOrEqual(1);
  });

  it('a push re-run (same dedup key) queues its replies only once', async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    const message = createMessage.text('only once');
    const payload = await h.push(message);
    h.startWorkers(1);
    await h.sim.waitForSends(1, 10_000);
    // The same push again as a new inbound job (as after a crash before completion).
    await h.inbound.add('push', payload, { jobId: 'rerun-1' });
    await waitFor(async () => (await h.inbound.getJobCounts('completed')).completed === 2, {
      timeoutMs: 10_000,
      message: 'both inbound jobs done',
    });
    // The first run sent its reply itself (inline) and counted it: the re-run sends nothing.
    expect(await h.outbound.count()).toBe(0);
    expect(textsSent(h)).toEqual([`${message.FromUserName}:only once`]);
  });

  it("a push re-run queues its handler's notifications only once (ctx.notify)", async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    const ids: string[] = [];
    const notifying = defineHandlers((r) =>
      r.fallback((_message, ctx) => {
        ids.push(ctx.notify.template({ id: 'demo_template', data: { thing1: { value: 'Order 42' } } }));
      }),
    );
    const payload = await h.push(createMessage.text('notify me'));
    h.startWorkers(1, notifying);
    await waitFor(() => h.sim.templateSends.length === 1, { timeoutMs: 10_000, message: 'the template send' });
    await h.inbound.add('push', payload, { jobId: 'rerun-notify' });
    await waitFor(async () => (await h.inbound.getJobCounts('completed')).completed === 2, {
      timeoutMs: 10_000,
      message: 'both inbound jobs done',
    });
    // Both runs named the same notification, and it was queued and sent once.
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);
    const notify = new Queue(QUEUES.notify.name, { connection: h.redis, prefix: h.prefix });
    const counts = await notify.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
    await notify.close();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
    expect(h.sim.templateSends.map((send) => send.client_msg_id)).toEqual([ids[0]]);
  });

  it('a re-run after some replies went inline and the rest as jobs sends nothing again', async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    // The second reply's inline send gets -1: it and the third go as jobs, which send them.
    let sendsSeen = 0;
    h.sim.injectFault({ path: SEND, errcode: -1, times: 1, when: () => (sendsSeen += 1) === 2 });
    h.startWorkers(
      1,
      defineHandlers((r) =>
        r.fallback((_m, ctx) => {
          for (const text of ['A', 'B', 'C']) ctx.reply.text(text);
        }),
      ),
    );
    const message = createMessage.text('three replies');
    const payload = await h.push(message);
    await h.sim.waitForSends(3, 15_000);
    // The same push again (as after a crash between queueing the jobs and completing).
    await h.inbound.add('push', payload, { jobId: 'rerun-jobs' });
    await waitFor(async () => (await h.inbound.getJobCounts('completed')).completed === 2, {
      timeoutMs: 10_000,
      message: 'both inbound jobs done',
    });
    await waitFor(async () => (await h.outbound.getJobCounts('completed')).completed === 2, {
      message: 'the two reply jobs done',
    });
    const user = message.FromUserName;
    expect(textsSent(h)).toEqual([`${user}:A`, `${user}:B`, `${user}:C`]);
  });

  it("a re-run whose handler records other replies sends the first run's unsent ones, never the new", async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    const message = createMessage.text('changed mind');
    const user = message.FromUserName;
    const payload = await h.push(message);
    // As a first run leaves it when killed right after sending its first of three replies.
    const replyOf = (replyIndex: number, content: string) => ({
      v: 1,
      appId: payload.appId,
      dedupKey: payload.dedupKey,
      replyIndex,
      receivedAt: payload.receivedAt,
      reply: { kind: 'message', message: { touser: user, msgtype: 'text', text: { content } } },
    });
    const progress = createKeys(h.prefix).repliesSent(QUEUES.inbound.jobId(payload));
    await h.redis.hset(
      progress,
      'plan',
      JSON.stringify([replyOf(0, 'A'), replyOf(1, 'B'), replyOf(2, 'C')]),
      'sent',
      1,
    );
    h.startWorkers(
      1,
      defineHandlers((r) =>
        r.fallback((_m, ctx) => {
          ctx.reply.text('B and C merged');
        }),
      ),
    );
    await h.sim.waitForSends(2, 10_000);
    await waitFor(async () => (await h.inbound.getJobCounts('completed')).completed === 1, {
      message: 'the push done',
    });
    expect(textsSent(h)).toEqual([`${user}:B`, `${user}:C`]);
  });

  it('tokens invalidated mid-run: every reply still delivered, one refresh per invalidation', async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    h.startWorkers(3);
    const first = Array.from({ length: 20 }, (_, i) => createMessage.text(`before ${i}`));
    await Promise.all(first.map((m) => h.push(m)));
    await h.sim.waitForSends(20, 20_000);
    const fetchesBefore = h.tokenFetches();
    h.sim.invalidateTokens();
    const second = Array.from({ length: 20 }, (_, i) => createMessage.text(`after ${i}`));
    await Promise.all(second.map((m) => h.push(m)));
    await h.sim.waitForSends(40, 20_000);
    expect(textsSent(h)).toHaveLength(40);
    expect(new Set(textsSent(h)).size).toBe(40);
    expect(h.tokenFetches() - fetchesBefore).toBe(1);
  });

  it('-1 twice: delivered on the third attempt', async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    h.sim.injectFault({ path: '/cgi-bin/message/custom/send', errcode: -1, times: 2 });
    h.startWorkers(1);
    const message = createMessage.text('busy system');
    await h.push(message);
    await h.sim.waitForSends(1, 15_000);
    const sendCalls = h.sim.calls.filter((c) => c.path === '/cgi-bin/message/custom/send');
    expect(sendCalls.map((c) => c.errcode)).toEqual([-1, -1, 0]);
    expect(textsSent(h)).toEqual([`${message.FromUserName}:busy system`]);
  });

  it('45015: exactly one attempt, the job fails with the errcode visible', async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    h.sim.injectFault({ path: '/cgi-bin/message/custom/send', errcode: 45015, times: Infinity });
    h.startWorkers(1);
    await h.push(createMessage.text('too late'));
    const failed = await waitFor(async () => (await h.outbound.getFailed())[0], {
      timeoutMs: 10_000,
      message: 'the outbound job failed',
    });
    expect(failed.failedReason).toContain('errcode 45015');
    expect(failed.attemptsMade).toBe(1);
    expect(h.sim.calls.filter((c) => c.path === '/cgi-bin/message/custom/send')).toHaveLength(1);
  });

  it('a handler error retries the handler, then leaves the push failed for an operator', async () => {
    harness = await startHarness(inject('redisUrl'), { HANDLER_ATTEMPTS: '2' });
    const h = harness;
    let runs = 0;
    h.startWorkers(
      1,
      defineHandlers((r) =>
        r.fallback(() => {
          runs += 1;
          throw new Error('handler bug');
        }),
      ),
    );
    await h.push(createMessage.text('boom'));
    const failed = await waitFor(async () => (await h.inbound.getFailed())[0], {
      timeoutMs: 15_000,
      message: 'the inbound job failed',
    });
    expect(runs).toBe(2);
    expect(failed.failedReason).toContain('handler failed 2 times: handler bug');
    expect(h.sim.sends).toHaveLength(0);
  });

  it('a failed send retries alone, never re-running the handler', async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    h.sim.injectFault({ path: '/cgi-bin/message/custom/send', httpStatus: 502, times: 1 });
    let runs = 0;
    h.startWorkers(
      1,
      defineHandlers((r) =>
        r.fallback((_m, ctx) => {
          runs += 1;
          ctx.reply.text('first');
          ctx.reply.text('second');
        }),
      ),
    );
    const message = createMessage.text('two replies');
    await h.push(message);
    await h.sim.waitForSends(2, 15_000);
    expect(runs).toBe(1);
    expect(textsSent(h).sort()).toEqual([`${message.FromUserName}:first`, `${message.FromUserName}:second`]);
  });

  it('the access_token never appears in the logs', async () => {
    harness = await startHarness(inject('redisUrl'), { LOG_LEVEL: 'debug' });
    const h = harness;
    h.sim.injectFault({ path: '/cgi-bin/message/custom/send', errcode: 40001, times: 1 });
    h.startWorkers(1);
    await h.push(createMessage.text('secret-free'));
    await h.sim.waitForSends(1, 10_000);
    const token = await h.currentToken();
    expect(token).toBeTruthy();
    // The line comes just after the send the simulator saw.
    await waitFor(() => h.logs.text().includes('message handled'), {
      timeoutMs: 5_000,
      message: 'the push was logged',
    });
    expect(h.logs.text()).not.toContain(token);
    expect(h.logs.text()).not.toContain('simulatorsecret');
  });
});
