import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWorkerConfig } from '@wxq/config';
import { demoHandlers } from '@wxq/handlers';
import { createLogger } from '@wxq/logging';
import {
  type RedisServer,
  type TsProcess,
  findFreePort,
  signPlaintextPush,
  startRedisServer,
  startTsProcess,
  waitFor,
} from '@wxq/testing';
import { buildInboundXml } from '@wxq/wechat';
import { type WechatApiSimulator, createMessage, startWechatApiSimulator } from '@wxq/wechat-sim';
import { type RunningWorker, startWorker } from '@wxq/worker';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningNginx, findNginx, startNginx } from './nginx.js';

// Two gateways behind a real nginx running deploy/nginx.conf, restarted one after the other
// (SIGTERM, start again) under a steady stream of signed pushes: every push answered `success`
// must be replied, and whatever was answered otherwise is counted (the goal is none).

const nginxBinary = findNginx();
// CI installs nginx (.ci/run); a machine without it skips this suite and says so.
const describeWithNginx = nginxBinary === undefined && process.env['CI'] === undefined ? describe.skip : describe;
if (nginxBinary === undefined) console.warn('[e2e] nginx is not installed: the rolling-restart suite is skipped');

const APP_ID = 'wx0123456789abcdef';
const TOKEN = 'rollingRestartToken1';
const APP_SECRET = 'rollingsecret0123456789abcdef012';
const account = { appId: APP_ID, token: TOKEN };

let dir: string;
let redis: RedisServer;
let sim: WechatApiSimulator;
let worker: RunningWorker;
let nginx: RunningNginx | undefined;
const gateways: { port: number; process: TsProcess }[] = [];
const prefix = `{e2e-${String(Date.now())}}`;

function gatewayEnv(port: number) {
  return {
    ...process.env,
    REDIS_URL: redis.url,
    WECHAT_APPID: APP_ID,
    WECHAT_TOKEN: TOKEN,
    WXQ_QUEUE_PREFIX: prefix,
    HOST: '127.0.0.1',
    PORT: String(port),
    // Info: each push answered is a log line, which tells when nginx routes to a restarted gateway.
    LOG_LEVEL: 'info',
    // nginx sits on loopback: the client address is the one it forwards.
    TRUST_PROXY: 'loopback',
  };
}

async function startGateway(port: number): Promise<TsProcess> {
  const child = startTsProcess('apps/gateway/src/main.ts', { env: gatewayEnv(port), echoStderr: true });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, {
    timeoutMs: 30_000,
    message: `the gateway on ${port} to be ready`,
  });
  return child;
}

beforeAll(async () => {
  if (nginxBinary === undefined) throw new Error('nginx is required in CI: apt-get install nginx');
  dir = await mkdtemp(join(tmpdir(), 'wxq-nginx-'));
  redis = await startRedisServer();
  sim = await startWechatApiSimulator({ accounts: [{ appId: APP_ID, appSecret: APP_SECRET }] });
  const workerConfig = loadWorkerConfig({
    REDIS_URL: redis.url,
    WECHAT_APPID: APP_ID,
    WECHAT_APPSECRET: APP_SECRET,
    WECHAT_API_BASE_URL: sim.url,
    WXQ_QUEUE_PREFIX: prefix,
  });
  worker = startWorker(workerConfig, {
    logger: createLogger({ level: 'warn', name: 'worker' }, pino.destination('/dev/null')),
    handlers: demoHandlers,
  });
  const ports = [await findFreePort(), await findFreePort()];
  for (const port of ports) gateways.push({ port, process: await startGateway(port) });
  nginx = await startNginx(
    nginxBinary,
    dir,
    await findFreePort(),
    ports.map((p) => `127.0.0.1:${p}`),
  );
}, 90_000);

afterAll(async () => {
  await nginx?.stop();
  await Promise.all(gateways.map((g) => g.process.stop({ signal: 'SIGKILL' })));
  await worker.stop();
  await sim.stop();
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
});

describeWithNginx('a rolling restart of two gateways behind nginx', () => {
  it('every push answered success is replied; pushes answered otherwise are counted', async () => {
    const proxy = nginx;
    if (proxy === undefined) throw new Error('nginx did not start');
    const answers: { content: string; status: number; body: string }[] = [];
    let sending = true;
    let sent = 0;
    const sender = async () => {
      while (sending) {
        const content = `rolling ${String(sent++)}`;
        const push = signPlaintextPush(buildInboundXml(createMessage.text(content)), { account });
        const answer = await fetch(`${proxy.url}/wechat?${push.query}`, { method: 'POST', body: push.body }).then(
          async (r) => ({ status: r.status, body: await r.text() }),
          (err: unknown) => ({ status: 0, body: String(err) }),
        );
        answers.push({ content, ...answer });
      }
    };
    const senders = Array.from({ length: 8 }, sender);
    await waitFor(() => answers.length >= 50, { timeoutMs: 20_000, message: 'pushes flowing through nginx' });
    for (const gateway of gateways) {
      const before = answers.length;
      // As an orchestrator does: SIGTERM, wait for the exit, start the new one on the same port.
      const exit = await gateway.process.stop({ signal: 'SIGTERM', timeoutMs: 15_000 });
      expect(exit.code, gateway.process.output()).toBe(0);
      gateway.process = await startGateway(gateway.port);
      const restarted = gateway.process;
      // As an orchestrator waits for a new replica to take traffic before it stops the next one.
      await waitFor(() => restarted.logLines().filter((l) => l['msg'] === 'push answered').length >= 20, {
        timeoutMs: 20_000,
        message: 'nginx routing pushes to the restarted gateway',
      });
      expect(answers.length).toBeGreaterThan(before);
    }
    sending = false;
    await Promise.all(senders);

    const accepted = answers.filter((a) => a.status === 200 && a.body === 'success');
    const other = answers.filter((a) => !(a.status === 200 && a.body === 'success'));
    console.log(
      `[e2e] rolling restart: ${answers.length} pushes, ${accepted.length} success, ${other.length} answered otherwise`,
    );
    for (const a of other.slice(0, 10)) console.log(`[e2e]   ${a.content}: ${a.status} ${a.body.slice(0, 80)}`);
    expect(accepted.length).toBeGreaterThan(100);
    // One set per look, and only the sends since the last: the worker and the simulator share this
    // process, and a check that rebuilt it per push (thousands of times per look) starved them.
    const replied = new Set<string>();
    let seen = 0;
    const unreplied = () => {
      for (const send of sim.sends.slice(seen)) replied.add(JSON.stringify(send.message['text']));
      seen = sim.sends.length;
      return accepted.filter((a) => !replied.has(JSON.stringify({ content: a.content })));
    };
    await waitFor(() => unreplied().length === 0, {
      timeoutMs: 60_000,
      message: 'every push answered success to be replied',
    }).catch((err: unknown) => {
      const missing = unreplied();
      throw new Error(`${String(missing.length)} not replied, e.g. ${missing[0]?.content ?? ''}`, { cause: err });
    });
    // The goal on a rolling restart is none; a drain that lets one through as 503 would still lose nothing
    // (WeChat retries).
    expect(other).toEqual([]);
  }, 180_000);
});
