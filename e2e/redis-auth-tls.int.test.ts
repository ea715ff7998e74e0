// Redis with AUTH and TLS, as managed services run it: an ACL user and the default user's
// requirepass, a TLS-only server (no plaintext port) with a throwaway certificate, and a 3-master
// Cluster speaking TLS on every node and its bus. The gateway and the worker run in this process as
// main.ts starts them, from the variables an operator sets (REDIS_URL with rediss:// and
// user:password@, or REDIS_CLUSTER_NODES with REDIS_USERNAME / REDIS_PASSWORD / REDIS_TLS /
// REDIS_TLS_CA); `ops` and `doctor` read the same. No log line or message may hold the password.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadGatewayConfig, loadWorkerConfig } from '@wxq/config';
import { type RunningGateway, startGateway } from '@wxq/gateway';
import { demoHandlers } from '@wxq/handlers';
import { createLogger } from '@wxq/logging';
import { type CliIo, runDoctor, runOps } from '@wxq/ops';
import { type RedisCluster, startRedisCluster } from '@wxq/redis-server';
import {
  type LogSink,
  type RedisServer,
  type TestCertificate,
  createLogSink,
  createTestCertificate,
  startRedisServer,
  waitFor,
} from '@wxq/testing';
import { type WechatApiSimulator, buildPush, createMessage, sendPush, startWechatApiSimulator } from '@wxq/wechat-sim';
import { type RunningWorker, startWorker } from '@wxq/worker';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const APP_ID = 'wx7e1d2c3b4a596877';
const APP_SECRET = 'authtlssecret0123456789abcdef012';
const TOKEN = 'authTlsToken42';
const ACCOUNT = { appId: APP_ID, token: TOKEN };
const USER = 'wxq-app';
/** Characters a URL must escape, so the test also proves that REDIS_URL's password is decoded. */
const PASSWORD = 'pa ss/w@rd:8f3a1c';
const DEFAULT_PASSWORD = 'default-user-password-5d2e';
const WRONG_PASSWORD = 'not-the-password-77c1b0';

let dir: string;
let certificate: TestCertificate;
let plain: RedisServer;
let tls: RedisServer;
let cluster: RedisCluster;
let sim: WechatApiSimulator;
const suiteCleanups: (() => Promise<unknown>)[] = [];
/** What one test started, stopped after it (also when it fails). */
let cleanups: (() => Promise<unknown>)[] = [];

/** The ACL user the apps log in as, and a password on the default user so nothing gets in without one. */
async function requireAuth(port: number, certificateToTrust?: TestCertificate): Promise<void> {
  const admin = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    ...(certificateToTrust === undefined ? {} : { tls: { ca: certificateToTrust.ca } }),
  });
  await admin.connect();
  try {
    await admin.call('ACL', 'SETUSER', USER, 'on', `>${PASSWORD}`, '~*', '&*', '+@all');
    await admin.config('SET', 'requirepass', DEFAULT_PASSWORD);
  } finally {
    admin.disconnect();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wxq-redis-tls-'));
  suiteCleanups.push(() => rm(dir, { recursive: true, force: true }));
  certificate = await createTestCertificate(dir);
  plain = await startRedisServer();
  suiteCleanups.push(() => plain.stop());
  tls = await startRedisServer({ tls: certificate });
  suiteCleanups.push(() => tls.stop());
  cluster = await startRedisCluster({ masters: 3, tls: certificate });
  suiteCleanups.push(() => cluster.stop());
  await Promise.all([
    requireAuth(plain.port),
    requireAuth(tls.port, certificate),
    ...cluster.ports.map((port) => requireAuth(port, certificate)),
  ]);
  sim = await startWechatApiSimulator({ accounts: [{ appId: APP_ID, appSecret: APP_SECRET }] });
  suiteCleanups.push(() => sim.stop());
}, 60_000);

afterAll(async () => {
  for (const cleanup of suiteCleanups.reverse()) await cleanup();
});

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

