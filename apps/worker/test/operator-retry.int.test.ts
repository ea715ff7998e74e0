import { defineHandlers } from '@wxq/handlers';
import { OperatorQueue, QUEUES, outboundJobId } from '@wxq/queue';
import { waitFor } from '@wxq/testing';
import { createMessage } from '@wxq/wechat-sim';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type WorkerHarness, startHarness } from './harness.js';

// An operator's retry (npm run ops -- retry, Bull Board's buttons: both go through OperatorQueue)
// gives a job that failed for good its whole attempt budget again, and its place in its user's lane.

let harness: WorkerHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const USER = 'oRetryUser000000000000000000';

describe("an operator's retry", () => {
  it("re-runs a push that failed HANDLER_ATTEMPTS times with every attempt again, in its user's order", async () => {
    harness = await startHarness(inject('redisUrl'), { HANDLER_ATTEMPTS: '2', WXQ_CS_QUOTA: 'off' });
    const h = harness;
    // "A" fails while `failuresLeft` lasts; every run is recorded in the order the handlers ran.
    let failuresLeft = 2;
    const runs: string[] = [];
    const handlers = defineHandlers((r) =>
      r.text(/[\s\S]*/, (message, ctx) => {
        if (message.Content === 'A' && failuresLeft > 0) {
          failuresLeft -= 1;
          runs.push('A failed');
          throw new Error('handler bug');
        }
        runs.push(message.Content);
        ctx.reply.text(`re: ${message.Content}`);
      }),
    );
    h.startWorkers(1, handlers);
    const a = await h.push(createMessage.text('A', { openid: USER }));
    await h.push(createMessage.text('B', { openid: USER }));
    const aId = QUEUES.inbound.jobId(a);
    await waitFor(async () => (await h.inbound.getJobState(aId)) === 'failed' && runs.includes('B'), {
      timeoutMs: 10_000,
      message: 'A failed for good, then B ran',
    });
    expect(runs).toEqual(['A failed', 'A failed', 'B']);

    // Fails once more after the retry: with BullMQ's plain retry that would be its last attempt.
    failuresLeft = 1;
    const board = new OperatorQueue(QUEUES.inbound.name, { connection: h.redis, prefix: h.prefix });
    try {
      const failed = await board.getJob(aId);
      expect(failed?.attemptsMade).toBe(2);
      await failed?.retry('failed');
      // While A backs off between its attempts it holds its user's turn: C, pushed now, waits for it.
      await waitFor(() => runs.length === 4, { timeoutMs: 10_000, message: 'A ran again' });
      await h.push(createMessage.text('C', { openid: USER }));
      await waitFor(() => runs.includes('C'), { timeoutMs: 10_000, message: 'C ran' });
    } finally {
      await board.close();
    }
    expect(runs).toEqual(['A failed', 'A failed', 'B', 'A failed', 'A', 'C']);
    expect(await h.inbound.getJobState(aId)).toBe('completed');
    await waitFor(() => h.sim.sends.length === 3, { timeoutMs: 10_000, message: 'three replies' });
    expect(h.sim.sends.map((s) => s.message['text'])).toEqual([
      { content: 're: B' },
      { content: 're: A' },
      { content: 're: C' },
    ]);
  });

  it('a reply refused for good at its first attempt runs again after a retry (its lane marker is cleared)', async () => {
    harness = await startHarness(inject('redisUrl'), { WXQ_CS_QUOTA: 'off' });
    const h = harness;
    h.sim.injectFault({ path: '/cgi-bin/message/custom/send', errcode: 45015, times: 1 });
    h.startWorkers(1);
    const push = await h.push(createMessage.text('hello', { openid: USER }));
    const replyId = outboundJobId(push.appId, push.dedupKey, 0);
    await waitFor(async () => (await h.outbound.getJobState(replyId)) === 'failed', {
      timeoutMs: 10_000,
      message: 'the reply failed with 45015',
    });
    const board = new OperatorQueue(QUEUES.outbound.name, { connection: h.redis, prefix: h.prefix });
    try {
      const failed = await board.getJob(replyId);
      expect(failed?.attemptsMade).toBe(1);
      await failed?.retry('failed');
    } finally {
      await board.close();
    }
    await waitFor(async () => (await h.outbound.getJobState(replyId)) === 'completed', {
      timeoutMs: 10_000,
      message: 'the retried reply sent',
    });
    expect(h.sim.sends.map((s) => s.message['text'])).toEqual([{ content: 'hello' }]);
  });
});
