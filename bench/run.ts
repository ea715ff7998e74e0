// `npm run bench`: every figure is printed next to baselines measured in the same run, as ratios.
import { startRedisServer } from '@wxq/testing';
import { runE2eBench } from './e2e-bench.js';
import { runGatewayBench } from './gateway-bench.js';

const durationSeconds = Number(process.env['BENCH_DURATION_SECONDS'] ?? '10');
const connections = 50;

const only = process.env['BENCH_ONLY'];
const redis = await startRedisServer();
try {
  if (only !== 'e2e') await gatewayBench();
  if (only !== 'gateway') await e2eBench();
} finally {
  await redis.stop();
}

async function gatewayBench(): Promise<void> {
  console.log(`gateway: ${connections} connections, ${durationSeconds} s per target, signed plaintext pushes with unique MsgIds\n`);
  const results = await runGatewayBench({ redisUrl: redis.url, durationSeconds, connections });
  const express = results.find((r) => r.name === 'express route (bare)');
  const node = results.find((r) => r.name === 'node:http (bare)');
  console.table(
    results.map((r) => ({
      target: r.name,
      'req/s': Math.round(r.requestsPerSecond),
      'p50 ms': r.p50Ms,
      'p99 ms': r.p99Ms,
      'x express (req/s)': express === undefined ? '' : (r.requestsPerSecond / express.requestsPerSecond).toFixed(2),
      'x node:http (req/s)': node === undefined ? '' : (r.requestsPerSecond / node.requestsPerSecond).toFixed(2),
      'p99 / express p99': express === undefined ? '' : (r.p99Ms / express.p99Ms).toFixed(2),
      'non-2xx': r.non2xx,
      errors: r.errors,
    })),
  );
  const failed = results.filter((r) => r.non2xx > 0 || r.errors > 0);
  if (failed.length > 0) {
    console.error(`\nnot every answer was 200: ${failed.map((r) => r.name).join(', ')} — figures are not comparable`);
    process.exitCode = 1;
  }
}

async function e2eBench(): Promise<void> {
  const messages = Number(process.env['BENCH_E2E_MESSAGES'] ?? '5000');
  console.log(`\nend to end: ${messages} pushes drained from a backlog (throughput), then 200 pushes/s for 5 s (latency: push -> reply at the simulator)\n`);
  const e2e = await runE2eBench({ redisUrl: redis.url, messages, latencyRatePerSecond: 200, latencySeconds: 5 });
  const noop = e2e[0];
  const one = e2e[1];
  console.table(
    e2e.map((r) => ({
      target: r.name,
      'messages/s': Math.round(r.messagesPerSecond),
      'x BullMQ no-op': noop === undefined ? '' : (r.messagesPerSecond / noop.messagesPerSecond).toFixed(2),
      'x 1 worker process': one === undefined || r === noop ? '' : (r.messagesPerSecond / one.messagesPerSecond).toFixed(2),
      'p50 ms': r.p50Ms ?? '',
      'p99 ms': r.p99Ms ?? '',
    })),
  );
}
