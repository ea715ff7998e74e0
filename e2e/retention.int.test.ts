// Retention (docs/capacity.md, "Retention"): once a push's job has completed, nothing wxq stored
// for it outlives DEDUP_WINDOW_SECONDS + 60 s; what stays is bounded by users, never by pushes.
// WeChat (simulated) -> gateway -> Redis -> worker -> customer-service send, with the defaults
// (ordering, the quota ledger, inline sends) and a 10 s window.
import { loadGatewayConfig, loadWorkerConfig } from '@wxq/config';
import { type RunningGateway, startGateway } from '@wxq/gateway';
import { demoHandlers } from '@wxq/handlers';
import { createLogger } from '@wxq/logging';
import { QUEUES, inboundJobId } from '@wxq/queue';
import { type RedisServer, createLogSink, startRedisServer, waitFor } from '@wxq/testing';
import { computeDedupKey } from '@wxq/wechat';
import { type WechatApiSimulator, buildPush, createMessage, sendPush, startWechatApiSimulator } from '@wxq/wechat-sim';
import { type RunningWorker, startWorker } from '@wxq/worker';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const APP_ID = 'wx7e7e7e7e7e7e7e7e';
const APP_SECRET = 'retentionsecret0123456789abcdef0';
const TOKEN = 'retentionToken42';
const PREFIX = '{retention}';
const WINDOW_SECONDS = 10;
// 5 pushes per user per round: WeChat allows a user 5 sends after their latest message
// (docs/wechat-protocol.md §7.4), so with 10 a worker that falls behind the pushes on a loaded
// machine has 5 of a user's replies refused (45047), rightly, and the round never sees 500 sends.
const USERS = Array.from({ length: 100 }, (_, i) => `oRetentionUser${String(i).padStart(4, '0')}xxxxxxxxxx`);
const env = { WXQ_QUEUE_PREFIX: PREFIX, WECHAT_APPID: APP_ID, LOG_LEVEL: 'warn' };

let server: RedisServer;
let redis: Redis;
let sim: WechatApiSimulator;
let gateway: RunningGateway;
let worker: RunningWorker;
let inbound: Queue;
let outbound: Queue;
let gatewayUrl: string;
let serial = 0;
/** Every push's inbound job id, in the order sent. */
const pushed: string[] = [];
const logs = createLogSink();

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
  sim = await startWechatApiSimulator({ accounts: [{ appId: APP_ID, appSecret: APP_SECRET }] });
  const logger = createLogger({ level: 'warn', name: 'retention-e2e' }, logs.stream);
  gateway = await startGateway(
    loadGatewayConfig({
      ...env,
      REDIS_URL: server.url,
      PORT: '0',
      HOST: '127.0.0.1',
      WECHAT_TOKEN: TOKEN,
      DEDUP_WINDOW_SECONDS: String(WINDOW_SECONDS),
      ADMIN_PASSWORD: 'retention-board-password',
      ADMIN_HOST: '127.0.0.1',
      ADMIN_PORT: '0',
    }),
    { logger },
  );
  gatewayUrl = `http://127.0.0.1:${gateway.publicPort}`;
  worker = startWorker(
    loadWorkerConfig({
      ...env,
      REDIS_URL: server.url,
      WECHAT_APPSECRET: APP_SECRET,
      WECHAT_API_BASE_URL: sim.url,
      ADMIN_PORT: '0',
    }),
    { logger, handlers: demoHandlers },
  );
  inbound = new Queue(QUEUES.inbound.name, { connection: redis, prefix: PREFIX });
  outbound = new Queue(QUEUES.outbound.name, { connection: redis, prefix: PREFIX });
}, 30_000);

afterAll(async () => {
  await worker.stop();
  await gateway.stop();
  await inbound.close();
  await outbound.close();
  await redis.quit();
  await sim.stop();
  await server.stop();
});

/** One text push from `user`, as WeChat sends it; answers its inbound job id. */
async function push(user: string): Promise<string> {
  serial += 1;
  const message = createMessage.text(`hello ${serial}`, { openid: user });
  const built = buildPush({ account: { appId: APP_ID, token: TOKEN }, mode: 'plaintext', message });
  expect(await sendPush(gatewayUrl, '/wechat', built, { simulator: sim })).toEqual({ status: 200, body: 'success' });
  const id = inboundJobId(APP_ID, computeDedupKey(message));
  pushed.push(id);
  return id;
}

/**
 * `count` pushes spread over every user, 10 at a time, then waits until every job is done. On a
 * loaded machine a send may time out and its reply job back off for a while: the wait is for the
 * queues to empty, not for a deadline on the sends (this suite is about what stays, not how fast).
 */
