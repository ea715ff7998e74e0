// A template campaign's notify-batch jobs (processors/notify-batch.ts) against the simulator: each
// recipient is sent once or settled by its one answer, and one that needs another call is handed
// over to a notify job of its own, which finishes it.
import { type CampaignRequest, createCampaigns, createNotificationRecords } from '@wxq/notify';
import { QUEUES, createProducer } from '@wxq/queue';
import { createKeys } from '@wxq/redis';
import { waitFor } from '@wxq/testing';
import { Queue, Worker } from 'bullmq';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { APP_ID, type WorkerHarness, startHarness } from './harness.js';

const SEND = '/cgi-bin/message/template/send';

let harness: WorkerHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const users = (n: number) => Array.from({ length: n }, (_, i) => `oBatch-${String(i).padStart(3, '0')}`);
const campaignOf = (recipients: readonly string[]): CampaignRequest => ({
  template: { id: 'demo_template', data: { thing1: { value: 'hello' } } },
  recipients: [...recipients],
});
const touserOf = (body: unknown) => String((body as { touser?: unknown } | undefined)?.touser);

/** A harness draining campaigns as fast as it can: WXQ_TEMPLATE_RATE=0 feeds batches of 20. */
async function start(env: Readonly<Record<string, string>> = {}) {
  const h = await startHarness(inject('redisUrl'), { WXQ_TEMPLATE_RATE: '0', ...env });
  harness = h;
  const campaigns = createCampaigns({ redis: h.redis, keys: createKeys(h.prefix), accounts: [APP_ID] });
  const queue = (name: string) => {
    const q = new Queue(name, { connection: h.redis, prefix: h.prefix });
    return q;
  };
  return { h, campaigns, batches: queue(QUEUES.notifyBatch.name), singles: queue(QUEUES.notify.name) };
}

