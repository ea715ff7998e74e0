// What one push costs each part of a deployment: the real gateway and worker processes (the
// defaults: per-user ordering and the quota ledger on) and Redis, measured across the window in
// which N signed pushes are sent at a steady rate below saturation and every one is replied at
// the WeChat API simulator. docs/capacity.md turns the figures into a plan.
import { measureCpu } from './cpu.js';
import { sendPaced, startDeployment } from './deployment.js';
import { type RedisDelta, parseRedisInfo, redisDelta } from './redis-info.js';

export interface CapacityOptions {
  readonly redisUrl: string;
  readonly pushes: number;
  /** The steady rate the pushes are sent at: below what the processes sustain. */
  readonly pushesPerSecond: number;
  /** Where the gateway and the worker run (see pinning.ts); undefined: not pinned. */
  readonly targetCore: number | undefined;
}

/** One configuration's costs across its window, per push. */
export interface CapacityResult {
  readonly id: CapacityConfigurationId;
  readonly name: string;
  readonly pushes: number;
  /** From the first push sent to the last reply accepted by the simulator. */
  readonly seconds: number;
  readonly gatewayCpuMsPerPush: number;
  readonly workerCpuMsPerPush: number;
  /** Redis's process CPU (every thread). */
  readonly redisCpuMsPerPush: number;
  /** Redis's main thread, which executes the commands. */
  readonly redisMainThreadCpuMsPerPush: number | undefined;
  /** This bench process (the pacer and the WeChat API simulator): not part of a deployment. */
  readonly benchCpuMsPerPush: number;
  /** Redis commands per push: total_commands_processed, and commandstats per command. */
  readonly redisCommandsPerPush: number;
  readonly redisCallsPerPush: Readonly<Record<string, number>>;
  readonly redisBytesInPerPush: number;
  readonly redisBytesOutPerPush: number;
  /** used_memory once every push is done: the completed jobs kept for the dedup window. */
  readonly redisRetainedBytesPerPush: number;
  /** Pushes not answered 200 by the gateway (the figures then do not compare). */
  readonly failedPushes: number;
}

const CAPACITY_CONFIGURATIONS = {
  defaults: { name: 'wxq defaults (ordering + ledger on)', env: {} },
  plain: {
    name: 'ordering + ledger off',
    env: { WXQ_ORDERING: 'off', WXQ_CS_QUOTA: 'off' },
  },
} as const satisfies Record<string, { name: string; env: Readonly<Record<string, string>> }>;

export type CapacityConfigurationId = keyof typeof CAPACITY_CONFIGURATIONS;

/** The defaults, then ordering and the ledger off, one after the other on the same Redis. */
export async function runCapacityBench(options: CapacityOptions): Promise<CapacityResult[]> {
  const results: CapacityResult[] = [];
  for (const [id, configuration] of Object.entries(CAPACITY_CONFIGURATIONS) as [
    CapacityConfigurationId,
    (typeof CAPACITY_CONFIGURATIONS)[CapacityConfigurationId],
  ][])
    results.push(await runConfiguration(options, id, configuration.name, configuration.env));
  return results;
}

async function runConfiguration(
  options: CapacityOptions,
  id: CapacityConfigurationId,
  name: string,
  settings: Readonly<Record<string, string>>,
): Promise<CapacityResult> {
  const deployment = await startDeployment({
    redisUrl: options.redisUrl,
    targetCore: options.targetCore,
    env: settings,
  });
  const { gateway, worker, sim, redis } = deployment;
  try {
    const benchBefore = process.cpuUsage();
    const measured = await measureCpu([gateway.pid, worker.pid], async () => {
      const before = parseRedisInfo(await redis.info('everything'));
      const started = performance.now();
      const statuses = await sendPaced(options.pushes, options.pushesPerSecond, deployment.push);
      await sim.waitForSends(options.pushes + 1, 120_000 + (options.pushes * 1000) / options.pushesPerSecond);
      const seconds = (performance.now() - started) / 1000;
      const after = parseRedisInfo(await redis.info('everything'));
      return { seconds, delta: redisDelta(before, after), failed: statuses.filter((s) => s !== 200).length };
    });
    const bench = process.cpuUsage(benchBefore);
    const [gatewayMs = 0, workerMs = 0] = measured.perProcessMs;
    return figures(options.pushes, id, name, measured.result, {
      gatewayMs,
      workerMs,
      benchMs: (bench.user + bench.system) / 1000,
    });
  } finally {
    await deployment.stop();
  }
}

function figures(
  pushes: number,
  id: CapacityConfigurationId,
  name: string,
  window: { seconds: number; delta: RedisDelta; failed: number },
  cpu: { gatewayMs: number; workerMs: number; benchMs: number },
): CapacityResult {
  const per = (value: number, digits = 3) => round(value / pushes, digits);
  const { delta } = window;
  return {
    id,
    name,
    pushes,
    seconds: round(window.seconds, 1),
    gatewayCpuMsPerPush: per(cpu.gatewayMs),
    workerCpuMsPerPush: per(cpu.workerMs),
    redisCpuMsPerPush: per(delta.cpuMs),
    redisMainThreadCpuMsPerPush: delta.mainThreadCpuMs === undefined ? undefined : per(delta.mainThreadCpuMs),
    benchCpuMsPerPush: per(cpu.benchMs),
    redisCommandsPerPush: per(delta.commandsProcessed, 2),
    redisCallsPerPush: Object.fromEntries(
      Object.entries(delta.calls)
        .sort(([, a], [, b]) => b - a)
        .map(([command, calls]) => [command, per(calls, 2)]),
    ),
    redisBytesInPerPush: per(delta.netInputBytes, 0),
    redisBytesOutPerPush: per(delta.netOutputBytes, 0),
    redisRetainedBytesPerPush: per(delta.usedMemoryBytes, 0),
    failedPushes: window.failed,
  };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
