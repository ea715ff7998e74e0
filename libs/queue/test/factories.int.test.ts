import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger } from '@wxq/logging';
import { waitFor } from '@wxq/testing';
import type { InboundMessage } from '@wxq/wechat';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, expectTypeOf, inject, it } from 'vitest';
import {
  type InboundPayload,
  type OutboundPayload,
  type Processor,
  type ProcessorMap,
  createProducer,
  createQueueWorker,
  inboundJobId,
} from '../src/index.js';

const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
afterAll(async () => {
  await redis.quit();
});

function logSink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger: createLogger({ level: 'info', name: 'test' }, stream), lines };
}

const message = {
  ToUserName: 'gh_1',
  FromUserName: 'o1',
  CreateTime: '1700000000',
  MsgType: 'text',
  Content: 'hi',
  MsgId: '1',
} as unknown as InboundMessage;

function inboundPayload(dedupKey: string): InboundPayload {
  return { v: 1, appId: 'wx0123456789abcdef', mode: 'plaintext', receivedAt: Date.now(), dedupKey, message };
}

describe('createProducer', () => {
  it('adds with the catalog id and options: a second add of one push is the same job', async () => {
    const prefix = `{test-${randomUUID()}}`;
    const producer = createProducer('inbound', { connection: redis, prefix, settings: { dedupWindowSeconds: 77 } });
    try {
      const payload = inboundPayload('msg:1');
      const first = await producer.add(payload);
      const second = await producer.add(payload);
      expect(first.id).toBe(inboundJobId(payload.appId, payload.dedupKey));
      expect(second.id).toBe(first.id);
      expect(await producer.queue.count()).toBe(1);
      expect(first.opts.removeOnComplete).toEqual({ age: 77 });
      expect(await redis.exists(producer.jobKey(payload))).toBe(1);
      expect(producer.jobKey(payload)).toBe(`${prefix}:inbound:${first.id ?? ''}`);
    } finally {
      await producer.queue.obliterate({ force: true });
      await producer.close();
    }
  });
});

describe('createQueueWorker', () => {
  it('hands the processor a parsed payload and a job logger', async () => {
    const prefix = `{test-${randomUUID()}}`;
    const producer = createProducer('outbound', { connection: redis, prefix, settings: {} });
    const { logger, lines } = logSink();
    const seen: OutboundPayload[] = [];
    const processor: Processor<'outbound'> = (payload, { log }) => {
      seen.push(payload);
      log.info('processed');
      return Promise.resolve();
    };
    const worker = createQueueWorker('outbound', processor, { connection: redis, prefix, logger });
    void worker.run();
    try {
      const reply = {
        kind: 'message' as const,
        message: { touser: 'o1', msgtype: 'text' as const, text: { content: 'hi' } },
      };
      const job = await producer.add({ v: 1, appId: 'wx1', dedupKey: 'msg:1', replyIndex: 0, reply });
      await waitFor(() => seen.length === 1, { timeoutMs: 5_000, message: 'the job was processed' });
      expect(seen[0]?.reply).toEqual(reply);
      expect(lines().find((l) => l['msg'] === 'processed')).toMatchObject({ queue: 'outbound', jobId: job.id });
    } finally {
      await worker.close();
      await producer.queue.obliterate({ force: true });
      await producer.close();
    }
  });

  it('fails data that does not parse for good, without calling the processor, and logs it once', async () => {
    const prefix = `{test-${randomUUID()}}`;
    const producer = createProducer('outbound', { connection: redis, prefix, settings: {} });
    const { logger, lines } = logSink();
    let calls = 0;
    const worker = createQueueWorker(
      'outbound',
      () => {
        calls += 1;
        return Promise.resolve();
      },
      { connection: redis, prefix, logger },
    );
    void worker.run();
    try {
      // A job written by something else (an old deploy, a hand-made add): 10 attempts allowed.
      await producer.queue.add('reply', { v: 2, appId: 'wx1' } as never, { jobId: 'bad-1', attempts: 10 });
      const failed = await waitFor(async () => (await producer.queue.getFailed())[0], {
        timeoutMs: 5_000,
        message: 'the job failed',
      });
      expect(failed.failedReason).toContain('not a valid outbound payload');
      expect(failed.attemptsMade).toBe(1);
      expect(calls).toBe(0);
      const failures = lines().filter((l) => String(l['msg']).startsWith('job failed'));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ queue: 'outbound', jobId: 'bad-1', final: true });
    } finally {
      await worker.close();
      await producer.queue.obliterate({ force: true });
      await producer.close();
    }
  });

  it('a processor map must name every queue', () => {
    const noop = () => Promise.resolve();
    const every = { inbound: () => Promise.resolve({ replies: 0 }), outbound: noop, notify: noop, notifyBatch: noop };
    expectTypeOf(every).toExtend<ProcessorMap>();
    expectTypeOf({ inbound: every.inbound, outbound: noop }).not.toExtend<ProcessorMap>();
  });
});
