// What a run measured, as figures a machine can compare across commits (bench/results/latest.json),
// the gateway's goals (issue 12) and the soak's checks (issue 13) judged from them. Pure: run.ts
// gathers, prints and writes.
import type { CampaignDrainRound } from './campaign-drain-bench.js';
import type { CapacityResult } from './capacity-bench.js';
import type { E2eRounds } from './e2e-bench.js';
import type { GatewayTargetId, LoadResult, TargetRounds } from './gateway-bench.js';
import type { LockCostResult } from './lock-cost-bench.js';
import type { MemoryResult } from './memory-bench.js';
import type { HeldPushesResult, PassiveRounds } from './passive-bench.js';
import type { RetentionResult } from './retention-bench.js';
import { type PushCosts, type Sizing, sizeFor } from './sizing.js';
import type { MemorySample, SoakResult, SoakSample } from './soak-bench.js';
import { median, ratios } from './stats.js';

/** Each ratio of the gateway table and the baseline it divides by (req/s, or p99 for p99_x_express). */
const BASELINES = {
  x_express: 'express',
  x_node: 'node',
  x_wechat: 'wechat',
  x_aiohttp: 'aiohttp',
  p99_x_express: 'express',
} as const satisfies Record<string, GatewayTargetId>;

export type GatewayRatioKey = keyof typeof BASELINES;

/** A target's per-round ratios against every baseline that ran in this run. */
export function gatewayRatios(
  target: TargetRounds,
  all: readonly TargetRounds[],
): Partial<Record<GatewayRatioKey, number[]>> {
  const result: Partial<Record<GatewayRatioKey, number[]>> = {};
  for (const [key, baselineId] of Object.entries(BASELINES) as [GatewayRatioKey, GatewayTargetId][]) {
    const baseline = all.find((t) => t.id === baselineId);
    if (baseline === undefined) continue;
    const field = key === 'p99_x_express' ? 'p99Ms' : 'requestsPerSecond';
    result[key] = ratios(
      target.rounds.map((r) => r[field]),
      baseline.rounds.map((r) => r[field]),
    );
  }
  return result;
}

/** One of the gateway's goals, judged by the median of its per-round ratio. */
export interface Goal {
  readonly kind: 'must' | 'aim';
  readonly goal: string;
  readonly measured: number | undefined;
  readonly status: 'PASS' | 'MISS' | 'not measured';
}

// Issue 12 §1: must at least match bare Express with everything on, clearly beat the `wechat`
// middleware, and not pay for it in tail latency; aim to match the seed server.
const GOALS = [
  { kind: 'must', goal: 'req/s >= 1.05x express', key: 'x_express', isMet: (ratio: number) => ratio >= 1.05 },
  { kind: 'must', goal: 'req/s >= 1.4x wechat', key: 'x_wechat', isMet: (ratio: number) => ratio >= 1.4 },
  { kind: 'must', goal: 'p99 <= express p99', key: 'p99_x_express', isMet: (ratio: number) => ratio <= 1 },
  { kind: 'aim', goal: 'req/s >= 1.0x aiohttp', key: 'x_aiohttp', isMet: (ratio: number) => ratio >= 1 },
] as const satisfies readonly {
  kind: Goal['kind'];
  goal: string;
  key: GatewayRatioKey;
  isMet: (ratio: number) => boolean;
}[];

/** The goals, from the wxq gateway's median ratios; a baseline that did not run is "not measured". */
export function gatewayGoals(medians: Partial<Record<GatewayRatioKey, number>>): Goal[] {
  return GOALS.map(({ kind, goal, key, isMet }) => {
    const measured = medians[key];
    if (measured === undefined || Number.isNaN(measured))
      return { kind, goal, measured: undefined, status: 'not measured' };
    return { kind, goal, measured, status: isMet(measured) ? 'PASS' : 'MISS' };
  });
}

// Issue 13: a gateway fits a small pod (128 MB limits are common), as deployed (its flags); a
// worker draining at concurrency 50 stays under 150 MB.
const MEMORY_GOALS = [
  { id: 'gateway_deployed_flags', goal: 'gateway idle <= 70 MB', of: 'idleMb', limit: 70 },
  { id: 'gateway_deployed_flags', goal: 'gateway loaded <= 120 MB', of: 'loadedMb', limit: 120 },
  { id: 'worker', goal: 'worker draining <= 150 MB', of: 'loadedMb', limit: 150 },
] as const satisfies readonly {
  id: MemoryResult['id'];
  goal: string;
  of: 'idleMb' | 'loadedMb';
  limit: number;
}[];

