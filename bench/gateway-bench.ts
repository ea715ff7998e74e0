import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { GATEWAY_NODE_FLAGS } from './memory-bench.js';
import { PUSH_PATH, nextPushBody } from './push-fixture.js';
import { type RunningTarget, startTarget } from './run-target.js';

/** One target's load in one round. */
export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

/** A target's results, one per round, in round order. */
export interface TargetRounds {
  readonly name: string;
  readonly rounds: readonly LoadResult[];
}

export interface GatewayBenchOptions {
  readonly redisUrl: string;
  readonly durationSeconds: number;
  readonly connections: number;
  readonly rounds: number;
}

export const TARGETS = {
  node: { name: 'node:http (bare)', file: 'bench/targets/bare-node.ts', env: {} },
  express: { name: 'express route (bare)', file: 'bench/targets/bare-express.ts', env: {} },
  naive: { name: 'naive gateway', file: 'bench/targets/naive-gateway.ts', env: {} },
  gateway: { name: 'wxq gateway', file: 'bench/targets/gateway.ts', env: {} },
  // What per-user ordering costs the gateway (one lane entry per push), in the same rounds.
  unordered: { name: 'wxq gateway, ordering off', file: 'bench/targets/gateway.ts', env: { WXQ_ORDERING: 'off' } },
  // What the deployed V8 flags (a smaller young generation, for memory) cost in throughput.
  deployedFlags: {
    name: `wxq gateway, ${GATEWAY_NODE_FLAGS.join(' ')}`,
    file: 'bench/targets/gateway.ts',
    env: { NODE_OPTIONS: GATEWAY_NODE_FLAGS.join(' ') },
  },
} as const;

/**
 * Starts every target (each in its own process), warms each up, then loads them in turn, round
 * after round, with the same signed pushes (fresh MsgIds) and the same connections. Interleaving
 * keeps the targets of one round seconds apart, so a drift in the machine's speed hits them alike.
 */
export async function runGatewayBench(options: GatewayBenchOptions): Promise<TargetRounds[]> {
  const logDir = await mkdtemp(join(tmpdir(), 'wxq-bench-'));
  const running: { name: string; target: RunningTarget; rounds: LoadResult[] }[] = [];
  try {
    for (const { name, file, env } of Object.values(TARGETS)) {
      const target = await startTarget(file, {
        ...env,
        REDIS_URL: options.redisUrl,
        WXQ_QUEUE_PREFIX: `{bench-${randomUUID().slice(0, 8)}}`,
        BENCH_LOG_DIR: logDir,
        TIMESTAMP_SKEW_SECONDS: '0',
      });
      running.push({ name, target, rounds: [] });
      await load(target.port, 2, options.connections); // warm-up: JIT, connections, Redis scripts
    }
    for (let round = 0; round < options.rounds; round += 1) {
      for (const entry of running)
        entry.rounds.push(await load(entry.target.port, options.durationSeconds, options.connections));
    }
  } finally {
    await Promise.all(running.map(({ target }) => target.stop()));
    await rm(logDir, { recursive: true, force: true });
  }
  return running.map(({ name, rounds }) => ({ name, rounds }));
}

async function load(port: number, durationSeconds: number, connections: number): Promise<LoadResult> {
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