function tlsUrl(password = PASSWORD): string {
  return `rediss://${USER}:${encodeURIComponent(password)}@127.0.0.1:${String(tls.port)}`;
}

function clusterEnv(password = PASSWORD): Record<string, string> {
  return {
    REDIS_CLUSTER_NODES: cluster.nodes.join(','),
    REDIS_USERNAME: USER,
    REDIS_PASSWORD: password,
    REDIS_TLS: '1',
    REDIS_TLS_CA: certificate.caFile,
  };
}

interface Apps {
  readonly gateway: RunningGateway;
  readonly worker: RunningWorker;
  readonly gatewayUrl: string;
  readonly logs: LogSink;
}

/** A gateway and a worker on `redisEnv`, each test on a prefix of its own. */
async function startApps(redisEnv: Readonly<Record<string, string>>): Promise<Apps> {
  const logs = createLogSink();
  const logger = createLogger({ level: 'info', name: 'redis-auth-tls' }, logs.stream);
  const env = { ...redisEnv, WXQ_QUEUE_PREFIX: `{test-${randomUUID()}}`, WECHAT_APPID: APP_ID };
  const gateway = await startGateway(
    loadGatewayConfig({ ...env, HOST: '127.0.0.1', PORT: '0', WECHAT_TOKEN: TOKEN, TIMESTAMP_SKEW_SECONDS: '0' }),
    { logger },
  );
  cleanups.push(() => gateway.stop());
  const worker = startWorker(loadWorkerConfig({ ...env, WECHAT_APPSECRET: APP_SECRET, WECHAT_API_BASE_URL: sim.url }), {
    logger,
    handlers: demoHandlers,
  });
  cleanups.push(() => worker.stop());
  return { gateway, worker, gatewayUrl: `http://127.0.0.1:${String(gateway.publicPort)}`, logs };
}

/** A push through the gateway, its echo sent by the worker: every queue and key on that Redis was reached. */
async function expectEchoed(apps: Apps, content: string): Promise<void> {
  await waitFor(async () => (await fetch(`${apps.gatewayUrl}/readyz`)).status === 200, {
    timeoutMs: 10_000,
    message: 'the gateway to be ready',
  });
  const message = createMessage.text(content);
  const push = buildPush({ account: ACCOUNT, mode: 'plaintext', message });
  expect(await sendPush(apps.gatewayUrl, '/wechat', push)).toEqual({ status: 200, body: 'success' });
  await waitFor(() => sim.sends.find((send) => send.message.touser === message.FromUserName), {
    timeoutMs: 15_000,
    message: `the echo of "${content}" to reach WeChat`,
  });
}

function captureIo(env: CliIo['env']): { io: CliIo; output: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let output = '';
  stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    io: { env, stdout, stderr, stdin: new PassThrough(), stdinIsTTY: false, stderrIsTTY: false },
    output: () => output,
  };
}

async function ops(args: readonly string[], env: CliIo['env']): Promise<{ code: number; output: string }> {
  const captured = captureIo({ WECHAT_APPID: APP_ID, WECHAT_APPSECRET: APP_SECRET, ...env });
  const code = await runOps(args, captured.io);
  return { code, output: captured.output() };
}

async function doctor(env: CliIo['env']): Promise<{ code: number; output: string }> {
  const captured = captureIo({
    WECHAT_APPID: APP_ID,
    WECHAT_APPSECRET: APP_SECRET,
    WECHAT_TOKEN: TOKEN,
    WECHAT_API_BASE_URL: sim.url,
    ...env,
  });
  const code = await runDoctor([], captured.io);
  return { code, output: captured.output() };
}

