// Queue shards on a 3-master Redis Cluster (docs/shards.md): WXQ_QUEUE_SHARDS=3 with the default
// prefix, whose three shards hash to slots on three different masters. WeChat (simulated) ->
// gateway -> each user's shard -> worker -> customer-service send, both apps in this process as
// main.ts starts them. The nodes keep an fsync-always AOF, so a master killed and started again
// comes back with every write it acknowledged.
import { PassThrough } from 'node:stream';
import { loadGatewayConfig, loadWorkerConfig } from '@wxq/config';
import { type RunningGateway, startGateway } from '@wxq/gateway';
import { demoHandlers } from '@wxq/handlers';
import { createLogger } from '@wxq/logging';
import { type StatusReport, runOps } from '@wxq/ops';
import { QUEUES, inboundJobId } from '@wxq/queue';
import { createQueueShards, createRedis } from '@wxq/redis';
import { type RedisCluster, startRedisCluster } from '@wxq/redis-server';
import { LOG_LEVELS, createLogSink, parsePrometheusText, sampleValue, waitFor } from '@wxq/testing';
import { type TextMessage, computeDedupKey } from '@wxq/wechat';
import { type WechatApiSimulator, buildPush, createMessage, sendPush, startWechatApiSimulator } from '@wxq/wechat-sim';
import { type RunningWorker, startWorker } from '@wxq/worker';
import { Queue } from 'bullmq';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const APP_ID = 'wx5a1b2c3d4e5f6a7b';
const APP_SECRET = 'shardsecret0123456789abcdef01234';
const TOKEN = 'shardTestToken42';
const ACCOUNT = { appId: APP_ID, token: TOKEN };
// The default prefix: its shards' slots are a wire contract, and on a 3-master cluster they fall
// on three masters (the first test checks that rather than assuming it).
const PREFIX = '{wxq}';
const SHARDS = 3;
const BOARD_PASSWORD = 'shards-board-password';
const shards = createQueueShards(PREFIX, SHARDS);

let cluster: RedisCluster;
let sim: WechatApiSimulator;
let gateway: RunningGateway;
let worker: RunningWorker | undefined;
let redis: Cluster;
let gatewayUrl: string;
/** Each shard's inbound queue, seen from outside both apps. */
let inbound: Queue[];
const logs = createLogSink();
const logger = createLogger({ level: 'info', name: 'shards-e2e' }, logs.stream);
const env = {
  WXQ_QUEUE_PREFIX: PREFIX,
  WXQ_QUEUE_SHARDS: String(SHARDS),
  WECHAT_APPID: APP_ID,
  LOG_LEVEL: 'info',
};
let userSerial = 0;

function newUser(): string {
  userSerial += 1;
  return `oShardUser${String(userSerial).padStart(6, '0')}xxxxxxxx`;
}

/** `perShard` new users of each shard (the mapping is a hash: draw users until each shard has them). */
function usersOnEveryShard(perShard: number): string[] {
  const byShard = shards.all.map((): string[] => []);
  while (byShard.some((users) => users.length < perShard)) {
    const user = newUser();
    const users = byShard[shards.indexOf(APP_ID, user)];
    if (users !== undefined && users.length < perShard) users.push(user);
  }
  return byShard.flat();
}

function workerEnv(): Record<string, string> {
  return {
    ...env,
    REDIS_CLUSTER_NODES: cluster.nodes.join(','),
    WECHAT_APPSECRET: APP_SECRET,
    WECHAT_API_BASE_URL: sim.url,
  };
}

function startTheWorker(): RunningWorker {
  return startWorker(loadWorkerConfig(workerEnv()), { logger, handlers: demoHandlers });
}

/** `npm run ops -- <args>` in this process, with the worker's environment. */
async function ops(args: readonly string[]): Promise<{ code: number; stdout: string }> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const io = {
    env: workerEnv(),
    stdout,
    stderr: new PassThrough(),
    stdin: new PassThrough(),
    stdinIsTTY: false,
    stderrIsTTY: false,
  };
  const code = await runOps(args, io);
  return { code, stdout: Buffer.concat(chunks).toString('utf8') };
}

async function push(message: TextMessage): Promise<{ status: number; body: string }> {
  return sendPush(gatewayUrl, '/wechat', buildPush({ account: ACCOUNT, mode: 'plaintext', message }));
}

/** What the simulator has sent each user, in the order it accepted the sends. */
function sentByUser(): Map<string, string[]> {
  const byUser = new Map<string, string[]>();
  for (const { message } of sim.sends) {
    const { text } = message;
    if (typeof text !== 'object' || text === null || !('content' in text) || typeof text.content !== 'string') continue;
    const replies = byUser.get(message.touser) ?? [];
    replies.push(text.content);
    byUser.set(message.touser, replies);
  }
  return byUser;
}

function sentContents(): string[] {
  return [...sentByUser().values()].flat();
}

