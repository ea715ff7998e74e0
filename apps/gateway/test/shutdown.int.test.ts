// Signals reach a real child process; it gets a private redis-server, like every suite that kills processes.
import { QUEUES } from '@wxq/queue';
import { createRedis } from '@wxq/redis';
import {
  type ProcessExit,
  type RedisServer,
  type TsProcess,
  signPlaintextPush,
  startRedisServer,
  startTsProcess,
  waitFor,
} from '@wxq/testing';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { testEnv } from './helpers/harness.js';
import { send, startSlowPost } from './helpers/http.js';
import { DEFAULT_ACCOUNT, jobIdOf, textXml } from './helpers/pushes.js';

/** main.ts's SHUTDOWN_TIMEOUT_MS default; the contract is exit 0 within it. */
const EXIT_WITHIN_MS = 10_000;
/** tsx compiles main.ts and the libs on first start; a cold 2-core machine needs a few seconds. */
const START_TIMEOUT_MS = 15_000;

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

/** The child's inbound queue, seen from the test; obliterated when the test finishes. */
function useQueue(prefix: string): Queue {
  const connection = createRedis({ mode: 'standalone', url: redis.url }, 'worker', 'wxq-test');
  connection.on('error', () => undefined);
  const queue = new Queue(QUEUES.inbound.name, { connection, prefix });
  onTestFinished(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await connection.quit();
  });
  return queue;
}

/** The gateway as `npm run gateway` runs it, with exactly `env`; killed with SIGKILL when the test finishes. */
function startGatewayProcess(env: Readonly<Record<string, string | undefined>>): TsProcess {
  const gateway = startTsProcess('apps/gateway/src/main.ts', { env });
  onTestFinished(async () => {
    await gateway.stop({ signal: 'SIGKILL' });
  });
  return gateway;
}

/** The public listener's URL, once the gateway says it listens (PORT=0: the port is in that line). */
async function listeningUrl(gateway: TsProcess): Promise<string> {
  const listening = await gateway.waitForLogLine((line) => line['msg'] === 'gateway listening', {
    message: 'the gateway process to log "gateway listening"',
    timeoutMs: START_TIMEOUT_MS,
  });
  if (typeof listening['port'] !== 'number') throw new Error('no port in the "gateway listening" line');
  const url = `http://127.0.0.1:${listening['port']}`;
  await waitFor(async () => (await send(`${url}/readyz`)).status === 200, { message: 'the gateway to be ready' });
  return url;
}

async function exitOf(gateway: TsProcess): Promise<ProcessExit> {
  await waitFor(() => gateway.hasExited(), { message: 'the gateway process to exit', timeoutMs: EXIT_WITHIN_MS });
  return gateway.exited;
}

/** 'refused' for a connection the gateway no longer accepts, else the status it answered. */
function statusOrRefused(url: string, body: string): Promise<number | 'refused'> {
  return send(url, { method: 'POST', body }).then(
    (answer) => answer.status,
    (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') return 'refused' as const;
      throw error;
    },
  );
}

describe('gateway process', () => {
  it('on SIGTERM finishes the push in flight with success, takes no new ones, and exits 0', async () => {
    const env = testEnv(redis.url);
    const queue = useQueue(env['WXQ_QUEUE_PREFIX'] ?? '');
    const gateway = startGatewayProcess(env);
    const url = `${await listeningUrl(gateway)}/wechat`;
    const xml = textXml();
    const push = signPlaintextPush(xml, { account: DEFAULT_ACCOUNT });
    const body = String(push.body);

    const slow = startSlowPost(`${url}?${push.query}`);
    await slow.started;
    slow.write(body.slice(0, 40));
    gateway.signal('SIGTERM');
    await gateway.waitForLogLine((line) => line['msg'] === 'gateway stopping: draining requests', {
      message: 'the gateway to start draining',
    });

    const late = signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT });
    expect(['refused', 503]).toContain(await statusOrRefused(`${url}?${late.query}`, String(late.body)));

    slow.finish(body.slice(40));
    expect(await slow.answer).toMatchObject({ status: 200, body: 'success' });
    expect(await exitOf(gateway)).toEqual({ code: 0, signal: null });
    expect(await queue.getJob(jobIdOf(xml))).toBeDefined();
    expect(await queue.getJobCounts('waiting')).toMatchObject({ waiting: 1 });
    expect(gateway.logLines().map((line) => line['msg'])).toEqual(
      expect.arrayContaining(['signal received', 'public listener closed', 'queue closed', 'redis closed']),
    );
  });

  it('on SIGINT stops and exits 0', async () => {
    const gateway = startGatewayProcess(testEnv(redis.url));
    await listeningUrl(gateway);
    gateway.signal('SIGINT');
    expect(await exitOf(gateway)).toEqual({ code: 0, signal: null });
    expect(gateway.logLines().find((line) => line['msg'] === 'signal received')).toMatchObject({ signal: 'SIGINT' });
    const messages = gateway.logLines().map((line) => String(line['msg']));
    expect(messages).toEqual(expect.arrayContaining(['public listener closed', 'queue closed', 'redis closed']));
    expect(messages.filter((msg) => msg.startsWith('shutdown'))).toEqual([]);
  });

  it('refuses to start on a bad configuration, listing the problem without the secret', async () => {
    const gateway = startGatewayProcess(testEnv(redis.url, { WECHAT_TOKEN: 'bad token with secret-9f2c' }));
    await expect(listeningUrl(gateway)).rejects.toThrow(/main\.ts exited \(code 1, signal null\)/);
    expect(await exitOf(gateway)).toEqual({ code: 1, signal: null });
    expect(gateway.output()).toMatch(/WECHAT_TOKEN/);
    expect(gateway.output()).not.toMatch(/secret-9f2c/);
  });
});
