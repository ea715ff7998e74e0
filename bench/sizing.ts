// How many processes and Redis masters a push rate needs, from measured costs per push. Pure:
// the capacity bench measures, this turns its figures into a plan (docs/capacity.md).

/** What one push cost, as the capacity bench measured it. */
export interface PushCosts {
  readonly gatewayCpuMs: number;
  readonly workerCpuMs: number;
  readonly redisCpuMs: number;
  /** Redis network traffic, into and out of Redis. */
  readonly redisBytesIn: number;
  readonly redisBytesOut: number;
  /** Redis memory still held once the push is done (its completed job, kept for dedup). */
  readonly redisRetainedBytes: number;
}

export interface SizingAssumptions {
  /** The share of a core a process may use: 0.7 leaves 30 % for bursts and the machine. */
  readonly headroom: number;
  /** How long a completed push stays in Redis (DEDUP_WINDOW_SECONDS). */
  readonly retentionSeconds: number;
}

export const DEFAULT_ASSUMPTIONS: SizingAssumptions = { headroom: 0.7, retentionSeconds: 600 };

/** What one rate needs. */
export interface Sizing {
  readonly pushesPerSecond: number;
  /** Node is one event loop: one gateway or worker process per core. */
  readonly gatewayCores: number;
  readonly gateways: number;
  readonly workerCores: number;
  readonly workers: number;
  /** Redis executes commands on one thread: the masters (= WXQ_QUEUE_SHARDS) its CPU calls for. */
  readonly redisCores: number;
  readonly redisMasters: number;
  readonly redisMegabytesPerSecondIn: number;
  readonly redisMegabytesPerSecondOut: number;
  /** Memory the completed pushes of one retention period hold, all masters together. */
  readonly redisRetainedGigabytes: number;
}

/** cores = rate × ms per push / 1000; processes (or masters) = ceil(cores / headroom). */
export function sizeFor(
  pushesPerSecond: number,
  costs: PushCosts,
  assumptions: SizingAssumptions = DEFAULT_ASSUMPTIONS,
): Sizing {
  const cores = (msPerPush: number) => (pushesPerSecond * msPerPush) / 1000;
  // Rounded before ceil: 0.07 ms × 10k/s is 0.7000000000000001 cores in floating point, not 2 masters.
  const units = (msPerPush: number) => Math.max(1, Math.ceil(round(cores(msPerPush) / assumptions.headroom, 6)));
  const perSecond = (bytes: number) => round((pushesPerSecond * bytes) / 1e6, 1);
  return {
    pushesPerSecond,
    gatewayCores: round(cores(costs.gatewayCpuMs), 2),
    gateways: units(costs.gatewayCpuMs),
    workerCores: round(cores(costs.workerCpuMs), 2),
    workers: units(costs.workerCpuMs),
    redisCores: round(cores(costs.redisCpuMs), 2),
    redisMasters: units(costs.redisCpuMs),
    redisMegabytesPerSecondIn: perSecond(costs.redisBytesIn),
    redisMegabytesPerSecondOut: perSecond(costs.redisBytesOut),
    redisRetainedGigabytes: round((pushesPerSecond * assumptions.retentionSeconds * costs.redisRetainedBytes) / 1e9, 2),
  };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