/** The port of the master serving `slot`, from CLUSTER SLOTS. */
async function masterOfSlot(slot: number): Promise<number> {
  const ranges = await redis.cluster('SLOTS');
  const port = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2]?.[1];
  if (port === undefined) throw new Error(`no master serves slot ${slot}`);
  return port;
}

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, appendOnly: true });
  sim = await startWechatApiSimulator({ accounts: [{ appId: APP_ID, appSecret: APP_SECRET }] });
  const gatewayConfig = loadGatewayConfig({
    ...env,
    REDIS_CLUSTER_NODES: cluster.nodes.join(','),
    PORT: '0',
    HOST: '127.0.0.1',
    WECHAT_TOKEN: TOKEN,
    TIMESTAMP_SKEW_SECONDS: '0',
    ADMIN_PASSWORD: BOARD_PASSWORD,
    ADMIN_HOST: '127.0.0.1',
    ADMIN_PORT: '0',
  });
  expect(gatewayConfig.queueShards).toBe(SHARDS);
  gateway = await startGateway(gatewayConfig, { logger });
  gatewayUrl = `http://127.0.0.1:${gateway.publicPort}`;
  worker = startTheWorker();
  redis = createRedis({ mode: 'cluster', nodes: cluster.nodes }, 'worker', 'wxq-test') as Cluster;
  redis.on('error', () => undefined); // a failure shows up as a failed command in the test
  inbound = shards.all.map((shard) => new Queue(QUEUES.inbound.name, { connection: redis, prefix: shard.prefix }));
  await waitFor(async () => (await fetch(`${gatewayUrl}/readyz`)).status === 200, {
    message: 'the gateway to be ready on every shard',
    timeoutMs: 10_000,
  });
}, 60_000);

afterAll(async () => {
  for (const stop of [
    () => gateway.stop(),
    () => worker?.stop(),
    () => Promise.all(inbound.map((queue) => queue.close())),
    () => redis.quit(),
    () => sim.stop(),
    () => cluster.stop(),
  ]) {
    try {
      await stop();
    } catch (error) {
      console.error('shards e2e cleanup failed', error);
    }
  }
});

