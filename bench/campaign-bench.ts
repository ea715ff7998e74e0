// What accepting a campaign costs (docs/notifications.md, "Campaigns"): a 100,000-recipient
// POST /api/v1/campaigns against the API in this process, timed from the first byte sent to the
// 202, and Redis's used_memory before and after, per recipient. Then the feeder hands 2,000 of
// them to the notify queue (no worker takes them) to state what a fed recipient holds.
import { randomUUID } from 'node:crypto';
import { loadNotifyApiConfig } from '@wxq/config';
import { startApi } from '@wxq/api';
import { createLogger } from '@wxq/logging';
import { createCampaignFeeder, createNotificationRecords } from '@wxq/notify';
import { createProducer } from '@wxq/queue';
import { createKeys } from '@wxq/redis';
import { Redis } from 'ioredis';
import { BENCH_ACCOUNT } from './push-fixture.js';

export interface CampaignBenchOptions {
  readonly redisUrl: string;
  readonly rounds: number;
  readonly recipients: number;
}

export interface CampaignRound {
  readonly acceptMs: number;
  readonly bodyBytes: number;
  /** used_memory added by the accepted campaign, per recipient. */
  readonly acceptedBytesPerRecipient: number;
  /** used_memory added per recipient the feeder handed to the notify queue (its record and job). */
  readonly fedBytesPerRecipient: number;
}

const FED = 2_000;

export async function runCampaignBench(options: CampaignBenchOptions): Promise<CampaignRound[]> {
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const token = randomUUID();
  const rounds: CampaignRound[] = [];
  try {
    for (let round = 0; round < options.rounds; round += 1) {
      const prefix = `{campaign-bench-${String(round)}}`;
      const config = loadNotifyApiConfig({
        WECHAT_APPID: BENCH_ACCOUNT.appId,
        REDIS_URL: options.redisUrl,
        WXQ_QUEUE_PREFIX: prefix,
        API_HOST: '127.0.0.1',
        API_PORT: '0',
        WXQ_API_TOKENS: token,
      });
      const api = await startApi(config, { logger: createLogger({ level: 'warn', name: 'campaign-bench' }) });
      try {
        const body = JSON.stringify({
          template: { id: 'demo_template', data: { thing1: { value: 'Weekly digest' } } },
          recipients: Array.from({ length: options.recipients }, (_, i) => `oBench${String(i).padStart(22, '0')}`),
        });
        const before = await usedMemory(redis);
        const started = performance.now();
        const answer = await fetch(`http://127.0.0.1:${String(api.port)}/api/v1/campaigns`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body,
        });
        const acceptMs = performance.now() - started;
        const accepted = (await answer.json()) as { id?: string; total?: number };
        if (answer.status !== 202 || accepted.total !== options.recipients)
          throw new Error(`the campaign was not accepted: ${String(answer.status)} ${JSON.stringify(accepted)}`);
        const afterAccept = await usedMemory(redis);
        const keys = createKeys(prefix);
        const producer = createProducer('notify', { connection: redis, prefix, settings: {} });
        const batches = createProducer('notifyBatch', { connection: redis, prefix, settings: {} });
        const feeder = createCampaignFeeder({
          redis,
          keys,
          records: createNotificationRecords(redis, keys),
          producer,
          batches,
          rateOf: () => FED / 2,
          onError: (err) => {
            throw err;
          },
        });
        let fed = 0;
        while (fed < FED) {
          const n = await feeder.feed();
          if (n === 0) break;
          fed += n;
        }
        const afterFeed = await usedMemory(redis);
        await producer.queue.obliterate({ force: true });
        await producer.close();
        await batches.queue.obliterate({ force: true });
        await batches.close();
        rounds.push({
          acceptMs: Math.round(acceptMs),
          bodyBytes: Buffer.byteLength(body),
          acceptedBytesPerRecipient: Math.round((afterAccept - before) / options.recipients),
          fedBytesPerRecipient: Math.round((afterFeed - afterAccept) / fed),
        });
      } finally {
        await api.stop();
        const left = await redis.keys(`${prefix}*`);
        if (left.length > 0) await redis.del(...left);
      }
    }
  } finally {
    await redis.quit();
  }
  return rounds;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}