/** The memory goals, from one run's processes; a process that did not run is "not measured". */
export function memoryGoals(processes: readonly MemoryResult[]): Goal[] {
  return MEMORY_GOALS.map(({ id, goal, of, limit }) => {
    const measured = processes.find((p) => p.id === id)?.[of];
    if (measured === undefined) return { kind: 'must', goal, measured: undefined, status: 'not measured' };
    return { kind: 'must', goal, measured, status: measured <= limit ? 'PASS' : 'MISS' };
  });
}

// Issue 12 §2: with ordering and the ledger on, one worker process drains at least 0.35x what
// BullMQ's own no-op worker does in the same round.
const E2E_GOAL = { goal: 'drain >= 0.35x BullMQ no-op', limit: 0.35 } as const;

/** The end-to-end goal, from the median of the wxq worker's per-round ratios to the no-op's. */
export function e2eGoals(configurations: readonly E2eRounds[]): Goal[] {
  const perSecond = (id: E2eRounds['id']) =>
    configurations.find((c) => c.id === id)?.rounds.map((r) => r.messagesPerSecond) ?? [];
  const perRound = ratios(perSecond('worker'), perSecond('noop'));
  if (perRound.length === 0 || perRound.some(Number.isNaN))
    return [{ kind: 'must', goal: E2E_GOAL.goal, measured: undefined, status: 'not measured' }];
  const measured = round(median(perRound), 3);
  return [{ kind: 'must', goal: E2E_GOAL.goal, measured, status: measured >= E2E_GOAL.limit ? 'PASS' : 'MISS' }];
}

/**
 * Per round: the gateway's push p99 with a campaign draining over its p99 without; the worker's CPU
 * per template send over the baseline's per POST.
 */
export function campaignDrainRatios(rounds: readonly CampaignDrainRound[]): { p99: number[]; cpu: number[] } {
  return {
    p99: ratios(
      rounds.map((r) => r.withCampaign.p99Ms),
      rounds.map((r) => r.withoutCampaign.p99Ms),
    ),
    cpu: ratios(
      rounds.map((r) => r.wxqTemplate.cpuMsPerSend),
      rounds.map((r) => r.baselineTemplate.cpuMsPerSend),
    ),
  };
}

// Issue 24: a campaign draining at full pace leaves the gateway's tail latency as it was, and a
// template send costs the worker at most half again what the bare job and POST cost.
const CAMPAIGN_DRAIN_GOALS = [
  { goal: 'push p99 while a campaign drains <= 1.1x without', of: 'p99', limit: 1.1 },
  { goal: 'worker cpu per template send <= 1.5x baseline per POST', of: 'cpu', limit: 1.5 },
] as const satisfies readonly { goal: string; of: 'p99' | 'cpu'; limit: number }[];

/** The campaign goals, from the median of the per-round ratios. */
export function campaignDrainGoals(rounds: readonly CampaignDrainRound[]): Goal[] {
  const perRound = campaignDrainRatios(rounds);
  return CAMPAIGN_DRAIN_GOALS.map(({ goal, of, limit }) => {
    const values = perRound[of];
    if (values.length === 0 || values.some(Number.isNaN))
      return { kind: 'must', goal, measured: undefined, status: 'not measured' };
    const measured = round(median(values), 3);
    return { kind: 'must', goal, measured, status: measured <= limit ? 'PASS' : 'MISS' };
  });
}

/** The median of each per-round ratio. */
export function medianRatios(
  perRound: Partial<Record<GatewayRatioKey, number[]>>,
): Partial<Record<GatewayRatioKey, number>> {
  const result: Partial<Record<GatewayRatioKey, number>> = {};
  for (const [key, values] of Object.entries(perRound) as [GatewayRatioKey, number[]][])
    result[key] = round(median(values), 3);
  return result;
}