describe('a campaign fed as notify-batch jobs', () => {
  it('sends everyone once; a retryable answer is handed over and sent, a refusal settles its recipient', async () => {
    const { h, campaigns, batches, singles } = await start();
    const recipients = users(45);
    h.sim.injectFault({ path: SEND, errcode: -1, when: (r) => touserOf(r.body) === 'oBatch-003' });
    h.sim.injectFault({ path: SEND, errcode: 40003, times: Infinity, when: (r) => touserOf(r.body) === 'oBatch-021' });
    h.startWorkers(1);
    const accepted = await campaigns.create(campaignOf(recipients));
    const done = await waitFor(
      async () => {
        const c = await campaigns.get(accepted.id);
        return c?.status === 'done' ? c : undefined;
      },
      { message: 'the campaign done', timeoutMs: 20_000 },
    );
    expect(done.counts).toMatchObject({ queued: 0, refused: 1, failed: 0 });
    expect(done.counts.sent + done.counts.delivered).toBe(44);
    // Accepted sends: once each, and 021 never.
    const sent = h.sim.templateSends.map((s) => s.touser).sort();
    expect(sent).toEqual(recipients.filter((to) => to !== 'oBatch-021'));
    const page = await campaigns.recipients(accepted.id, { status: 'refused' });
    expect(page?.recipients).toEqual([expect.objectContaining({ to: 'oBatch-021', errcode: 40003 })]);
    // Three batches (0–19, 20–39, 40–44) and one notify job: the recipient the -1 was for.
    const batchJobs = await batches.getJobs(['completed']);
    expect(batchJobs.map((j) => j.id).sort()).toEqual(
      [0, 20, 40].map((start) => `nb-${accepted.id}-${String(start)}`).sort(),
    );
    const singleJobs = await singles.getJobs(['completed', 'failed', 'waiting', 'delayed', 'active']);
    expect(singleJobs.map((j) => (j.data as { to: string }).to)).toEqual(['oBatch-003']);
    await batches.close();
    await singles.close();
  });

  it("a 45009 hands the batch's rest over to jobs that wait out the pause, unsent", async () => {
    const { h, campaigns, batches, singles } = await start();
    const recipients = users(20);
    h.sim.injectFault({ path: SEND, errcode: 45009, when: (r) => touserOf(r.body) === 'oBatch-005' });
    h.startWorkers(1);
    const accepted = await campaigns.create(campaignOf(recipients));
    const delayed = await waitFor(
      async () => {
        const jobs = await singles.getJobs(['delayed']);
        return jobs.length === 15 ? jobs : undefined;
      },
      { message: 'the 15 unsent recipients waiting', timeoutMs: 20_000 },
    );
    expect(delayed.map((j) => (j.data as { to: string }).to).sort()).toEqual(recipients.slice(5));
    expect(h.sim.templateSends.map((s) => s.touser)).toEqual(recipients.slice(0, 5));
    const campaign = await campaigns.get(accepted.id);
    expect(campaign).toMatchObject({ status: 'paused', reason: '45009', counts: { queued: 15 } });
    expect((await batches.getJobs(['completed'])).map((j) => j.id)).toEqual([`nb-${accepted.id}-0`]);
    await batches.close();
    await singles.close();
  });

  it('started a second time (its worker died), hands every recipient still queued to a job of its own', async () => {
    // Short locks: the batch a dead worker held is taken again within seconds.
    const { h, campaigns, batches, singles } = await start({
      WORKER_LOCK_DURATION_MS: '1000',
      WORKER_STALLED_INTERVAL_MS: '500',
    });
    const recipients = users(20);
    const accepted = await campaigns.create(campaignOf(recipients));
    const page = await campaigns.recipients(accepted.id, { limit: 100 });
    const members = (page?.recipients ?? []).map(({ id, to }) => ({ id, to }));
    expect(members).toHaveLength(20);
    // What the feeder makes of it (the worker's feeder, started later, finds both there), with
    // the first five sent before the "crash".
    const keys = createKeys(h.prefix);
    const records = createNotificationRecords(h.redis, keys);
    await records.createBatch(
      { kind: 'template', account: APP_ID, templateId: 'demo_template', campaign: accepted.id },
      members,
    );
    for (const { id } of members.slice(0, 5)) await records.advance(id, 'sent', {}, accepted.id);
    const producer = createProducer('notifyBatch', { connection: h.redis, prefix: h.prefix, settings: {} });
    const send = { kind: 'template', template_id: 'demo_template', data: { thing1: { value: 'hello' } } } as const;
    await producer.add({
      v: 1,
      appId: APP_ID,
      campaignId: accepted.id,
      start: 0,
      send,
      recipients: members,
      createdAt: Date.now(),
    });
    // A worker takes the batch and dies: the job stays active under a lock nobody renews.
    const deadConnection = h.redis.duplicate();
    const dead = new Worker(QUEUES.notifyBatch.name, null, {
      connection: deadConnection,
      prefix: h.prefix,
      lockDuration: 1_000,
    });
    expect((await dead.getNextJob('dead-worker'))?.id).toBe(`nb-${accepted.id}-0`);
    await dead.close(true);
    await deadConnection.quit();
    h.startWorkers(1);
    const done = await waitFor(
      async () => {
        const c = await campaigns.get(accepted.id);
        return c?.status === 'done' ? c : undefined;
      },
      { message: 'the campaign done', timeoutMs: 20_000 },
    );
    expect(done.counts.sent + done.counts.delivered).toBe(20);
    // The five sent before were not sent again; the fifteen others once each, by jobs of their own.
    expect(h.sim.templateSends.map((s) => s.touser).sort()).toEqual(recipients.slice(5));
    const handed = await singles.getJobs(['completed']);
    expect(handed.map((j) => (j.data as { to: string }).to).sort()).toEqual(recipients.slice(5));
    const [batch] = await batches.getJobs(['completed']);
    expect(batch?.attemptsStarted).toBe(2);
    await producer.close();
    await batches.close();
    await singles.close();
  });
});
