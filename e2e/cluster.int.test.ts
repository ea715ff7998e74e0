// The whole flow on Redis Cluster: WeChat (simulated) -> gateway -> inbound queue -> worker ->
// outbound queue -> customer-service send, with every queue and the token store on a 3-master
// cluster of local redis-server processes. Both apps run in this process, started as main.ts
// would start them; only the Redis target differs (REDIS_CLUSTER_NODES).
import { randomUUID } from 'node:crypto';
import { loadGatewayConfig, loadWorkerConfig } from '@wxq/config';
import { type RunningGateway, startGateway } from '@wxq/gateway';
import { createLogger } from '@wxq/logging';
import { QUEUES, inboundJobId } from '@wxq/queue';
import { type RedisClient, createKeys, createRedis } from '@wxq/redis';
import { type RedisCluster, startRedisCluster } from '@wxq/redis-server';
import { LOG_LEVELS, type LogRecord, createLogSink, parsePrometheusText, sampleValue, waitFor } from '@wxq/testing';
import { type PushMode, computeDedupKey } from '@wxq/wechat';
import {
  type Push,
  type WechatApiSimulator,
  buildPush,
  createMessage,
  sendPush,
  startWechatApiSimulator,
} from '@wxq/wechat-sim';
import { demoHandlers } from '@wxq/handlers';
import { type RunningWorker, startWorker } from '@wxq/worker';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const APP_ID = 'wx5a1b2c3d4e5f6a7b';
const APP_SECRET = 'clustersecret0123456789abcdef012';
const TOKEN = 'clusterTestToken42';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const ACCOUNT = { appId: APP_ID, token: TOKEN, encodingAESKey: AES_KEY };
const MODES: readonly PushMode[] = ['plaintext', 'compatible', 'safe'];

let cluster: RedisCluster;
let sim: WechatApiSimulator;
let gateway: RunningGateway;
let worker: RunningWorker;
/** The test's own view of the cluster, to look at queues and keys from outside both apps. */
let redis: RedisClient;
let inbound: Queue;
let outbound: Queue;
let gatewayUrl: string;
/** Where the log stood once both apps were up (start-up warns, as /readyz's first 503s, come before it). */
let logsWhenReady: number;
const prefix = `{test-${randomUUID()}}`;
const logs = createLogSink();
const cleanups: (() => Promise<void>)[] = [];

/** Log lines from `from` on. */
function logEntries(from = 0): LogRecord[] {
  return logs.lines().slice(from);
}

/** Warnings and errors from `from` on. */
function troubleSince(from: number): LogRecord[] {
  return logEntries(from).filter((entry) => Number(entry['level']) >= LOG_LEVELS.warn);
}

function tokenFetches(): number {
  return sim.calls.filter((c) => c.path === '/cgi-bin/stable_token' || c.path === '/cgi-bin/token').length;
}

function textReply(message: { FromUserName: string; Content: string }): unknown {
  return { touser: message.FromUserName, msgtype: 'text', text: { content: message.Content } };
}