async function pushRound(count: number): Promise<void> {
  const sentBefore = sim.sends.length;
  for (let i = 0; i < count; i += 10) {
    await Promise.all(USERS.slice(i % USERS.length, (i % USERS.length) + 10).map(push));
  }
  await waitFor(async () => sim.sends.length >= sentBefore + count && (await idle()), {
    message: `every push job and reply job to be done (${String(count)} replies)`,
    timeoutMs: 200_000,
  }).catch(async (error: unknown) => {
    // What was left undone, so a failure in CI says where to look.
    throw new Error(`${String(error)}; ${String(sim.sends.length - sentBefore)} sent; ${await undone()}`, {
      cause: error,
    });
  });
}

async function undone(): Promise<string> {
  const states = ['active', 'waiting', 'delayed', 'prioritized', 'failed'] as const;
  const report: string[] = [];
  for (const queue of [inbound, outbound]) {
    report.push(`${queue.name}: ${JSON.stringify(await queue.getJobCounts(...states))}`);
    for (const job of await queue.getJobs([...states], 0, 20)) {
      const state = await job.getState();
      report.push(
        `  ${job.id ?? '?'} ${state} attempts=${String(job.attemptsMade)} delay=${String(job.delay)} ` +
          `reason=${job.failedReason || '-'} data=${JSON.stringify(job.data).slice(0, 300)}`,
      );
    }
  }
  const lanes = await redis.keys(`${PREFIX}*lane*`);
  report.push(`lanes: ${String(lanes.length)}`);
  for (const lane of lanes.slice(0, 20)) {
    const type = await redis.type(lane);
    if (type === 'zset') report.push(`  ${lane}: ${JSON.stringify(await redis.zrange(lane, 0, -1, 'WITHSCORES'))}`);
  }
  return `${report.join('\n')}\nlogs:\n${logs.text().slice(-4000)}`;
}

async function idle(): Promise<boolean> {
  const states = ['active', 'waiting', 'delayed', 'prioritized'] as const;
  const counts = await Promise.all([inbound.getJobCounts(...states), outbound.getJobCounts(...states)]);
  return counts.every((byState) => Object.values(byState).every((n) => n === 0));
}

/**
 * After the window and 20 s more, one push (a completion is when BullMQ removes old jobs): the keys
 * then held, but that push's own.
 */
async function keysAfterTheWindow(): Promise<string[]> {
  await new Promise((resolve) => setTimeout(resolve, (WINDOW_SECONDS + 20) * 1000));
  const sentBefore = sim.sends.length;
  const lastId = await push(USERS[0] as string);
  await waitFor(async () => sim.sends.length > sentBefore && (await idle()), {
    message: 'the last push to be done',
    timeoutMs: 60_000,
  });
  const keys = await redis.keys(`${PREFIX}*`);
  // A queue's stalled-check key is BullMQ's lock on its stalled-jobs sweep: one per queue, there
  // for stalledInterval after each sweep, so present or not by timing (a CI run saw it differ).
  return keys.filter((key) => !key.includes(digestOf(lastId)) && !key.endsWith(':stalled-check')).sort();
}

/** A push's digest: its job id, its replies' ids, its progress and its markers all carry it. */
function digestOf(inboundId: string): string {
  return inboundId.slice('in-'.length);
}

/** Keys that name a push sent before the last one. */
function keysOfEarlierPushes(keys: readonly string[]): string[] {
  const digests = new Set(pushed.slice(0, -1).map(digestOf));
  return keys.filter((key) => [...key.matchAll(/[0-9a-f]{40}/g)].some(([digest]) => digests.has(digest)));
}

describe(`with DEDUP_WINDOW_SECONDS=${WINDOW_SECONDS}`, () => {
  it('keeps nothing per push past the window: 500 more pushes from the same 100 users add no key', async () => {
    await pushRound(500);
    const afterFirst = await keysAfterTheWindow();
    expect(keysOfEarlierPushes(afterFirst)).toEqual([]);
    // Per user: at most their quota ledger and lanes; plus the queues' own keys.
    expect(afterFirst.length).toBeLessThanOrEqual(USERS.length * 2 + 30);

    await pushRound(500);
    const afterSecond = await keysAfterTheWindow();
    expect(keysOfEarlierPushes(afterSecond)).toEqual([]);
    expect(afterSecond).toEqual(afterFirst);
    expect(logs.text()).not.toMatch(/"level":(50|60)/);
  }, 600_000);
});
