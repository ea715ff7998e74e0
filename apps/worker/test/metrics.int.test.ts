import { randomUUID } from 'node:crypto';
import { createSendPause } from '@wxq/quota';
import { createKeys, createQueueShards } from '@wxq/redis';
import { type Sample, parsePrometheusText, sampleValue, waitFor } from '@wxq/testing';
import { createMessage } from '@wxq/wechat-sim';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createWorkerMetrics } from '../src/metrics.js';
import { APP_ID, APP_SECRET, type WorkerHarness, startHarness } from './harness.js';

// What the worker's /metrics reports after real jobs through the simulator.

const SEND = '/cgi-bin/message/custom/send';
let harness: WorkerHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

const user = () => `oMetrics${randomUUID().replaceAll('-', '').slice(0, 20)}`;

async function scrape(port: number): Promise<Sample[]> {
  const answer = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await answer.text());
}

describe('worker /metrics', () => {
  it('counts sends by result (ok, an errcode, quota, transport), handler runs, token refreshes and queue states', async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    const worker = await h.startWorkerWithAdmin();
    const sends = (result: string, samples: Sample[]) =>
      sampleValue(samples, 'wxq_worker_sends_total', { account: APP_ID, result });

    await h.push(createMessage.text('#multi 2 hi', { openid: user() }));
    await h.sim.waitForSends(2, 10_000);
    // WeChat refuses one send for good: 45015, the user's window closed.
    h.sim.injectFault({ path: SEND, errcode: 45015 });
    await h.push(createMessage.text('content-refused-7f3', { openid: user() }));
    // A message 49 h old opens no window: the ledger holds its reply back, nothing is attempted.
    await h.push(
      createMessage.text('content-late-7f3', {
        openid: user(),
        createTime: String(Math.floor(Date.now() / 1000) - 49 * 3600),
      }),
    );
    await waitFor(async () => (await h.outbound.getFailedCount()) === 2, { timeoutMs: 10_000, message: 'two failed' });
    // The connection drops once: a transport failure, then the retry sends.
    h.sim.injectFault({ path: SEND, dropConnection: true });
    await h.push(createMessage.text('dropped', { openid: user() }));
    await h.sim.waitForSends(3, 10_000);

    const samples = await waitFor(
      async () => {
        const scraped = await scrape(worker.adminPort);
        // A send is counted as its answer comes back, its job completed just after: wait for both.
        const settled =
          sends('ok', scraped) === 3 &&
          sampleValue(scraped, 'wxq_queue_jobs', { queue: 'outbound', state: 'completed' }) === 1 &&
          sampleValue(scraped, 'wxq_queue_jobs', { queue: 'inbound', state: 'completed' }) === 4;
        return settled ? scraped : undefined;
      },
      { message: 'the third send counted and its job completed' },
    );
    expect(sends('45015', samples)).toBe(1);
    expect(sends('quota', samples)).toBe(1);
    expect(sends('transport', samples)).toBe(1);
    expect(sampleValue(samples, 'wxq_worker_handler_duration_seconds_count', { account: APP_ID, outcome: 'ok' })).toBe(
      4,
    );
    expect(sampleValue(samples, 'wxq_worker_token_refreshes_total', { account: APP_ID, result: 'ok' })).toBe(1);
    expect(sampleValue(samples, 'wxq_worker_token_ttl_seconds', { account: APP_ID })).toBeGreaterThan(6_000);
    expect(sampleValue(samples, 'wxq_worker_token_age_seconds', { account: APP_ID })).toBeLessThan(60);
    expect(sampleValue(samples, 'wxq_account_counter', { account: APP_ID, counter: 'quota_refused' })).toBe(1);
    expect(sampleValue(samples, 'wxq_queue_jobs', { queue: 'outbound', state: 'failed' })).toBe(2);
    // The first sends went out inline, from their pushes' jobs; the dropped one's retry is a job
    // (the wait above holds until outbound has exactly 1 completed and inbound 4).
    expect(sampleValue(samples, 'wxq_queue_oldest_waiting_seconds', { queue: 'inbound' })).toBe(0);
    expect(sampleValue(samples, 'wxq_worker_send_paused_seconds', { account: APP_ID })).toBe(0);
    expect(sampleValue(samples, 'wxq_worker_redis_up')).toBe(1);
    expect(samples.some((sample) => sample.name === 'wxq_worker_process_cpu_seconds_total')).toBe(true);
    // Label values are bounded: configured accounts, never an openid or message content.
    const labelValues = samples.flatMap((sample) => Object.values(sample.labels));
    expect(labelValues.filter((value) => value.startsWith('oMetrics'))).toEqual([]);
    // Nothing secret in a scrape nobody authenticates.
    const text = await (await fetch(`http://127.0.0.1:${worker.adminPort}/metrics`)).text();
    const token = await h.currentToken();
    expect(token).not.toBeNull();
    for (const secret of [APP_SECRET, token ?? '', 'content-refused-7f3', 'content-late-7f3'])
      expect(text).not.toContain(secret);
  });

  it('counts a failing token refresh, and a 45009 as a paused account', async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    const worker = await h.startWorkerWithAdmin();
    h.sim.injectFault({ path: '/cgi-bin/stable_token', errcode: -1 });
    h.sim.injectFault({ path: SEND, errcode: 45009 });
    await h.push(createMessage.text('quota day', { openid: user() }));
    const samples = await waitFor(
      async () => {
        const scraped = await scrape(worker.adminPort);
        // The send is counted as it fails, the pause written just after: wait for both.
        return sampleValue(scraped, 'wxq_worker_sends_total', { account: APP_ID, result: '45009' }) === 1 &&
          sampleValue(scraped, 'wxq_worker_send_paused_seconds', { account: APP_ID }) > 0
          ? scraped
          : undefined;
      },
      { timeoutMs: 10_000, message: 'the 45009 counted and the account paused' },
    );
    expect(sampleValue(samples, 'wxq_worker_token_refreshes_total', { account: APP_ID, result: 'error' })).toBe(1);
    expect(sampleValue(samples, 'wxq_account_counter', { account: APP_ID, counter: 'paused_45009' })).toBe(1);
    expect(sampleValue(samples, 'wxq_worker_send_paused_seconds', { account: APP_ID })).toBeGreaterThan(0);
  });

  it("shows an operator's pause (until resumed) as +Inf seconds left", async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    const worker = await h.startWorkerWithAdmin();
    await createSendPause(h.redis, createKeys(h.prefix)).pauseUntilResumed(APP_ID);
    // A scrape reads Redis only once the worker's connection is ready (it may still be connecting).
    const samples = await waitFor(
      async () => {
        const scraped = await scrape(worker.adminPort);
        return sampleValue(scraped, 'wxq_worker_redis_up') === 1 ? scraped : undefined;
      },
      { message: 'a scrape that read Redis' },
    );
    expect(sampleValue(samples, 'wxq_worker_send_paused_seconds', { account: APP_ID })).toBe(Infinity);
  });

  it('reports the oldest waiting job per queue, and counts waiting jobs, without a worker taking them', async () => {
    harness = await startHarness(inject('redisUrl'));
    const h = harness;
    await h.push(createMessage.text('first', { openid: user() }));
    await h.push(createMessage.text('second', { openid: user() }));
    // A field someone else wrote into the counters hash is not ours to export.
    await h.redis.hset(createKeys(h.prefix).sendCounters(APP_ID), 'someone_elses', '5');
    const metrics = createWorkerMetrics({
      redis: h.redis,
      shards: createQueueShards(h.prefix, 1),
      queues: [
        { queue: h.inbound, shard: 0 },
        { queue: h.outbound, shard: 0 },
      ],
      accounts: [APP_ID],
      // A minute from now: the jobs have waited about 60 s.
      now: () => Date.now() + 60_000,
    });
    await metrics.refresh(2_000);
    const samples = parsePrometheusText(await metrics.registry.metrics());
    expect(sampleValue(samples, 'wxq_queue_jobs', { queue: 'inbound', state: 'waiting' })).toBe(2);
    const lag = sampleValue(samples, 'wxq_queue_oldest_waiting_seconds', { queue: 'inbound' });
    expect(lag).toBeGreaterThanOrEqual(60);
    expect(lag).toBeLessThan(70);
    expect(sampleValue(samples, 'wxq_queue_oldest_waiting_seconds', { queue: 'outbound' })).toBe(0);
    expect(sampleValue(samples, 'wxq_worker_token_ttl_seconds', { account: APP_ID })).toBe(0);
    const counters = samples.filter((sample) => sample.name === 'wxq_account_counter');
    expect(counters.map((sample) => [sample.labels['counter'], sample.value]).sort()).toEqual([
      ['passive_answered', 0],
      ['passive_dropped', 0],
      ['paused_45009', 0],
      ['paused_45011', 0],
      ['pending_expired', 0],
      ['pending_overflow', 0],
      ['quota_observed', 0],
      ['quota_refused', 0],
      ['typing_skipped', 0],
    ]);
  });
});
