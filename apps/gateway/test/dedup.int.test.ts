import { Agent } from 'node:http';
import { QUEUES } from '@wxq/queue';
import { createRedis } from '@wxq/redis';
import { signEncryptedPush, signPlaintextPush, waitFor } from '@wxq/testing';
import { type Processor, UnrecoverableError, Worker } from 'bullmq';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type TestGateway, useGateway } from './helpers/harness.js';
import { send } from './helpers/http.js';
import { DEFAULT_ACCOUNT, jobIdOf, textXml } from './helpers/pushes.js';

/** A worker of the test's own on the gateway's queue, closed when the test finishes. */
function runWorker(gateway: TestGateway, processor: Processor): Worker {
  const connection = createRedis(gateway.config.redis, 'worker', 'wxq-test-worker');
  connection.on('error', () => undefined);
  const worker = new Worker(QUEUES.inbound.name, processor, { connection, prefix: gateway.prefix });
  worker.on('error', () => undefined);
  onTestFinished(async () => {
    await worker.close();
    await connection.quit();
  });
  return worker;
}

function outcomes(gateway: TestGateway): unknown[] {
  return gateway.logs
    .lines()
    .filter((line) => (line['req'] as { method?: string } | undefined)?.method === 'POST')
    .map((line) => line['outcome']);
}

describe('a repeated push', () => {
  it('is answered success again without a second job', async () => {
    const gateway = await useGateway();
    const xml = textXml();
    for (const push of [
      signPlaintextPush(xml, { account: DEFAULT_ACCOUNT }),
      signPlaintextPush(xml, { account: DEFAULT_ACCOUNT }),
      signEncryptedPush(xml, 'safe', { account: DEFAULT_ACCOUNT }),
    ]) {
      expect(await gateway.push(push)).toMatchObject({ status: 200, body: 'success' });
    }
    expect(await gateway.jobCount()).toBe(1);
    expect(outcomes(gateway)).toEqual(['accepted', 'duplicate', 'duplicate']);
  });

  const ENDINGS: readonly (readonly [state: 'completed' | 'failed', processor: Processor])[] = [
    ['completed', () => Promise.resolve('handled')],
    ['failed', () => Promise.reject(new UnrecoverableError('handler refused it'))],
  ];

  it.each(ENDINGS)('still makes no second job once the first has %s', async (state, processor) => {
    const gateway = await useGateway();
    const xml = textXml();
    expect((await gateway.push(signPlaintextPush(xml, { account: DEFAULT_ACCOUNT }))).status).toBe(200);
    runWorker(gateway, processor);
    const jobId = jobIdOf(xml);
    await waitFor(async () => (await gateway.queue.getJobState(jobId)) === state, {
      message: `the job to be ${state}`,
    });

    expect(await gateway.push(signPlaintextPush(xml, { account: DEFAULT_ACCOUNT }))).toMatchObject({
      status: 200,
      body: 'success',
    });

    expect(await gateway.queue.getJobState(jobId)).toBe(state);
    expect(await gateway.jobCount()).toBe(1);
  });

  it('sent three times at once makes one job', async () => {
    const gateway = await useGateway();
    const xml = textXml();
    const answers = await Promise.all(
      [1, 2, 3].map(() => gateway.push(signPlaintextPush(xml, { account: DEFAULT_ACCOUNT }))),
    );
    for (const answer of answers) expect(answer).toMatchObject({ status: 200, body: 'success' });
    expect(await gateway.jobCount()).toBe(1);
    expect(await gateway.queue.getJob(jobIdOf(xml))).toBeDefined();
  });
});

describe('distinct pushes', () => {
  it('1,000 at once make 1,000 jobs', async () => {
    const gateway = await useGateway();
    // Keep-alive and a bounded pool, as a proxy in front of the gateway would connect.
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    onTestFinished(() => {
      agent.destroy();
    });
    const pushes = Array.from({ length: 1_000 }, () => signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }));

    const answers = await Promise.all(
      pushes.map((push) => send(`${gateway.url}/wechat?${push.query}`, { method: 'POST', body: push.body, agent })),
    );

    expect(answers.filter((answer) => answer.status === 200 && answer.body === 'success')).toHaveLength(1_000);
    expect(await gateway.queue.getWaitingCount()).toBe(1_000);
    expect(await gateway.jobCount()).toBe(1_000);
  });

  it('300 sent twice each, all at once (copies share batches), make 300 jobs', async () => {
    const gateway = await useGateway();
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    onTestFinished(() => {
      agent.destroy();
    });
    const pushes = Array.from({ length: 300 }, () => signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }));

    const answers = await Promise.all(
      [...pushes, ...pushes].map((push) =>
        send(`${gateway.url}/wechat?${push.query}`, { method: 'POST', body: push.body, agent }),
      ),
    );

    expect(answers.filter((answer) => answer.status === 200 && answer.body === 'success')).toHaveLength(600);
    expect(await gateway.jobCount()).toBe(300);
  });
});