describe('Redis with AUTH and TLS', () => {
  it('rediss://user:password@ and REDIS_TLS_CA: a push is queued, handled and answered over TLS as an ACL user', async () => {
    const apps = await startApps({ REDIS_URL: tlsUrl(), REDIS_TLS_CA: certificate.caFile });
    await expectEchoed(apps, 'hello over TLS');
    expect(apps.logs.text()).not.toContain(PASSWORD);
    expect(apps.logs.text()).not.toContain(encodeURIComponent(PASSWORD));

    const status = await ops(['status'], { REDIS_URL: tlsUrl(), REDIS_TLS_CA: certificate.caFile });
    expect(status.code, status.output).toBe(0);
    expect(status.output).not.toContain(PASSWORD);
  });

  it('REDIS_USERNAME and REDIS_PASSWORD with a plain redis:// URL, and the default user by requirepass', async () => {
    const apps = await startApps({
      REDIS_URL: `redis://127.0.0.1:${String(plain.port)}`,
      REDIS_USERNAME: USER,
      REDIS_PASSWORD: PASSWORD,
    });
    await expectEchoed(apps, 'hello as an ACL user');
    const asDefaultUser = await ops(['status'], {
      REDIS_URL: `redis://127.0.0.1:${String(plain.port)}`,
      REDIS_PASSWORD: DEFAULT_PASSWORD,
    });
    expect(asDefaultUser.code, asDefaultUser.output).toBe(0);
  });

  it('a Cluster with REDIS_USERNAME / REDIS_PASSWORD / REDIS_TLS: every node, the ones CLUSTER SLOTS names too', async () => {
    // Three shards spread the queues over the three masters, so every node is used.
    const apps = await startApps({ ...clusterEnv(), WXQ_QUEUE_SHARDS: '3' });
    for (const n of [1, 2, 3, 4, 5, 6]) await expectEchoed(apps, `hello cluster ${String(n)}`);
    expect(apps.logs.text()).not.toContain(PASSWORD);

    // doctor looks at every master on a connection of its own: each with the credentials and TLS.
    const checked = await doctor(clusterEnv());
    expect(checked.output).toContain('Redis Cluster: all 3 masters reachable');
    expect(checked.output).not.toContain(PASSWORD);
  });

  it('a wrong password: no crash, the gateway answers 503, and the log and the commands say why without the password', async () => {
    const apps = await startApps({ REDIS_URL: tlsUrl(WRONG_PASSWORD), REDIS_TLS_CA: certificate.caFile });
    const push = buildPush({ account: ACCOUNT, mode: 'plaintext', message: createMessage.text('refused') });
    expect((await sendPush(apps.gatewayUrl, '/wechat', push)).status).toBe(503);
    expect((await fetch(`${apps.gatewayUrl}/readyz`)).status).toBe(503);
    const refusal = await apps.logs.waitForLine((line) => JSON.stringify(line).includes('WRONGPASS'), {
      timeoutMs: 5_000,
      message: 'a log line saying Redis refused the password',
    });
    expect(refusal['msg']).toMatch(/redis/i);
    // ioredis puts the failed AUTH on its error, arguments included.
    expect(apps.logs.text()).toContain('[redacted]');
    expect(apps.logs.text()).not.toContain(WRONG_PASSWORD);

    const status = await ops(['status'], { REDIS_URL: tlsUrl(WRONG_PASSWORD), REDIS_TLS_CA: certificate.caFile });
    expect(status.code).toBe(1);
    expect(status.output).toMatch(/refused the credentials \(WRONGPASS/);
    expect(status.output).toContain(`127.0.0.1:${String(tls.port)}`);
    expect(status.output).not.toContain(WRONG_PASSWORD);

    const checked = await doctor(clusterEnv(WRONG_PASSWORD));
    expect(checked.code).toBe(1);
    expect(checked.output).toMatch(/✖ .*refused the credentials/);
    expect(checked.output).not.toContain(WRONG_PASSWORD);
  });

  it('TLS without the CA to trust is refused (the certificate is self-signed), and so is plaintext to a TLS port', async () => {
    const untrusted = await ops(['status'], { REDIS_URL: tlsUrl() });
    expect(untrusted.code).toBe(1);
    expect(untrusted.output).toMatch(/SELF_SIGNED|self.signed/i);
    const plaintext = await ops(['status'], {
      REDIS_URL: `redis://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${String(tls.port)}`,
    });
    expect(plaintext.code).toBe(1);
    expect(plaintext.output).not.toContain(PASSWORD);
  });
});
