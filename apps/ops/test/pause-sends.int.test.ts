import { QUEUES, outboundJobId } from '@wxq/queue';
import { startTsProcess, waitFor } from '@wxq/testing';
import { startWechatApiSimulator } from '@wxq/wechat-sim';
import { afterEach, describe, expect, inject, it, onTestFinished } from 'vitest';
import { APP_ID, APP_SECRET, type OpsFixture, at, startOpsFixture } from './helpers.js';

// `ops pause` against a real worker process and the simulator: the account's replies wait, none is
// sent and no attempt is spent, until `ops resume`, which sends them at once.

let fixture: OpsFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

describe('ops pause and resume with a running worker', () => {
  it('holds every reply of the account until resumed, then sends them', async () => {
    const sim = await startWechatApiSimulator({ accounts: [{ appId: APP_ID, appSecret: APP_SECRET }] });
    onTestFinished(() => sim.stop());
    fixture = startOpsFixture(inject('redisUrl'), { WECHAT_API_BASE_URL: sim.url, WXQ_CS_QUOTA: 'off' });
    const f = fixture;
    const worker = startTsProcess('apps/worker/src/main.ts', {
      env: { PATH: process.env['PATH'], ...f.env, LOG_LEVEL: 'warn' },
      echoStderr: true,
    });
    onTestFinished(async () => {
      await worker.stop({ signal: 'SIGKILL' });
    });

    expect((await f.ops(['pause', '--account', APP_ID])).code).toBe(0);
    const pushes = await f.addPushes(2);
    const replyIds = pushes.map((push) => outboundJobId(push.appId, push.dedupKey, 0));
    // The demo handlers echo each text: both replies exist, and wait in "delayed" without being sent.
    await waitFor(
      async () => {
        const states = await Promise.all(replyIds.map((id) => f.outbound.queue.getJobState(id)));
        return states.every((state) => state === 'delayed');
      },
      { timeoutMs: 15_000, message: 'both replies delayed by the pause' },
    );
    expect(sim.sends).toEqual([]);
    expect(sim.calls.filter((call) => call.path === '/cgi-bin/message/custom/send')).toEqual([]);

    const resumed = await f.ops(['resume', '--account', APP_ID]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`^sends of ${APP_ID} resumed \\([12] delayed replies woken\\)\\n$`));
    const sent = await sim.waitForSends(2, 10_000);
    expect(sent.map((s) => s.message['text'])).toEqual(
      pushes.map((push) => ({ content: 'Content' in push.message ? push.message.Content : '' })),
    );
    // The simulator has the send a moment before BullMQ records the job as completed.
    await waitFor(async () => (await f.outbound.queue.getJobState(at(replyIds, 0))) === 'completed', {
      timeoutMs: 10_000,
      message: 'the first reply completed',
    });
    // One attempt: the pause spent none.
    expect((await f.outbound.queue.getJob(at(replyIds, 0)))?.attemptsMade).toBe(1);
    expect(await f.inbound.queue.getJobState(QUEUES.inbound.jobId(at(pushes, 0)))).toBe('completed');
    // Before the fixture removes the queues under it.
    expect((await worker.stop()).code).toBe(0);
  });
});
