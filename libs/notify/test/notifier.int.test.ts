// The notifier, the records and the consent ledger against a real Redis and a real notify queue:
// what a request queues, what a repeat with its Idempotency-Key does, how records move on and how
// a delivery report finds its record.
import { randomUUID } from 'node:crypto';
import { type MessageRequest, NotifyRequestError, createConsentLedger, createNotifier } from '@wxq/notify';
import { type Producer, QUEUES, createLanes, createProducer, notifyPayloadSchema } from '@wxq/queue';
import { type PerShard, type QueueShards, createKeys, createQueueShards } from '@wxq/redis';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';

const APP = 'wx0123456789abcdef';
const OTHER = 'wxfedcba9876543210';
const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
let prefix: string;
let producer: Producer<'notify'>;
let queue: Queue;
/** Two shards: a customer-service message goes to its user's. */
let shards: QueueShards;
let outbound: PerShard<Producer<'outbound'>>;

beforeEach(() => {
  prefix = `{notify-${randomUUID().slice(0, 8)}}`;
  producer = createProducer('notify', { connection: redis, prefix, settings: {} });
  queue = new Queue(QUEUES.notify.name, { connection: redis, prefix });
  shards = createQueueShards(prefix, 2);
  outbound = shards.map((shard) =>
    createProducer('outbound', { connection: redis, prefix: shard.prefix, settings: {} }),
  );
});
afterEach(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  await producer.close();
  for (const shard of shards.all) {
    await outbound.at(shard.index).queue.obliterate({ force: true });
    await outbound.at(shard.index).close();
    const keys = await redis.keys(`${shard.prefix}*`);
    if (keys.length > 0) await redis.del(keys);
  }
});
afterAll(async () => {
  await redis.quit();
});

const notifierFor = () =>
  createNotifier({
    redis,
    keys: shards.keys,
    producer,
    customerService: {
      shards,
      outbound,
      lanes: shards.map((shard) => createLanes(redis, outbound.at(shard.index).queue)),
    },
    accounts: [APP, OTHER],
    now: () => 1_700_000_000_000,
  });

const template = (value = 'Order 42'): MessageRequest => ({
  to: 'oUser1',
  template: { id: 'TPL_SHIPPED', data: { thing1: { value } }, url: 'https://example.com/o/42' },
});

