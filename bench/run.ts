// `npm run bench`: every figure is printed next to baselines measured in the same run, as ratios.
import { startRedisServer } from '@wxq/testing';
import { runGatewayBench } from './gateway-bench.js';

const durationSeconds = Number(process.env['BENCH_DURATION_SECONDS'] ?? '10');
const connections = 50;

const redis = await startRedisServer();
try {
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
} finally {
  await redis.stop();
}
