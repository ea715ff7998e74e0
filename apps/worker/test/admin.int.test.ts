import { connect } from 'node:net';
import { parsePrometheusText, sampleValue, startRedisServer, waitFor } from '@wxq/testing';
import { afterEach, describe, expect, inject, it, onTestFinished } from 'vitest';
import { type WorkerHarness, startHarness } from './harness.js';

// The worker's admin listener (ADMIN_HOST:ADMIN_PORT): probes and /metrics, against real Redis.

let harness: WorkerHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/** Writes `request` as is on a connection of its own and resolves to the raw answer. */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.once('error', reject);
    socket.once('close', () => {
      resolve(answer);
    });
    socket.end(request, 'latin1');
  });
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);

describe('worker admin listener', () => {
  it('answers /healthz, and /readyz 503 while Redis is down, 200 once it is back', async () => {
    const redis = await startRedisServer();
    onTestFinished(() => redis.stop());
    harness = await startHarness(redis.url);
    const worker = await harness.startWorkerWithAdmin();
    const base = `http://127.0.0.1:${worker.adminPort}`;
    const status = async (path: string) => (await fetch(`${base}${path}`)).status;

    expect(await status('/healthz')).toBe(200);
    await waitFor(async () => (await status('/readyz')) === 200, { message: 'ready once connected' });

    await redis.pause();
    await waitFor(async () => (await status('/readyz')) === 503, { timeoutMs: 5_000, message: 'not ready' });
    expect(await status('/healthz')).toBe(200);
    // A scrape still answers, and says Redis could not be read.
    const scrape = await fetch(`${base}/metrics`);
    expect(scrape.status).toBe(200);
    const samples = parsePrometheusText(await scrape.text());
    expect(sampleValue(samples, 'wxq_worker_redis_up')).toBe(0);
    expect(samples.some((sample) => sample.name === 'wxq_queue_jobs')).toBe(false);

    await redis.resume();
    await waitFor(async () => (await status('/readyz')) === 200, { timeoutMs: 10_000, message: 'ready again' });
  });

  it('says not ready once stopping, then closes', async () => {
    harness = await startHarness(inject('redisUrl'));
    const worker = await harness.startWorkerWithAdmin();
    const base = `http://127.0.0.1:${worker.adminPort}`;
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, { message: 'ready' });
    const stopped = worker.stop();
    expect(await worker.isReady()).toBe(false);
    await stopped;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('refuses unknown paths (404), other methods (405), and odd or oversized requests, and keeps serving', async () => {
    harness = await startHarness(inject('redisUrl'));
    const worker = await harness.startWorkerWithAdmin();
    const port = worker.adminPort;
    const base = `http://127.0.0.1:${port}`;

    for (const path of ['/', '/nope', '/metrics/', '/metrics/x', '/HEALTHZ', '/admin/queues']) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(`${base}/healthz?probe=1&x=%00`)).status).toBe(200);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const answer = await fetch(`${base}/metrics`, { method, body: method === 'DELETE' ? null : 'x'.repeat(1000) });
      expect(answer.status, method).toBe(405);
      expect(answer.headers.get('allow')).toBe('GET, HEAD');
    }
    const head = await fetch(`${base}/readyz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');

    // Absolute-form and asterisk targets name no path of ours; garbage is node's own 400.
    expect(statusOf(await rawRequest(port, 'GET http://evil.example/metrics HTTP/1.1\r\nHost: x\r\n\r\n'))).toBe(404);
    expect(statusOf(await rawRequest(port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n'))).toBe(404);
    // No normalising: a dotted path is not /metrics (fetch would have normalised it before sending).
    expect(statusOf(await rawRequest(port, 'GET /%2e%2e/metrics HTTP/1.1\r\nHost: x\r\n\r\n'))).toBe(404);
    expect(statusOf(await rawRequest(port, 'GET /x/../metrics HTTP/1.1\r\nHost: x\r\n\r\n'))).toBe(404);
    expect(statusOf(await rawRequest(port, 'GARBAGE\r\n\r\n'))).toBe(400);
    expect(statusOf(await rawRequest(port, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`))).toBe(431);
    expect(statusOf(await rawRequest(port, `GET /healthz HTTP/1.1\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`))).toBe(431);

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const logs = harness.logs.lines().filter((line) => line['msg'] === 'admin request failed');
    expect(logs).toEqual([]);
  });

  it('will not start on a taken port, and stops the worker it started', async () => {
    harness = await startHarness(inject('redisUrl'));
    const first = await harness.startWorkerWithAdmin();
    const h = await startHarness(inject('redisUrl'), { ADMIN_PORT: String(first.adminPort) });
    onTestFinished(() => h.stop());
    await expect(h.startWorkerWithAdmin()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(h.logs.lines().some((line) => line['msg'] === 'worker stopping: finishing active jobs')).toBe(true);
  });
});
