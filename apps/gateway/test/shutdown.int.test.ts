// Signals reach a real child process; it gets a private redis-server, like every suite that kills processes.
import { QUEUES } from '@wxq/queue';
import { createRedis } from '@wxq/redis';
import { type RedisServer, startRedisServer, waitFor } from '@wxq/testing';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { testEnv } from './helpers/harness.js';
import { send, startSlowPost } from './helpers/http.js';
import { type Exit, type GatewayProcess, startGatewayProcess } from './helpers/process.js';
import { jobIdOf, plaintextPush, textXml } from './helpers/pushes.js';

/** main.ts's SHUTDOWN_TIMEOUT_MS default; the contract is exit 0 within it. */
const EXIT_WITHIN_MS = 10_000;

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

async function exitOf(gateway: GatewayProcess): Promise<Exit> {
  let exit: Exit | undefined;
  void gateway.exited.then((value) => {
    exit = value;
  });
  return waitFor(() => exit, { message: 'the gateway process to exit', timeoutMs: EXIT_WITHIN_MS });
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
    const gateway = await startGatewayProcess(env);
    await waitFor(async () => (await send(`http://127.0.0.1:${gateway.port}/readyz`)).status === 200, { message: 'the gateway to be ready' });
    const url = `http://127.0.0.1:${gateway.port}/wechat`;
    const xml = textXml();
    const push = plaintextPush(xml);
    const body = String(push.body);

    const slow = startSlowPost(`${url}?${push.query}`);
    await slow.started;
    slow.write(body.slice(0, 40));
    gateway.signal('SIGTERM');
    await gateway.waitForLine((line) => line['msg'] === 'gateway stopping: draining requests', 'the gateway to start draining');

    const late = plaintextPush(textXml());
    expect(['refused', 503]).toContain(await statusOrRefused(`${url}?${late.query}`, String(late.body)));

    slow.finish(body.slice(40));
    expect(await slow.answer).toMatchObject({ status: 200, body: 'success' });
    expect(await exitOf(gateway)).toEqual({ code: 0, signal: null });
    expect(await queue.getJob(jobIdOf(xml))).toBeDefined();
    expect(await queue.getJobCounts('waiting')).toMatchObject({ waiting: 1 });
    expect(gateway.lines().map((line) => line['msg'])).toEqual(
      expect.arrayContaining(['signal received', 'public listener closed', 'queue closed', 'redis closed']),
    );
  });

  it('on SIGINT stops and exits 0', async () => {
    const gateway = await startGatewayProcess(testEnv(redis.url));
    await waitFor(async () => (await send(`http://127.0.0.1:${gateway.port}/readyz`)).status === 200, { message: 'the gateway to be ready' });
    gateway.signal('SIGINT');
    expect(await exitOf(gateway)).toEqual({ code: 0, signal: null });
    expect(gateway.lines().find((line) => line['msg'] === 'signal received')).toMatchObject({ signal: 'SIGINT' });
    const messages = gateway.lines().map((line) => String(line['msg']));
    expect(messages).toEqual(expect.arrayContaining(['public listener closed', 'queue closed', 'redis closed']));
    expect(messages.filter((msg) => msg.startsWith('shutdown'))).toEqual([]);
  });

  it('refuses to start on a bad configuration, listing the problem without the secret', async () => {
    const gateway = startGatewayProcess(testEnv(redis.url, { WECHAT_TOKEN: 'bad token with secret-9f2c' }));
    await expect(gateway).rejects.toThrow(/the gateway exited \(\{"code":1,/);
    await expect(gateway).rejects.toThrow(/WECHAT_TOKEN/);
    await expect(gateway).rejects.not.toThrow(/secret-9f2c/);
  });
});