/** Where the run happened: enough to tell whether two latest.json files compare. */
export interface RunMeta {
  readonly date: string;
  readonly commit: string;
  /** Uncommitted changes in the work tree: the figures are not quite of `commit`. */
  readonly dirty: boolean;
  readonly node: string;
  readonly cores: number;
  readonly cpu_model: string;
  readonly pinning: string;
  readonly rounds: number;
  readonly duration_seconds: number;
  readonly connections: number;
}

/** The sections one run measured; a section that did not run is absent. */
export interface BenchSections {
  readonly gateway?: readonly TargetRounds[];
  readonly e2e?: readonly E2eRounds[];
  readonly passive?: { readonly modes: readonly PassiveRounds[]; readonly held: HeldPushesResult };
  readonly memory?: readonly MemoryResult[];
  readonly capacity?: readonly CapacityResult[];
  readonly retention?: readonly RetentionResult[];
  readonly locks?: LockCostResult;
  readonly campaignDrain?: readonly CampaignDrainRound[];
  readonly soak?: SoakRun;
}

/** A soak as it was asked for, and what it saw. */
export interface SoakRun {
  readonly pushes: number;
  readonly sampleEvery: number;
  readonly result: SoakResult;
}

/** One of the soak's checks; the growth checks compare the last sample with the first. */
export interface SoakCheck {
  readonly check: string;
  readonly status: 'PASS' | 'MISS';
  /** The growth checks: the last sample against the first, in percent (NaN: no samples). */
  readonly growthPct?: number;
}

/** The most the last sample may differ from the first, either way. */
export const SOAK_GROWTH_LIMIT_PCT = 10;

/**
 * RSS and heap after GC of both processes within ±10 % of the first sample (heap after GC is the
 * leak signal: RSS also holds what V8 and the allocator keep for reuse), and every push answered
 * `success` and replied exactly once.
 */
export function soakChecks(run: SoakRun): SoakCheck[] {
  const { samples } = run.result;
  const first = samples[0];
  const last = samples.at(-1);
  const growth = (check: string, pick: (s: SoakSample) => number): SoakCheck => {
    const pct = first === undefined || last === undefined ? Number.NaN : (pick(last) / pick(first) - 1) * 100;
    return { check, status: Math.abs(pct) <= SOAK_GROWTH_LIMIT_PCT ? 'PASS' : 'MISS', growthPct: pct };
  };
  const { answeredSuccess, replied, failed } = run.result;
  const allReplied = answeredSuccess === run.pushes && replied === run.pushes && failed === 0;
  return [
    growth('gateway RSS', (s) => s.gateway.rssMb),
    growth('gateway heap after GC', (s) => s.gateway.heapUsedMb),
    growth('worker RSS', (s) => s.worker.rssMb),
    growth('worker heap after GC', (s) => s.worker.heapUsedMb),
    { check: 'every push replied', status: allReplied ? 'PASS' : 'MISS' },
  ];
}

/** latest.json: medians over the rounds, ratios as the median of the per-round ratios, and each round's figures. */
export function buildResults(meta: RunMeta, sections: BenchSections): Record<string, unknown> {
  const results: Record<string, unknown> = { meta };
  if (sections.gateway !== undefined) Object.assign(results, gatewayResults(sections.gateway));
  if (sections.e2e !== undefined) results['e2e'] = e2eResults(sections.e2e);
  if (sections.passive !== undefined) results['passive'] = passiveResults(sections.passive);
  if (sections.memory !== undefined) results['memory'] = memoryResults(sections.memory);
  if (sections.capacity !== undefined) results['capacity'] = capacityResults(sections.capacity);
  if (sections.retention !== undefined) results['retention'] = retentionResults(sections.retention);
  if (sections.locks !== undefined) results['locks'] = lockResults(sections.locks);
  if (sections.campaignDrain !== undefined) results['campaign_drain'] = campaignDrainResults(sections.campaignDrain);
  if (sections.soak !== undefined) results['soak'] = soakResults(sections.soak);
  return results;
}