describe('WXQ_QUEUE_SHARDS=3 on a 3-master Redis Cluster', () => {
  it('puts each shard on its own master, and every master holds its shard keys', async () => {
    const ports = await Promise.all(shards.all.map((shard) => masterOfSlot(shard.slot)));
    console.info(`shard slots: ${shards.all.map((s) => `${s.prefix}@${s.slot} on :${ports[s.index]}`).join(', ')}`);
    expect(new Set(ports).size).toBe(3);

    const users = usersOnEveryShard(4);
    const sentBefore = sim.sends.length;
    for (const user of users) {
      expect(await push(createMessage.text(`hello from ${user}`, { openid: user }))).toEqual({
        status: 200,
        body: 'success',
      });
    }
    await sim.waitForSends(sentBefore + users.length, 15_000);

    // Each master, asked directly, holds keys of the shard whose slot it serves.
    for (const node of redis.nodes('master')) {
      const keys = await node.keys('{wxq*');
      const shard = shards.all.find((s) => ports[s.index] === node.options.port);
      expect(shard, `master :${node.options.port}`).toBeDefined();
      expect(keys.filter((key) => key.startsWith(`${shard?.prefix ?? ''}:`)).length).toBeGreaterThan(0);
      // A key lives where its hash tag's slot is: no other shard's key is here.
      expect(keys.every((key) => key.startsWith(`${shard?.prefix ?? ''}:`))).toBe(true);
    }
    expect(logs.text()).not.toMatch(/CROSSSLOT|CLUSTERDOWN|TRYAGAIN/);
  });

  it('makes one job of a push WeChat sends three times, in its user shard', async () => {
    const user = newUser();
    const message = createMessage.text('resent three times', { openid: user });
    const pushed = buildPush({ account: ACCOUNT, mode: 'plaintext', message });
    const sentBefore = sim.sends.length;
    for (let delivery = 0; delivery < 3; delivery += 1) {
      expect(await sendPush(gatewayUrl, '/wechat', pushed)).toEqual({ status: 200, body: 'success' });
    }
    await sim.waitForSends(sentBefore + 1, 15_000);
    const jobId = inboundJobId(APP_ID, computeDedupKey(message));
    const found = await Promise.all(inbound.map((queue) => queue.getJob(jobId)));
    expect(found.map((job) => job !== undefined)).toEqual(
      shards.all.map((s) => s.index === shards.indexOf(APP_ID, user)),
    );
    await waitFor(async () => (await found.find((job) => job !== undefined)?.getState()) === 'completed', {
      message: 'the push job completed',
      timeoutMs: 10_000,
    });
    expect(sentByUser().get(user)).toEqual(['resent three times']);
  });

  it("keeps each user's replies in the order of their pushes, on every shard", async () => {
    const users = usersOnEveryShard(2);
    // The first message's handler is slow: without the lanes the later ones would overtake it.
    const contents = (user: string) => [`#slow 400 ${user} 1`, `${user} 2`, `${user} 3`, `${user} 4`];
    const replies = (user: string) => [`${user} 1`, `${user} 2`, `${user} 3`, `${user} 4`];
    await Promise.all(
      users.map(async (user) => {
        for (const content of contents(user)) {
          expect(await push(createMessage.text(content, { openid: user }))).toEqual({ status: 200, body: 'success' });
        }
      }),
    );
    await waitFor(() => users.every((user) => (sentByUser().get(user)?.length ?? 0) >= 4), {
      message: 'four replies to each user',
      timeoutMs: 20_000,
    });
    for (const user of users) expect(sentByUser().get(user), user).toEqual(replies(user));
  });

  it('shows every shard in Bull Board, the queue gauges and `ops status`', async () => {
    const authorization = `Basic ${Buffer.from(`admin:${BOARD_PASSWORD}`).toString('base64')}`;
    const board = await fetch(`http://127.0.0.1:${gateway.adminPort ?? 0}/admin/queues/api/queues`, {
      headers: { authorization },
    });
    expect(board.status).toBe(200);
    const { queues } = (await board.json()) as { queues: { name: string; description: string }[] };
    // The notify queues are an account's: shard 0's alone.
    expect(queues.map((queue) => queue.name).sort()).toEqual(
      [
        ...shards.all.flatMap((shard) => [`s${shard.index}/inbound`, `s${shard.index}/outbound`]),
        's0/notify',
        's0/notify-batch',
      ].sort(),
    );
    for (const shard of shards.all) {
      expect(queues.find((q) => q.name === `s${shard.index}/inbound`)?.description).toContain(`slot ${shard.slot}`);
    }

    const counts = await Promise.all(inbound.map((queue) => queue.getJobCounts('completed')));
    const completed = counts.map((c) => c['completed'] ?? 0);
    // The earlier tests pushed for users of every shard.
    for (const n of completed) expect(n).toBeGreaterThan(0);
    await worker?.metrics.refresh(2_000);
    const samples = parsePrometheusText((await worker?.metrics.registry.metrics()) ?? '');
    for (const shard of shards.all) {
      expect(
        sampleValue(samples, 'wxq_queue_jobs', { queue: 'inbound', shard: String(shard.index), state: 'completed' }),
      ).toBe(completed[shard.index]);
    }

    const status = await ops(['status', '--json']);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as StatusReport;
    expect(report.queues.inbound.completed).toBe(completed.reduce((sum, n) => sum + n, 0));
  });

  it.each([
    ['SIGKILL', 1],
    ['SIGTERM', 2],
  ] as const)(
    'loses no acknowledged push when a master gets %s and starts again (AOF, fsync always)',
    async (signal, victimShard) => {
      // The worker stops first: the acknowledged jobs wait in Redis through the kill.
      await worker?.stop();
      worker = undefined;
      const victim = shards.at(victimShard);
      const victimPort = await masterOfSlot(victim.slot);
      const victimIndex = cluster.ports.indexOf(victimPort);
      const acked: { user: string; content: string; shard: number }[] = [];
      let refused = 0;
      const pushOne = async (content: string) => {
        const user = newUser();
        const answer = await push(createMessage.text(content, { openid: user })).catch(() => undefined);
        if (answer?.status === 200 && answer.body === 'success') {
          acked.push({ user, content, shard: shards.indexOf(APP_ID, user) });
        } else refused += 1;
      };
      for (let i = 0; i < 30; i += 1) await pushOne(`${signal}: before ${i}`);
      const ackedBeforeKill = acked.filter((a) => a.shard === victim.index).length;
      expect(acked).toHaveLength(30);

      // Pushes keep arriving while the master is down and coming back.
      let restarting = true;
      const started = performance.now();
      const restart = cluster.restartNode(victimIndex, signal).finally(() => {
        restarting = false;
      });
      const during = (async () => {
        for (let i = 0; restarting; i += 1) await pushOne(`${signal}: during ${i}`);
      })();
      await restart;
      const restartMs = performance.now() - started;
      await during;
      await waitFor(async () => (await fetch(`${gatewayUrl}/readyz`)).status === 200, {
        message: 'the gateway to be ready again',
        timeoutMs: 20_000,
      });
      for (let i = 0; i < 10; i += 1) await pushOne(`${signal}: after ${i}`);
      console.info(
        `${signal} and restart of :${victimPort} took ${Math.round(restartMs)} ms; acked ${acked.length} pushes ` +
          `(${ackedBeforeKill} on its shard before the kill), refused ${refused}`,
      );
      expect(ackedBeforeKill).toBeGreaterThan(0);

      worker = startTheWorker();
      await waitFor(
        () => {
          const sent = new Set(sentContents());
          return acked.every(({ content }) => sent.has(content));
        },
        { message: 'a reply to every acknowledged push', timeoutMs: 60_000 },
      );
      // Each once: nothing ran twice for having been through the restart.
      const sent = sentContents();
      for (const { content } of acked) expect(sent.filter((c) => c === content)).toHaveLength(1);
      const errors = logs.lines().filter((entry) => Number(entry['level']) >= LOG_LEVELS.error);
      expect(errors.every((entry) => String(entry['msg']).startsWith('redis unavailable'))).toBe(true);
    },
    120_000,
  );
});
