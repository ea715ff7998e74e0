import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { PUSH_PATH, nextPushBody } from './push-fixture.js';
import { startTarget } from './run-target.js';

export interface LoadResult {
  readonly name: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

export interface GatewayBenchOptions {
  readonly redisUrl: string;
  readonly durationSeconds: number;
  readonly connections: number;
}

const TARGETS = [
  { name: 'node:http (bare)', file: 'bench/targets/bare-node.ts' },
  { name: 'express route (bare)', file: 'bench/targets/bare-express.ts' },
  { name: 'naive gateway', file: 'bench/targets/naive-gateway.ts' },
  { name: 'wxq gateway', file: 'bench/targets/gateway.ts' },
] as const;

/** Loads every target in turn with the same signed pushes, fresh MsgIds, same connections. */
export async function runGatewayBench(options: GatewayBenchOptions): Promise<LoadResult[]> {
  const logDir = await mkdtemp(join(tmpdir(), 'wxq-bench-'));
  const results: LoadResult[] = [];
  try {
    for (const target of TARGETS) {
      const running = await startTarget(target.file, {
        REDIS_URL: options.redisUrl,
        WXQ_QUEUE_PREFIX: `{bench-${randomUUID().slice(0, 8)}}`,
        BENCH_LOG_DIR: logDir,
        TIMESTAMP_SKEW_SECONDS: '0',
      });
      try {
        await load(running.port, 2, options.connections); // warm-up: JIT, connections, Redis scripts
        results.push({ name: target.name, ...(await load(running.port, options.durationSeconds, options.connections)) });
      } finally {
        await running.stop();
      }
    }
  } finally {
    await rm(logDir, { recursive: true, force: true });
  }
  return results;
}

async function load(port: number, durationSeconds: number, connections: number): Promise<Omit<LoadResult, 'name'>> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: durationSeconds,
    requests: [
      {
        method: 'POST',
        path: PUSH_PATH,
        headers: { 'content-type': 'text/xml' },
        setupRequest: (request) => ({ ...request, body: nextPushBody() }),
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