function gatewayResults(targets: readonly TargetRounds[]): Record<string, unknown> {
  const gateway: Record<string, unknown> = {};
  const ratiosById: Record<string, unknown> = {};
  for (const target of targets) {
    const of = (field: Exclude<keyof LoadResult, 'non2xx' | 'errors'>) => median(target.rounds.map((r) => r[field]));
    gateway[target.id] = {
      name: target.name,
      rps: round(of('requestsPerSecond'), 1),
      p50_ms: of('p50Ms'),
      p99_ms: of('p99Ms'),
      cpu_pct: round(of('cpuPct'), 1),
      bench_cpu_pct: round(of('loadCpuPct'), 1),
      non2xx: sum(target.rounds.map((r) => r.non2xx)),
      errors: sum(target.rounds.map((r) => r.errors)),
      // Round by round, so a run's spread (and a disturbed round) can be read afterwards.
      rounds: target.rounds.map((r) => ({
        rps: round(r.requestsPerSecond, 1),
        p50_ms: r.p50Ms,
        p99_ms: r.p99Ms,
        cpu_pct: r.cpuPct,
      })),
    };
    ratiosById[target.id] = medianRatios(gatewayRatios(target, targets));
  }
  const wxq = targets.find((t) => t.id === 'gateway');
  const goals = wxq === undefined ? undefined : gatewayGoals(medianRatios(gatewayRatios(wxq, targets)));
  return { gateway, ratios: ratiosById, ...(goals === undefined ? {} : { goals }) };
}

function e2eResults(configurations: readonly E2eRounds[]): Record<string, unknown> {
  const noop = configurations.find((c) => c.id === 'noop');
  const perSecond = (c: E2eRounds | undefined) => c?.rounds.map((r) => r.messagesPerSecond) ?? [];
  const result: Record<string, unknown> = {};
  for (const c of configurations) {
    const latency = (field: 'p50Ms' | 'p99Ms') => {
      const values = c.rounds.flatMap((r) => (r[field] === undefined ? [] : [r[field]]));
      return values.length === 0 ? undefined : median(values);
    };
    result[c.id] = {
      name: c.name,
      msgs_per_s: round(median(perSecond(c)), 1),
      ...(noop === undefined ? {} : { x_noop: round(median(ratios(perSecond(c), perSecond(noop))), 3) }),
      p50_ms: latency('p50Ms'),
      p99_ms: latency('p99Ms'),
      cpu_pct: round(median(c.rounds.map((r) => r.cpuPct)), 1),
      cpu_ms_per_msg: round(median(c.rounds.map((r) => r.cpuMsPerMessage)), 3),
      rounds: c.rounds.map((r) => ({
        msgs_per_s: round(r.messagesPerSecond, 1),
        cpu_ms_per_msg: r.cpuMsPerMessage,
        p50_ms: r.p50Ms,
        p99_ms: r.p99Ms,
      })),
    };
  }
  result['goals'] = e2eGoals(configurations);
  return result;
}

function passiveResults(passive: NonNullable<BenchSections['passive']>): Record<string, unknown> {
  const cs = passive.modes.find((m) => m.id === 'customer-service');
  const p99 = (m: PassiveRounds | undefined) => m?.rounds.map((r) => r.p99Ms) ?? [];
  const modes: Record<string, unknown> = {};
  for (const m of passive.modes) {
    modes[m.id] = {
      name: m.name,
      rps: round(median(m.rounds.map((r) => r.requestsPerSecond)), 1),
      p50_ms: median(m.rounds.map((r) => r.p50Ms)),
      p99_ms: median(p99(m)),
      ...(cs === undefined ? {} : { p99_x_customer_service: round(median(ratios(p99(m), p99(cs))), 3) }),
      passive_answers: sum(m.rounds.map((r) => r.passiveAnswers)),
      answers: sum(m.rounds.map((r) => r.answers)),
      errors: sum(m.rounds.map((r) => r.errors)),
    };
  }
  const { held } = passive;
  return {
    modes,
    held: {
      held: held.held,
      rss_idle_mb: held.rssIdleMb,
      rss_holding_mb: held.rssHoldingMb,
      answered_success: held.answeredSuccess,
    },
  };
}

function memoryResults(processes: readonly MemoryResult[]): Record<string, unknown> {
  return Object.fromEntries(
    processes.map((p) => [
      p.id,
      {
        name: p.name,
        started_mb: p.startedMb,
        idle_mb: p.idleMb,
        loaded_mb: p.loadedMb,
        load: p.load,
        ...(p.requestsPerSecond === undefined ? {} : { rps: p.requestsPerSecond }),
      },
    ]),
  );
}

/** The rates docs/capacity.md sizes for. */
const SIZED_RATES = [10_000, 100_000] as const;

