// The campaign feeder (campaign-feeder.ts) against a real Redis, one feed() at a time: what a tick
// feeds at a given rate, as notify-batch jobs of 20 or as a notify job per recipient, and a batch
// fed again after a crash queueing nothing twice.
import { randomUUID } from 'node:crypto';
import { createProducer } from '@wxq/queue';
import { createKeys } from '@wxq/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import {
  type CampaignRequest,
  createCampaignFeeder,
  createCampaigns,
  createNotificationRecords,
} from '../src/index.js';

const APP_ID = 'wx0123456789abcdef';
const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
const closing: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0)) await close();
});
afterAll(async () => {
  await redis.quit();
});

function rig(rate: number) {
  const prefix = `{test-${randomUUID()}}`;
  const keys = createKeys(prefix);
  const producer = createProducer('notify', { connection: redis, prefix, settings: {} });
  const batches = createProducer('notifyBatch', { connection: redis, prefix, settings: {} });
  closing.push(async () => {
    await producer.queue.obliterate({ force: true });
    await batches.queue.obliterate({ force: true });
    await producer.close();
    await batches.close();
    const left = await redis.keys(`${prefix}*`);
    if (left.length > 0) await redis.del(left);
  });
  const feeder = createCampaignFeeder({
    redis,
    keys,
    records: createNotificationRecords(redis, keys),
    producer,
    batches,
    rateOf: () => rate,
    onError: (err) => {
      throw err;
    },
  });
  const campaigns = createCampaigns({ redis, keys, accounts: [APP_ID] });
  const jobIds = async (queue: typeof producer.queue | typeof batches.queue) =>
    (await queue.getJobs(['waiting'])).map((job) => job.id ?? '').sort();
  return { keys, feeder, campaigns, producer, batches, jobIds };
}

const users = (n: number) => Array.from({ length: n }, (_, i) => `oFeed-${String(i).padStart(3, '0')}`);
const template = (n: number): CampaignRequest => ({
  template: { id: 'TPL', data: { thing1: { value: 'x' } } },
  recipients: users(n),
});

describe('the campaign feeder', () => {
  it('at 150/s feeds whole batches of 20 a tick (40 for the 30 of its rate), cut at multiples of 20', async () => {
    const r = rig(150);
    const campaign = await r.campaigns.create(template(130));
    expect(await r.feeder.feed()).toBe(40);
    expect(await r.feeder.feed()).toBe(40);
    expect(await r.jobIds(r.batches.queue)).toEqual(
      [0, 20, 40, 60].map((start) => `nb-${campaign.id}-${start}`).sort(),
    );
    expect(await r.jobIds(r.producer.queue)).toEqual([]);
    const [first] = await r.batches.queue.getJobs(['waiting'], 0, 0, true);
    expect(first?.data.recipients).toHaveLength(20);
  });

  it('a feed again from the same position (a feeder died before moving it) queues nothing twice', async () => {
    const r = rig(150);
    const campaign = await r.campaigns.create(template(130));
    await r.feeder.feed();
    // The position as it was before the feed: the next feed cuts the same batches.
    await redis.hset(r.keys.campaign(campaign.id), 'fed', '0');
    expect(await r.feeder.feed()).toBe(40);
    expect(await r.jobIds(r.batches.queue)).toEqual([0, 20].map((start) => `nb-${campaign.id}-${start}`).sort());
    // The last batch of a campaign is its tail: 130 = 6 × 20 + 10.
    let fed = 40;
    while (fed < 130) {
      const more = await r.feeder.feed();
      if (more === 0) break;
      fed += more;
    }
    expect(fed).toBe(130);
    const last = (await r.batches.queue.getJobs(['waiting'])).find((job) => job.data.start === 120);
    expect(last?.data.recipients).toHaveLength(10);
  });

  it('under 100/s, and for subscribe campaigns, feeds a notify job per recipient', async () => {
    const slow = rig(60);
    await slow.campaigns.create(template(50));
    expect(await slow.feeder.feed()).toBe(12);
    expect(await slow.jobIds(slow.producer.queue)).toHaveLength(12);
    expect(await slow.jobIds(slow.batches.queue)).toEqual([]);
    const subscribe = rig(150);
    await subscribe.campaigns.create({
      subscribe: { id: 'SUB', data: { thing1: { value: 'x' } } },
      recipients: users(50),
    });
    expect(await subscribe.feeder.feed()).toBe(30);
    expect(await subscribe.jobIds(subscribe.producer.queue)).toHaveLength(30);
    expect(await subscribe.jobIds(subscribe.batches.queue)).toEqual([]);
  });
});