function readyz(): Promise<number> {
  return fetch(`${gatewayUrl}/readyz`).then((res) => res.status);
}

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  cleanups.push(() => cluster.stop());
  sim = await startWechatApiSimulator({ accounts: [{ appId: APP_ID, appSecret: APP_SECRET }] });
  cleanups.push(() => sim.stop());

  const env = {
    REDIS_CLUSTER_NODES: cluster.nodes.join(','),
    WXQ_QUEUE_PREFIX: prefix,
    WECHAT_APPID: APP_ID,
    LOG_LEVEL: 'info',
  };
  const logger = createLogger({ level: 'info', name: 'cluster-e2e' }, logs.stream);
  const gatewayConfig = loadGatewayConfig({
    ...env,
    PORT: '0',
    HOST: '127.0.0.1',
    WECHAT_TOKEN: TOKEN,
    WECHAT_ENCODING_AES_KEY: AES_KEY,
    // Pushes are built just before they are sent; the replay window is not what this test is about.
    TIMESTAMP_SKEW_SECONDS: '0',
  });
  expect(gatewayConfig.redis).toEqual({ mode: 'cluster', nodes: cluster.nodes });
  gateway = await startGateway(gatewayConfig, { logger });
  cleanups.push(() => gateway.stop());
  gatewayUrl = `http://127.0.0.1:${gateway.publicPort}`;
  const workerConfig = loadWorkerConfig({
    ...env,
    WECHAT_APPSECRET: APP_SECRET,
    WECHAT_API_BASE_URL: sim.url,
    // Far above what the test sends; on only so its counter (MULTI on one key) runs on the cluster.
    SEND_RATE_LIMIT_PER_SECOND: '1000',
  });
  worker = startWorker(workerConfig, { logger, handlers: demoHandlers });
  cleanups.push(() => worker.stop());

  redis = createRedis({ mode: 'cluster', nodes: cluster.nodes }, 'worker', 'wxq-test');
  redis.on('error', () => undefined); // a failure shows up as a failed command in the test
  cleanups.push(async () => {
    await redis.quit();
  });
  inbound = new Queue(QUEUES.inbound.name, { connection: redis, prefix });
  outbound = new Queue(QUEUES.outbound.name, { connection: redis, prefix });
  cleanups.push(
    () => inbound.close(),
    () => outbound.close(),
  );

  // The gateway answers 503 until its queue has reached the cluster once.
  await waitFor(async () => (await readyz()) === 200, {
    message: 'the gateway to be ready on the cluster',
    timeoutMs: 10_000,
  });
  logsWhenReady = logs.lines().length;
});

afterAll(async () => {
  // Idempotent stops, in reverse order of start; one failure does not skip the rest.
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      console.error('cluster e2e cleanup failed', error);
    }
  }
});