/** A capacity configuration's costs per push, as the sizing takes them. */
function pushCosts(result: CapacityResult): PushCosts {
  return {
    gatewayCpuMs: result.gatewayCpuMsPerPush,
    workerCpuMs: result.workerCpuMsPerPush,
    redisCpuMs: result.redisCpuMsPerPush,
    redisBytesIn: result.redisBytesInPerPush,
    redisBytesOut: result.redisBytesOutPerPush,
    redisRetainedBytes: result.redisRetainedBytesPerPush,
  };
}

/** Each rate of SIZED_RATES, sized from one configuration's costs. */
export function sizings(result: CapacityResult): Sizing[] {
  return SIZED_RATES.map((rate) => sizeFor(rate, pushCosts(result)));
}

function capacityResults(configurations: readonly CapacityResult[]): Record<string, unknown> {
  return Object.fromEntries(
    configurations.map((c) => [
      c.id,
      {
        name: c.name,
        pushes: c.pushes,
        seconds: c.seconds,
        gateway_cpu_ms_per_push: c.gatewayCpuMsPerPush,
        worker_cpu_ms_per_push: c.workerCpuMsPerPush,
        redis_cpu_ms_per_push: c.redisCpuMsPerPush,
        redis_main_thread_cpu_ms_per_push: c.redisMainThreadCpuMsPerPush,
        bench_cpu_ms_per_push: c.benchCpuMsPerPush,
        redis_commands_per_push: c.redisCommandsPerPush,
        redis_calls_per_push: c.redisCallsPerPush,
        redis_bytes_in_per_push: c.redisBytesInPerPush,
        redis_bytes_out_per_push: c.redisBytesOutPerPush,
        redis_retained_bytes_per_push: c.redisRetainedBytesPerPush,
        failed_pushes: c.failedPushes,
        sizing: sizings(c).map(snakeCase),
      },
    ]),
  );
}

function retentionResults(windows: readonly RetentionResult[]): Record<string, unknown> {
  return { windows: windows.map((w) => ({ ...snakeCase(w), kinds: w.kinds.map(snakeCase) })) };
}

/** used_memory held per push while it is kept: bytes held per push/s over the seconds each is kept. */
export function heldBytesPerPush(result: RetentionResult): number {
  return Math.round(result.bytesPerPushPerSecond / result.keptSeconds);
}

function lockResults(locks: LockCostResult): Record<string, unknown> {
  return Object.fromEntries(
    locks.map(({ id, name, rounds }) => [id, { name, idle_commands_per_s: median(rounds), rounds }]),
  );
}

function campaignDrainResults(rounds: readonly CampaignDrainRound[]): Record<string, unknown> {
  const perRound = campaignDrainRatios(rounds);
  return {
    p99_with_campaign_x_without: round(median(perRound.p99), 3),
    cpu_per_template_send_x_baseline: round(median(perRound.cpu), 3),
    goals: campaignDrainGoals(rounds),
    rounds: rounds.map((r) => ({
      without_campaign: snakeCase(r.withoutCampaign),
      with_campaign: snakeCase(r.withCampaign),
      wxq_template: snakeCase(r.wxqTemplate),
      baseline_template: snakeCase(r.baselineTemplate),
    })),
  };
}

function snakeCase(record: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]),
  );
}

function soakResults(run: SoakRun): Record<string, unknown> {
  const memory = (m: MemorySample) => ({
    rss_mb: m.rssMb,
    heap_used_mb: m.heapUsedMb,
    external_mb: m.externalMb,
    array_buffers_mb: m.arrayBuffersMb,
  });
  const { samples, answeredSuccess, failed, replied } = run.result;
  return {
    pushes: run.pushes,
    sample_every: run.sampleEvery,
    samples: samples.map((s) => ({
      pushes: s.pushes,
      pushes_per_s: s.rate,
      gateway: memory(s.gateway),
      worker: memory(s.worker),
    })),
    answered_success: answeredSuccess,
    failed,
    replied,
    checks: soakChecks(run).map((c) => ({
      check: c.check,
      status: c.status,
      ...(c.growthPct === undefined ? {} : { growth_pct: round(c.growthPct, 1), limit_pct: SOAK_GROWTH_LIMIT_PCT }),
    })),
  };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
