import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { measureCpu } from './cpu.js';
import { GATEWAY_NODE_FLAGS } from './memory-bench.js';
import { PUSH_PATH, nextPushBody } from './push-fixture.js';
import { type RunningTarget, canRun, startCommand, startTarget } from './run-target.js';

/** One target's load in one round. */
export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The target process's CPU use during the load; 100 is one core. */
  readonly cpuPct: number;
  /**
   * This bench process's CPU meanwhile (autocannon): near 100, the load generator, not the
   * target, set the pace.
   */
  readonly loadCpuPct: number;
  readonly non2xx: number;
  readonly errors: number;
}

/** A target's results, one per round, in round order. */
export interface TargetRounds {
  readonly id: GatewayTargetId;
  readonly name: string;
  readonly rounds: readonly LoadResult[];
}

export interface GatewayBenchOptions {
  readonly redisUrl: string;
  readonly durationSeconds: number;
  readonly connections: number;
  readonly rounds: number;
  /** Where every target runs (see pinning.ts); undefined: not pinned. */
  readonly targetCore: number | undefined;
}

/** Debian's own interpreter: the pyenv shim earlier on PATH has no python3-aiohttp. */
const PYTHON = '/usr/bin/python3';

interface TargetSpec {
  readonly name: string;
  /** A .ts file run by node + tsx, or a command line of its own. */
  readonly start: { readonly file: string } | { readonly command: string; readonly args: readonly string[] };
  readonly env: Readonly<Record<string, string>>;
}

export const TARGETS = {
  node: { name: 'node:http (bare)', start: { file: 'bench/targets/bare-node.ts' }, env: {} },
  express: { name: 'express route (bare)', start: { file: 'bench/targets/bare-express.ts' }, env: {} },
  wechat: { name: 'wechat middleware (express 5)', start: { file: 'bench/targets/wechat-middleware.ts' }, env: {} },
  aiohttp: {
    name: 'aiohttp (the seed server)',
    start: { command: PYTHON, args: ['bench/targets/aiohttp-server.py'] },
    env: {},
  },
  naive: { name: 'naive gateway', start: { file: 'bench/targets/naive-gateway.ts' }, env: {} },
  gateway: { name: 'wxq gateway', start: { file: 'bench/targets/gateway.ts' }, env: {} },
  // What per-user ordering costs the gateway (one lane entry per push), in the same rounds.
  unordered: {
    name: 'wxq gateway, ordering off',
    start: { file: 'bench/targets/gateway.ts' },
    env: { WXQ_ORDERING: 'off' },
  },
  // What the deployed V8 flags (a smaller young generation, for memory) cost in throughput.
  deployed_flags: {
    name: `wxq gateway, ${GATEWAY_NODE_FLAGS.join(' ')}`,
    start: { file: 'bench/targets/gateway.ts' },
    env: { NODE_OPTIONS: GATEWAY_NODE_FLAGS.join(' ') },
  },
} as const satisfies Record<string, TargetSpec>;

export type GatewayTargetId = keyof typeof TARGETS;

/** A target left out of this run, and how to bring it in. */
export interface SkippedTarget {
  readonly id: GatewayTargetId;
  readonly name: string;
  readonly reason: string;
}

/** The targets this machine can run: the aiohttp server needs Debian's python3-aiohttp. */
export function availableTargets(): { ids: GatewayTargetId[]; skipped: SkippedTarget[] } {
  const ids = Object.keys(TARGETS) as GatewayTargetId[];
  if (canRun(PYTHON, ['-c', 'import aiohttp'])) return { ids, skipped: [] };
  return {
    ids: ids.filter((id) => id !== 'aiohttp'),
    skipped: [
      {
        id: 'aiohttp',
        name: TARGETS.aiohttp.name,
        reason: `${PYTHON} cannot import aiohttp: apt-get install -y --no-install-recommends python3-aiohttp`,
      },
    ],
  };
}

/**
 * Starts every target (each in its own process), warms each up, then loads them in turn, round
 * after round, with the same signed pushes (fresh MsgIds) and the same connections. Interleaving
 * keeps the targets of one round seconds apart, so a drift in the machine's speed hits them alike.
 */
export async function runGatewayBench(
  options: GatewayBenchOptions,
  ids: readonly GatewayTargetId[],
): Promise<TargetRounds[]> {
  const logDir = await mkdtemp(join(tmpdir(), 'wxq-bench-'));
  const running: { id: GatewayTargetId; name: string; target: RunningTarget; rounds: LoadResult[] }[] = [];
  try {
    for (const id of ids) {
      const spec: TargetSpec = TARGETS[id];
      const env = {
        ...spec.env,
        REDIS_URL: options.redisUrl,
        WXQ_QUEUE_PREFIX: `{bench-${randomUUID().slice(0, 8)}}`,
        BENCH_LOG_DIR: logDir,
        TIMESTAMP_SKEW_SECONDS: '0',
      };
      const start = { core: options.targetCore };
      const target =
        'file' in spec.start
          ? await startTarget(spec.start.file, env, start)
          : await startCommand(spec.start.command, spec.start.args, env, start);
      running.push({ id, name: spec.name, target, rounds: [] });
      // Warm-up: JIT, connections, Redis scripts.
      await alone(target, running, () => load(target, 2, options.connections));
    }
    for (let round = 0; round < options.rounds; round += 1) {
      for (const entry of running)
        entry.rounds.push(
          await alone(entry.target, running, () => load(entry.target, options.durationSeconds, options.connections)),
        );
    }
  } finally {
    for (const { target } of running) signal(target, 'SIGCONT');
    await Promise.all(running.map(({ target }) => target.stop()));
    await rm(logDir, { recursive: true, force: true });
  }
  return running.map(({ id, name, rounds }) => ({ id, name, rounds }));
}

/**
 * Runs `work` with every other target stopped (SIGSTOP, then SIGCONT). They share the target core,
 * and a server that has just been loaded is not idle: V8 collects the garbage of its round soon
 * after, which landed in the next target's round as a stall of tens of ms (the wxq gateway's
 * p99 read 31-34 ms in the bench against 10-11 ms when loaded alone).
 */
async function alone<T>(
  target: RunningTarget,
  all: readonly { readonly target: RunningTarget }[],
  work: () => Promise<T>,
): Promise<T> {
  const others = all.map((entry) => entry.target).filter((other) => other !== target);
  for (const other of others) signal(other, 'SIGSTOP');
  try {
    return await work();
  } finally {
    for (const other of others) signal(other, 'SIGCONT');
  }
}

function signal(target: RunningTarget, name: 'SIGSTOP' | 'SIGCONT'): void {
  try {
    process.kill(target.pid, name);
  } catch {
    // Already gone: its stop() says so.
  }
}

async function load(target: RunningTarget, durationSeconds: number, connections: number): Promise<LoadResult> {
  const { result, perProcessPct } = await measureCpu([target.pid, process.pid], () =>
    autocannon({
      url: `http://127.0.0.1:${target.port}`,
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
    }),
  );
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuPct: perProcessPct[0] ?? Number.NaN,
    loadCpuPct: perProcessPct[1] ?? Number.NaN,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