async function jobs(): Promise<number> {
  const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('a message request', () => {
  it('is recorded queued and becomes one job the worker can read, on the default account', async () => {
    const notifier = notifierFor();
    const record = await notifier.send(template());
    expect(record).toMatchObject({ kind: 'template', account: APP, to: 'oUser1', status: 'queued' });
    expect(record.id).toMatch(/^ntf_[0-9a-f]{32}$/);
    expect(await notifier.get(record.id)).toEqual({
      id: record.id,
      kind: 'template',
      account: APP,
      to: 'oUser1',
      status: 'queued',
    });
    const [job] = await queue.getJobs(['waiting']);
    expect(job?.id).toBe(`nt-${record.id}`);
    expect(notifyPayloadSchema.parse(job?.data)).toEqual({
      v: 1,
      appId: APP,
      id: record.id,
      to: 'oUser1',
      createdAt: 1_700_000_000_000,
      send: {
        kind: 'template',
        template_id: 'TPL_SHIPPED',
        data: { thing1: { value: 'Order 42' } },
        url: 'https://example.com/o/42',
      },
    });
  });

  it('without a key makes a new message each time', async () => {
    const notifier = notifierFor();
    const a = await notifier.send(template());
    const b = await notifier.send(template());
    expect(a.id).not.toBe(b.id);
    expect(await jobs()).toBe(2);
  });

  it('for an account not served is refused and queues nothing', async () => {
    const notifier = notifierFor();
    await expect(notifier.send({ ...template(), account: 'wx1111111111111111' })).rejects.toThrow(NotifyRequestError);
    await expect(notifier.send({ ...template(), account: 'wx1111111111111111' })).rejects.toMatchObject({
      code: 'unknown_account',
    });
    expect(await jobs()).toBe(0);
  });
});

describe('a customer-service message request', () => {
  /** Users of each shard: the message must land in the recipient's. */
  const userOn = (index: number) => {
    for (let n = 0; ; n += 1) if (shards.indexOf(APP, `oCs${String(n)}`) === index) return `oCs${String(n)}`;
  };
  const text = (to: string): MessageRequest => ({ to, customerService: { msgtype: 'text', text: { content: 'hi' } } });

  it("is recorded and becomes an outbound job in its user's shard and lane, touser filled in", async () => {
    const notifier = notifierFor();
    for (const index of [0, 1]) {
      const to = userOn(index);
      const record = await notifier.send(text(to));
      expect(await notifier.get(record.id)).toEqual({
        id: record.id,
        kind: 'customerService',
        account: APP,
        to,
        status: 'queued',
      });
      const jobs = await outbound.at(index).queue.getJobs(['waiting']);
      expect(jobs).toHaveLength(1);
      const payload = QUEUES.outbound.schema.parse(jobs[0]?.data);
      expect(payload).toEqual({
        v: 1,
        appId: APP,
        dedupKey: `api:${record.id}`,
        replyIndex: 0,
        receivedAt: 1_700_000_000_000,
        reply: { kind: 'message', message: { touser: to, msgtype: 'text', text: { content: 'hi' } } },
        notification: record.id,
      });
      // Its place in the user's order: the lane holds its job id, scored by when it was accepted.
      const lane = shards.at(index).keys.lane(QUEUES.outbound.name, APP, to);
      expect(await redis.zrange(lane, 0, -1, 'WITHSCORES')).toEqual([jobs[0]?.id, '1700000000000']);
    }
    expect(await jobs()).toBe(0);
  });

  it('repeated with its Idempotency-Key, or with the id a handler chose, queues one job', async () => {
    const notifier = notifierFor();
    const to = userOn(1);
    const a = await notifier.send(text(to), { idempotencyKey: 'k1' });
    expect((await notifier.send(text(to), { idempotencyKey: 'k1' })).id).toBe(a.id);
    const chosen = 'ntf_0123456789abcdef0123456789abcdef';
    await notifier.send(text(to), { id: chosen });
    await notifier.send(text(to), { id: chosen });
    const queued = await outbound.at(1).queue.getJobs(['waiting']);
    expect(queued.map((job) => QUEUES.outbound.schema.parse(job.data).notification).sort()).toEqual(
      [a.id, chosen].sort(),
    );
  });
});

describe('an Idempotency-Key', () => {
  it('repeated with the same request answers the same message and queues nothing twice, even after it was sent', async () => {
    const notifier = notifierFor();
    const first = await notifier.send(template(), { idempotencyKey: 'order-42-shipped' });
    // The same request, the default account named: the same request.
    const again = await notifier.send({ ...template(), account: APP }, { idempotencyKey: 'order-42-shipped' });
    expect(again.id).toBe(first.id);
    expect(await jobs()).toBe(1);
    await notifier.records.sent({ ...first, templateId: 'TPL_SHIPPED' }, '9007199254740993');
    // The job is gone (completed and removed), the record says sent: nothing is queued again.
    await queue.obliterate({ force: true });
    const late = await notifier.send(template(), { idempotencyKey: 'order-42-shipped' });
    expect(late).toMatchObject({ id: first.id, status: 'sent', msgid: '9007199254740993' });
    expect(await jobs()).toBe(0);
  });

  it('with another request is a conflict, and queues nothing', async () => {
    const notifier = notifierFor();
    await notifier.send(template(), { idempotencyKey: 'k1' });
    await expect(notifier.send(template('Order 43'), { idempotencyKey: 'k1' })).rejects.toMatchObject({
      code: 'idempotency_conflict',
    });
    expect(await jobs()).toBe(1);
  });

  it('names one message per account: the same key on two accounts is two messages', async () => {
    const notifier = notifierFor();
    const a = await notifier.send(template(), { idempotencyKey: 'shared' });
    const b = await notifier.send({ ...template(), account: OTHER }, { idempotencyKey: 'shared' });
    expect(a.id).not.toBe(b.id);
    expect(await jobs()).toBe(2);
  });

  it('sent by many clients at once makes one job', async () => {
    const notifier = notifierFor();
    const records = await Promise.all(
      Array.from({ length: 20 }, () => notifier.send(template(), { idempotencyKey: 'burst' })),
    );
    expect(new Set(records.map((r) => r.id)).size).toBe(1);
    expect(await jobs()).toBe(1);
  });

  it('re-queues a message whose record was made but whose job was lost (a crash between the two)', async () => {
    const notifier = notifierFor();
    const first = await notifier.send(template(), { idempotencyKey: 'crash' });
    await queue.obliterate({ force: true });
    const again = await notifier.send(template(), { idempotencyKey: 'crash' });
    expect(again).toMatchObject({ id: first.id, status: 'queued' });
    expect(await jobs()).toBe(1);
  });
});

describe('records and reports', () => {
  it('find a template send by its msgid, or by the user when WeChat reports MsgID 0', async () => {
    const notifier = notifierFor();
    const record = await notifier.send(template());
    await notifier.records.sent({ ...record, templateId: 'TPL_SHIPPED' }, '200228332');
    expect(await notifier.records.findByReport(APP, '200228332', 'nobody', '')).toBe(record.id);
    expect(await notifier.records.findByReport(APP, '0', 'oUser1', '')).toBe(record.id);
    expect(await notifier.records.findByReport(APP, '0', 'oUser2', '')).toBeUndefined();
    expect(await notifier.records.findByReport(OTHER, '200228332', 'oUser1', 'TPL_SHIPPED')).toBeUndefined();
    expect(await notifier.records.advance(record.id, 'failed', { reason: 'failed:user block' })).toBe('failed');
    expect(await notifier.get(record.id)).toMatchObject({ status: 'failed', reason: 'failed:user block' });
    expect(await notifier.records.advance('ntf_missing', 'sent')).toBeUndefined();
  });

  it('a subscribe send is found by the user and its template', async () => {
    const notifier = notifierFor();
    const record = await notifier.send({ to: 'oUser1', subscribe: { id: 'SUB1', data: { thing1: { value: 'x' } } } });
    expect(record.kind).toBe('subscribe');
    await notifier.records.sent({ ...record, templateId: 'SUB1' }, undefined);
    expect(await notifier.get(record.id)).toMatchObject({ status: 'sent' });
    expect(await notifier.records.findByReport(APP, '0', 'oUser1', 'SUB1')).toBe(record.id);
    expect(await notifier.records.findByReport(APP, '0', 'oUser1', 'SUB2')).toBeUndefined();
  });

  it('a record that is not a wxq record reads as none', async () => {
    const notifier = notifierFor();
    await redis.hset(createKeys(prefix).notification('ntf_x'), 'status', 'queued', 'kind', 'fax');
    expect(await notifier.get('ntf_x')).toBeUndefined();
    expect(await notifier.get('ntf_absent')).toBeUndefined();
  });
});

describe('consent', () => {
  it('a popup push applies once however often its job runs; a send takes a credit; a reject clears them', async () => {
    const consent = createConsentLedger(redis, createKeys(prefix));
    const accept = [{ templateId: 'SUB1', accepted: true }];
    expect(await consent.apply(APP, 'oUser1', 'in-1', accept, 10_000)).toBe(true);
    expect(await consent.apply(APP, 'oUser1', 'in-1', accept, 10_000)).toBe(false);
    expect(await consent.apply(APP, 'oUser1', 'in-2', accept, 10_000)).toBe(true);
    expect(await consent.credits(APP, 'oUser1')).toEqual({ SUB1: 2 });
    expect(await consent.take(APP, 'oUser1', 'SUB1')).toBe(true);
    await consent.giveBack(APP, 'oUser1', 'SUB1');
    expect(await consent.credits(APP, 'oUser1')).toEqual({ SUB1: 2 });
    await consent.reject(APP, 'oUser1', ['SUB1']);
    expect(await consent.take(APP, 'oUser1', 'SUB1')).toBe(false);
    expect(await consent.apply(APP, 'oUser1', 'in-3', [], 10_000)).toBe(false);
  });

  it('two workers taking the last credit at once: one gets it', async () => {
    const consent = createConsentLedger(redis, createKeys(prefix));
    await consent.accept(APP, 'oUser1', ['SUB1']);
    const taken = await Promise.all(Array.from({ length: 10 }, () => consent.take(APP, 'oUser1', 'SUB1')));
    expect(taken.filter(Boolean)).toHaveLength(1);
  });
});
