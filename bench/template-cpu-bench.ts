// What a template send costs the worker (docs/notifications.md): the wxq worker process (built,
// as deployed) drains a campaign of template messages to the WeChat API simulator, and the
// template-send baseline (targets/template-send-worker.ts: BullMQ's worker and one POST per job)
// drains as many, in the same round; CPU from /proc of each process (cpu.ts).
import { randomUUID } from 'node:crypto';
import { startWechatApiSimulator } from '@wxq/wechat-sim';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BENCH_TEMPLATE, benchOpenIds, startCampaignApi } from './campaign-api.js';
import { measureCpu } from './cpu.js';
import { addInBatches, until } from './e2e-bench.js';
import { BENCH_ACCOUNT } from './push-fixture.js';
import { startTarget } from './run-target.js';
import type { TemplateJob } from './targets/template-send-worker.js';

export interface TemplateCpuOptions {
  readonly redisUrl: string;
  /** Template messages each drains. */
  readonly sends: number;
  /** Where the workers run (see pinning.ts); undefined: not pinned. */
  readonly targetCore: number | undefined;
  /**
   * The baseline's drain first: rounds alternate the order, so that what drifts within a round
   * (the machine warming, other tenants) weighs on each side alike.
   */
  readonly baselineFirst?: boolean;
}

/** One process's drain: its CPU time per send, and its pace. */
export interface TemplateDrain {
  readonly cpuMsPerSend: number;
  readonly sendsPerSecond: number;
}

const APP_SECRET = 'benchsecret0123456789abcdef01234';
/** Sends before each measured drain: connections open, scripts load, the access_token is fetched. */
const WARM_UP_SENDS = 50;
/** wxq's NOTIFY_CONCURRENCY default: the baseline takes as many jobs at once as the notify queue does. */
const NOTIFY_CONCURRENCY = '10';
const DRAIN_TIMEOUT_MS = 300_000;

/**
 * One round: the wxq worker and the baseline (in the order asked), each a fresh process on its own queue prefix, the
 * same simulator (without a callback: no delivery reports, so the wxq figure is the send alone, as
 * the baseline's is). Both drain as fast as they can: the worker with WXQ_TEMPLATE_RATE=0, so
 * that neither pays for waiting (a rate-limited job is delayed and taken again).
 */
export async function measureTemplateCpu(
  options: TemplateCpuOptions,
): Promise<{ wxq: TemplateDrain; baseline: TemplateDrain }> {
  const sim = await startWechatApiSimulator({ accounts: [{ appId: BENCH_ACCOUNT.appId, appSecret: APP_SECRET }] });
  const env = {
    REDIS_URL: options.redisUrl,
    WECHAT_APPID: BENCH_ACCOUNT.appId,
    WECHAT_APPSECRET: APP_SECRET,
    WECHAT_API_BASE_URL: sim.url,
  };
  const sent = (count: number) => until(() => Promise.resolve(sim.templateSends.length >= count), DRAIN_TIMEOUT_MS);
  try {
    const drainWxq = () =>
      withPrefix(options.redisUrl, async (prefix) => {
        const api = await startCampaignApi(options.redisUrl, prefix);
        const worker = await startTarget(
          'bench/targets/worker.ts',
          { ...env, WXQ_QUEUE_PREFIX: prefix, WXQ_TEMPLATE_RATE: '0' },
          { core: options.targetCore },
        );
        try {
          const tag = prefix.slice(7, 13);
          await api.create(benchOpenIds(`W${tag}`, WARM_UP_SENDS));
          await sent(WARM_UP_SENDS);
          const base = sim.templateSends.length;
          const drain = await measureCpu([worker.pid], async () => {
            const started = performance.now();
            await api.create(benchOpenIds(`C${tag}`, options.sends));
            await sent(base + options.sends);
            return (performance.now() - started) / 1000;
          });
          return figures(options.sends, drain);
        } finally {
          await worker.stop();
          await api.stop();
        }
      });
    const drainBaseline = () =>
      withPrefix(options.redisUrl, async (prefix) => {
        const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
        const queue = new Queue('template-send', { connection: redis, prefix });
        const worker = await startTarget(
          'bench/targets/template-send-worker.ts',
          { ...env, WXQ_QUEUE_PREFIX: prefix, WORKER_CONCURRENCY: NOTIFY_CONCURRENCY },
          { core: options.targetCore },
        );
        const job = (i: number) => {
          const data: TemplateJob = {
            touser: `oBaseline${String(i).padStart(19, '0')}`,
            template_id: BENCH_TEMPLATE.id,
            data: BENCH_TEMPLATE.data,
            client_msg_id: `${prefix}-${String(i)}`,
          };
          return { name: 'template', data, opts: { jobId: `t-${String(i)}`, removeOnComplete: { age: 600 } } };
        };
        try {
          const warmUp = sim.templateSends.length + WARM_UP_SENDS;
          await addInBatches(queue, WARM_UP_SENDS, (i) => job(-1 - i));
          await sent(warmUp);
          // Paused while the backlog is added: the clock covers the drain alone.
          await queue.pause();
          await addInBatches(queue, options.sends, job);
          const drain = await measureCpu([worker.pid], async () => {
            const started = performance.now();
            await queue.resume();
            await sent(warmUp + options.sends);
            return (performance.now() - started) / 1000;
          });
          return figures(options.sends, drain);
        } finally {
          await worker.stop();
          await queue.close();
          await redis.quit();
        }
      });
    if (options.baselineFirst === true) {
      const baseline = await drainBaseline();
      return { wxq: await drainWxq(), baseline };
    }
    const wxq = await drainWxq();
    return { wxq, baseline: await drainBaseline() };
  } finally {
    await sim.stop();
  }
}

/** Runs `work` on a fresh queue prefix, then deletes every key under it. */
async function withPrefix<T>(redisUrl: string, work: (prefix: string) => Promise<T>): Promise<T> {
  const prefix = `{bench-${randomUUID().slice(0, 8)}}`;
  try {
    return await work(prefix);
  } finally {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const left = await redis.keys(`${prefix}*`);
    if (left.length > 0) await redis.del(...left);
    await redis.quit();
  }
}

function figures(sends: number, drain: { result: number; cpuMs: number }): TemplateDrain {
  return {
    cpuMsPerSend: Math.round((drain.cpuMs / sends) * 1000) / 1000,
    sendsPerSecond: Math.round(sends / drain.result),
  };
}
