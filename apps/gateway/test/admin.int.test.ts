import { connect } from 'node:net';
import { findFreePort, parsePrometheusText, sampleValue, signPlaintextPush, waitFor } from '@wxq/testing';
import { QUEUES } from '@wxq/queue';
import { createKeys } from '@wxq/redis';
import { UnrecoverableError, Worker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { type TestGateway, useGateway } from './helpers/harness.js';
import { basicAuth, send } from './helpers/http.js';
import { APP_ID, DEFAULT_ACCOUNT, TOKEN, textXml } from './helpers/pushes.js';

const PASSWORD = 'correct-horse-battery';

function isPortOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

function adminUrl(gateway: TestGateway): string {
  if (gateway.adminUrl === undefined) throw new Error('the admin listener did not start');
  return gateway.adminUrl;
}

describe('admin listener', () => {
  it('does not start without ADMIN_PASSWORD, and the log says so', async () => {
    const port = await findFreePort();
    const gateway = await useGateway({ env: { ADMIN_PORT: String(port), ADMIN_PASSWORD: undefined } });
    expect(gateway.adminUrl).toBeUndefined();
    expect(await isPortOpen(port)).toBe(false);
    const warning = gateway.logs.lines().find((line) => String(line['msg']).includes('admin listener not started'));
    expect(warning?.['msg']).toMatch(/ADMIN_PASSWORD/);
  });

  it('serves Bull Board behind basic auth: 401 without or with a wrong password, 200 with the right one', async () => {
    const gateway = await useGateway({ env: { ADMIN_PASSWORD: PASSWORD } });
    const board = `${adminUrl(gateway)}/admin/queues`;

    const anonymous = await send(board);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic /);
    expect((await send(board, { headers: { authorization: basicAuth('admin', 'wrong-password') } })).status).toBe(401);
    expect((await send(board, { headers: { authorization: basicAuth('someone', PASSWORD) } })).status).toBe(401);
    expect((await send(board, { headers: { authorization: 'Bearer whatever' } })).status).toBe(401);

    const page = await send(board, { headers: { authorization: basicAuth('admin', PASSWORD) } });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);

    const api = await send(`${board}/api/queues`, { headers: { authorization: basicAuth('admin', PASSWORD) } });
    expect(api.status).toBe(200);
    const { queues } = JSON.parse(api.body) as { queues: { name: string; description?: string }[] };
    expect(queues.map((queue) => queue.name).sort()).toEqual(['inbound', 'notify', 'notify-batch', 'outbound']);
    // The board names wxq's queues by what they hold.
    const described = new Map(Object.values(QUEUES).map((definition) => [definition.name, definition.description]));
    for (const queue of queues) expect(queue.description, queue.name).toBe(described.get(queue.name));
    expect(page.body).toContain('wxq queues');
  });

  it('locks an address out after 5 failed logins in a row: 429 for a minute, the right password too; others unaffected', async () => {
    const gateway = await useGateway({ env: { ADMIN_PASSWORD: PASSWORD, TRUST_PROXY: 'loopback' } });
    const board = `${adminUrl(gateway)}/admin/queues`;
    // TRUST_PROXY=loopback: the test speaks as the proxy, naming the client in X-Forwarded-For.
    const from = (ip: string, authorization?: string) =>
      send(board, { headers: { 'x-forwarded-for': ip, ...(authorization === undefined ? {} : { authorization }) } });
    const [attacker, operator] = ['198.51.100.7', '203.0.113.9'];
    // Asking for the login prompt (no credentials) is not a failed login.
    for (let i = 0; i < 8; i += 1) expect((await from(attacker)).status).toBe(401);
    for (let i = 0; i < 5; i += 1) expect((await from(attacker, basicAuth('admin', `guess-${i}`))).status).toBe(401);

    const locked = await from(attacker, basicAuth('admin', PASSWORD));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(50);
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect((await from(attacker, basicAuth('admin', 'guess-5'))).status).toBe(429);
    expect((await from(operator, basicAuth('admin', PASSWORD))).status).toBe(200);
    expect((await from(operator, basicAuth('admin', 'typo'))).status).toBe(401);
    const warning = gateway.logs.lines().find((line) => String(line['msg']).includes('locked out'));
    expect(warning?.['ip']).toBe(attacker);
    expect(JSON.stringify(gateway.logs.lines())).not.toContain('guess-');

    // The lock is the counter's time to live in Redis (shared by every gateway): when it ends, the
    // address gets in with the right password again.
    const counter = createKeys(gateway.prefix).adminLoginFailures(attacker);
    expect(await gateway.redis.ttl(counter)).toBeGreaterThan(50);
    await gateway.redis.pexpire(counter, 1);
    await waitFor(async () => (await gateway.redis.exists(counter)) === 0, {
      timeoutMs: 2_000,
      message: 'the lock to end',
    });
    expect((await from(attacker, basicAuth('admin', PASSWORD))).status).toBe(200);
  });

  it('honours ADMIN_USER', async () => {
    const gateway = await useGateway({ env: { ADMIN_PASSWORD: PASSWORD, ADMIN_USER: 'operator' } });
    const board = `${adminUrl(gateway)}/admin/queues`;
    expect((await send(board, { headers: { authorization: basicAuth('admin', PASSWORD) } })).status).toBe(401);
    expect((await send(board, { headers: { authorization: basicAuth('operator', PASSWORD) } })).status).toBe(200);
  });

  it('serves Bull Board under ADMIN_BASE_PATH, its links and assets too, and nothing at the default path', async () => {
    const gateway = await useGateway({ env: { ADMIN_PASSWORD: PASSWORD, ADMIN_BASE_PATH: '/ops/board' } });
    const authorization = basicAuth('admin', PASSWORD);
    const page = await send(`${adminUrl(gateway)}/ops/board`, { headers: { authorization } });
    expect(page.status).toBe(200);
    // The page tells the browser where it lives (<base href>), and its scripts load from there.
    expect(/<base href="([^"]+)"/.exec(page.body)?.[1]).toBe('/ops/board/');
    const scripts = [...page.body.matchAll(/<script[^>]+src="([^"]+)"/g)].map((match) => match[1] ?? '');
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      const url = new URL(src, `${adminUrl(gateway)}/ops/board/`);
      expect(url.pathname.startsWith('/ops/board/static/'), src).toBe(true);
      expect((await send(url.href, { headers: { authorization } })).status, src).toBe(200);
    }
    expect(
      (await send(`${adminUrl(gateway)}/ops/board/static/${'x'.repeat(5000)}.js`, { headers: { authorization } }))
        .status,
    ).toBe(404);
    const api = await send(`${adminUrl(gateway)}/ops/board/api/queues`, { headers: { authorization } });
    expect(api.status).toBe(200);
    expect((await send(`${adminUrl(gateway)}/ops/board`)).status).toBe(401);
    expect((await send(`${adminUrl(gateway)}/admin/queues`, { headers: { authorization } })).status).toBe(404);
  });

  it('serves /metrics as Prometheus text, counting the pushes this test made', async () => {
    const gateway = await useGateway({ env: { ADMIN_PASSWORD: PASSWORD } });
    const metricsUrl = `${adminUrl(gateway)}/metrics`;
    expect((await send(metricsUrl)).status).toBe(401);

    const first = textXml();
    expect((await gateway.push(signPlaintextPush(first, { account: DEFAULT_ACCOUNT }))).status).toBe(200);
    expect((await gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }))).status).toBe(200);
    expect((await gateway.push(signPlaintextPush(first, { account: DEFAULT_ACCOUNT }))).status).toBe(200);
    expect(
      (await gateway.push(signPlaintextPush(textXml(), { account: { appId: APP_ID, token: 'wrongToken' } }))).status,
    ).toBe(401);
    expect((await gateway.push(signPlaintextPush('<xml>', { account: DEFAULT_ACCOUNT }))).status).toBe(400);

    const scrape = await send(metricsUrl, { headers: { authorization: basicAuth('admin', PASSWORD) } });
    expect(scrape.status).toBe(200);
    expect(scrape.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheusText(scrape.body);

    const pushes = (labels: Record<string, string>) =>
      sampleValue(samples, 'wxq_gateway_pushes_total', { account: APP_ID, ...labels });
    expect(pushes({ msg_type: 'text', outcome: 'accepted' })).toBe(2);
    expect(pushes({ msg_type: 'text', outcome: 'duplicate' })).toBe(1);
    expect(pushes({ outcome: 'bad_signature' })).toBe(1);
    expect(pushes({ outcome: 'bad_xml' })).toBe(1);
    expect(sampleValue(samples, 'wxq_gateway_dedup_hits_total', { account: APP_ID })).toBe(1);
    // Every push's answer time, whatever its outcome; none came near WeChat's 5 s.
    expect(sampleValue(samples, 'wxq_gateway_push_answer_seconds_count', { account: APP_ID, answer: 'ack' })).toBe(5);
    expect(
      sampleValue(samples, 'wxq_gateway_push_answer_seconds_bucket', { account: APP_ID, answer: 'ack', le: '4' }),
    ).toBe(5);
    expect(sampleValue(samples, 'wxq_gateway_push_answers_slow_total', { account: APP_ID })).toBe(0);
    expect(sampleValue(samples, 'wxq_gateway_enqueue_duration_seconds_count')).toBe(3);
    expect(sampleValue(samples, 'wxq_gateway_enqueue_duration_seconds_bucket', { le: '+Inf' })).toBe(3);
    // The default process metrics are there too, under the gateway's prefix.
    expect(samples.some((sample) => sample.name === 'wxq_gateway_process_cpu_seconds_total')).toBe(true);
    // Label values are bounded: nothing from the request lands in a label.
    expect(scrape.body).not.toContain(TOKEN);
  });

  it('is never served on the public port', async () => {
    const gateway = await useGateway({ env: { ADMIN_PASSWORD: PASSWORD } });
    const authorization = basicAuth('admin', PASSWORD);
    for (const path of ['/admin/queues', '/admin/queues/api/queues', '/metrics']) {
      expect((await gateway.send(path)).status, path).toBe(404);
      expect((await gateway.send(path, { headers: { authorization } })).status, path).toBe(404);
    }
  });
});