describe('gateway and worker on a 3-master Redis Cluster', () => {
  it('answers pushes in all three modes, one job per push, and the echo replies reach WeChat', async () => {
    const messages = MODES.map((mode) => ({ mode, message: createMessage.text(`hello ${mode} 你好 on a cluster`) }));
    const pushes = messages.map(({ mode, message }): Push => buildPush({ account: ACCOUNT, mode, message }));
    for (const push of pushes) {
      expect(await sendPush(gatewayUrl, '/wechat', push)).toEqual({ status: 200, body: 'success' });
    }
    // WeChat's retry of the first push: the same request again. Acked, never a second job.
    const [firstPush] = pushes;
    if (firstPush === undefined) throw new Error('no pushes');
    expect(await sendPush(gatewayUrl, '/wechat', firstPush)).toEqual({ status: 200, body: 'success' });

    const sends = await sim.waitForSends(messages.length, 15_000);
    // The replies went out from the pushes' own jobs (inline): no reply job was needed.
    await waitFor(async () => (await inbound.getJobCounts('completed')).completed === messages.length, {
      message: 'every push job completed',
      timeoutMs: 10_000,
    });
    expect(sends.map((s) => ({ appId: s.appId, message: s.message })).sort(byContent)).toEqual(
      messages.map(({ message }) => ({ appId: APP_ID, message: textReply(message) })).sort(byContent),
    );

    // Exactly one inbound job per distinct push, under the id the dedup key gives it, in every mode.
    const counts = await inbound.getJobCounts();
    expect(Object.values(counts).reduce((sum, n) => sum + n, 0)).toBe(messages.length);
    for (const { mode, message } of messages) {
      const job = await inbound.getJob(inboundJobId(APP_ID, computeDedupKey(message)));
      expect(job?.data, mode).toMatchObject({ appId: APP_ID, mode });
      expect(await job?.getState(), mode).toBe('completed');
    }
    expect(sim.sends).toHaveLength(messages.length);

    // One access_token fetch, cached in the cluster; the refresh lock (same slot, Lua) was released.
    expect(tokenFetches()).toBe(1);
    const keys = { token: createKeys(prefix).accessToken(APP_ID), lock: createKeys(prefix).tokenLock(APP_ID) };
    expect(await redis.get(keys.token)).toMatch(/\S/);
    expect(await redis.ttl(keys.token)).toBeGreaterThan(0);
    expect(await redis.exists(keys.lock)).toBe(0);

    // The duplicate was seen as one: the EXISTS pipelined beside the add found the job.
    expect(logEntries(logsWhenReady).flatMap((e) => (e['msg'] === 'push answered' ? [e['outcome']] : []))).toEqual([
      'accepted',
      'accepted',
      'accepted',
      'duplicate',
    ]);
    expect(await readyz()).toBe(200);
    // No CROSSSLOT, CLUSTERDOWN or other Redis trouble at any point.
    expect(logEntries().filter((entry) => Number(entry['level']) >= LOG_LEVELS.error)).toEqual([]);
    expect(troubleSince(logsWhenReady)).toEqual([]);
    expect(logs.text()).not.toMatch(/CROSSSLOT|CLUSTERDOWN|TRYAGAIN|MOVED/);
  });

  it('replaces an access_token WeChat revoked, once, and still delivers the reply', async () => {
    const keys = { token: createKeys(prefix).accessToken(APP_ID), lock: createKeys(prefix).tokenLock(APP_ID) };
    const revoked = await redis.get(keys.token);
    const sentBefore = sim.sends.length;
    const logsBefore = logs.lines().length;
    sim.invalidateTokens(APP_ID);
    const message = createMessage.text('after the token was revoked');
    expect(await sendPush(gatewayUrl, '/wechat', buildPush({ account: ACCOUNT, mode: 'safe', message }))).toEqual({
      status: 200,
      body: 'success',
    });
    const sends = await sim.waitForSends(sentBefore + 1, 15_000);
    await waitFor(async () => (await inbound.getJobCounts('completed')).completed === sentBefore + 1, {
      message: 'the push job completed',
      timeoutMs: 10_000,
    });
    expect(sends.at(-1)?.message).toEqual(textReply(message));
    expect(sim.sends).toHaveLength(sentBefore + 1);
    // 40001 -> compare-and-delete of the cached token (Lua) -> one fetch -> cached under the lock (Lua, 2 keys).
    expect(tokenFetches()).toBe(2);
    const replacement = await redis.get(keys.token);
    expect(replacement).toMatch(/\S/);
    expect(replacement).not.toBe(revoked);
    expect(await redis.exists(keys.lock)).toBe(0);
    expect(troubleSince(logsBefore).map((entry) => entry['msg'])).toEqual([
      'access_token refused: invalidating it and retrying once',
    ]);
    expect(logs.text()).not.toMatch(/CROSSSLOT|CLUSTERDOWN|TRYAGAIN|MOVED/);
  });

  it("reads the worker's metrics from the cluster: job counts, lag, the token's TTL", async () => {
    await worker.metrics.refresh(2_000);
    const samples = parsePrometheusText(await worker.metrics.registry.metrics());
    expect(sampleValue(samples, 'wxq_worker_redis_up')).toBe(1);
    expect(sampleValue(samples, 'wxq_queue_jobs', { queue: 'inbound', state: 'completed' })).toBe(MODES.length + 1);
    // Every reply went out inline, from its push's job.
    expect(sampleValue(samples, 'wxq_queue_jobs', { queue: 'outbound', state: 'completed' })).toBe(0);
    expect(sampleValue(samples, 'wxq_queue_oldest_waiting_seconds', { queue: 'inbound' })).toBe(0);
    expect(sampleValue(samples, 'wxq_worker_token_ttl_seconds', { account: APP_ID })).toBeGreaterThan(0);
    expect(sampleValue(samples, 'wxq_worker_sends_total', { account: APP_ID, result: 'ok' })).toBe(MODES.length + 1);
  });

  it('stops cleanly: gateway, then worker, each step logged, nothing failing', async () => {
    const logsBefore = logs.lines().length;
    await gateway.stop();
    await worker.stop();
    await gateway.stop(); // idempotent
    await worker.stop();
    const messages = logEntries(logsBefore).map((entry) => entry['msg']);
    expect(messages).toEqual(
      expect.arrayContaining([
        'queue closed',
        'redis closed',
        'inbound worker closed',
        'outbound worker closed',
        'queues closed',
      ]),
    );
    expect(messages.filter((msg) => msg === 'redis closed')).toHaveLength(2);
    expect(troubleSince(logsBefore)).toEqual([]);
    await expect(readyz()).rejects.toThrow();
  });
});

function byContent(a: { message: unknown }, b: { message: unknown }): number {
  return JSON.stringify(a.message).localeCompare(JSON.stringify(b.message));
}