describe("Bull Board's retry buttons", () => {
  /** Pushes `count` messages and fails their jobs for good, each after one attempt, with a real BullMQ worker. */
  async function failedPushes(gateway: TestGateway, count: number): Promise<string[]> {
    for (let i = 0; i < count; i += 1) {
      expect((await gateway.push(signPlaintextPush(textXml(), { account: DEFAULT_ACCOUNT }))).status).toBe(200);
    }
    const failed: string[] = [];
    const worker = new Worker('inbound', () => Promise.reject(new UnrecoverableError('handler failed 5 times: boom')), {
      connection: gateway.redis,
      prefix: gateway.prefix,
    });
    worker.on('failed', (job) => {
      if (job?.id !== undefined) failed.push(job.id);
    });
    try {
      await waitFor(() => failed.length === count, { timeoutMs: 10_000, message: `${count} failed jobs` });
    } finally {
      await worker.close();
    }
    return failed;
  }

  it('retry and retry-all give failed jobs their whole attempt budget again', async () => {
    const gateway = await useGateway({ env: { ADMIN_PASSWORD: PASSWORD } });
    const api = `${adminUrl(gateway)}/admin/queues/api/queues/inbound`;
    const headers = { authorization: basicAuth('admin', PASSWORD) };
    const [one, ...rest] = await failedPushes(gateway, 3);
    expect((await gateway.queue.getJob(one ?? ''))?.attemptsMade).toBe(1);

    expect((await send(`${api}/${one ?? ''}/retry`, { method: 'PUT', headers })).status).toBe(204);
    const retried = await gateway.queue.getJob(one ?? '');
    expect(retried?.attemptsMade).toBe(0);
    expect(await retried?.getState()).toBe('waiting');

    const all = await send(`${api}/retry/failed`, { method: 'PUT', headers });
    expect(all.status).toBe(200);
    expect(JSON.parse(all.body)).toMatchObject({ retried: 2 });
    for (const id of rest) expect((await gateway.queue.getJob(id))?.attemptsMade).toBe(0);
  });
});
