import { describe, expect, it } from 'vitest';
import type { CampaignDrainRound } from './campaign-drain-bench.js';
import type { E2eRounds } from './e2e-bench.js';
import type { LoadResult, TargetRounds } from './gateway-bench.js';
import {
  type RunMeta,
  type SoakRun,
  buildResults,
  campaignDrainGoals,
  campaignDrainRatios,
  e2eGoals,
  gatewayGoals,
  gatewayRatios,
  medianRatios,
  memoryGoals,
  heldBytesPerPush,
  soakChecks,
} from './report.js';
import type { MemorySample } from './soak-bench.js';

function rounds(...perRound: [rps: number, p99Ms: number][]): LoadResult[] {
  return perRound.map(([requestsPerSecond, p99Ms]) => ({
    requestsPerSecond,
    p50Ms: p99Ms / 4,
    p99Ms,
    cpuPct: 99.5,
    loadCpuPct: 60,
    non2xx: 0,
    errors: 0,
  }));
}

const EXPRESS: TargetRounds = { id: 'express', name: 'express', rounds: rounds([8000, 20], [10000, 16]) };
const WECHAT: TargetRounds = { id: 'wechat', name: 'wechat', rounds: rounds([5000, 30], [6000, 28]) };
const GATEWAY: TargetRounds = { id: 'gateway', name: 'wxq', rounds: rounds([8800, 18], [10000, 20]) };

const META: RunMeta = {
  date: '2026-12-02T14:00:00.000Z',
  commit: 'abc123',
  dirty: false,
  node: 'v20.19.0',
  cores: 2,
  cpu_model: 'test cpu',
  pinning: 'none: test',
  rounds: 2,
  duration_seconds: 10,
  connections: 50,
};

describe('gateway ratios and goals', () => {
  it('pairs every round with the same round of each baseline that ran', () => {
    const x = gatewayRatios(GATEWAY, [EXPRESS, WECHAT, GATEWAY]);
    expect(x.x_express).toEqual([1.1, 1]);
    expect(x.x_wechat).toEqual([1.76, 10000 / 6000]);
    expect(x.p99_x_express).toEqual([0.9, 1.25]);
    // node:http and aiohttp did not run: no ratio rather than NaN.
    expect(x).not.toHaveProperty('x_node');
    expect(x).not.toHaveProperty('x_aiohttp');
  });

  it('judges each goal by the median ratio, and says which baseline was missing', () => {
    const goals = gatewayGoals(medianRatios(gatewayRatios(GATEWAY, [EXPRESS, WECHAT, GATEWAY])));
    expect(goals.map((g) => [g.goal, g.status, g.measured])).toEqual([
      ['req/s >= 1.05x express', 'PASS', 1.05],
      ['req/s >= 1.4x wechat', 'PASS', 1.713],
      ['p99 <= express p99', 'MISS', 1.075],
      ['req/s >= 1.0x aiohttp', 'not measured', undefined],
    ]);
    expect(goals.map((g) => g.kind)).toEqual(['must', 'must', 'must', 'aim']);
  });
});

describe('latest.json', () => {
  it('holds only the sections that ran, with medians and median ratios per target', () => {
    const results = buildResults(META, { gateway: [EXPRESS, WECHAT, GATEWAY] });
    expect(Object.keys(results)).toEqual(['meta', 'gateway', 'ratios', 'goals']);
    expect(results['meta']).toEqual(META);
    expect(results['gateway']).toMatchObject({
      express: { rps: 9000, p50_ms: 4.5, p99_ms: 18, cpu_pct: 99.5, bench_cpu_pct: 60, non2xx: 0, errors: 0 },
      gateway: {
        name: 'wxq',
        rps: 9400,
        p99_ms: 19,
        rounds: [
          { rps: 8800, p50_ms: 4.5, p99_ms: 18, cpu_pct: 99.5 },
          { rps: 10000, p50_ms: 5, p99_ms: 20, cpu_pct: 99.5 },
        ],
      },
    });
    expect(results['ratios']).toMatchObject({
      gateway: { x_express: 1.05, x_wechat: 1.713, p99_x_express: 1.075 },
      express: { x_express: 1, x_wechat: 1.633 },
    });
    // Survives JSON as it is: no NaN turned into null.
    expect(JSON.parse(JSON.stringify(results))).toEqual(results);
  });

  it('gives the e2e figures against the no-op worker, latency where it was measured', () => {
    const results = buildResults(META, {
      e2e: [
        {
          id: 'noop',
          name: 'noop',
          rounds: [{ messagesPerSecond: 4000, cpuPct: 90, cpuMsPerMessage: 0.2, p50Ms: undefined, p99Ms: undefined }],
        },
        {
          id: 'worker',
          name: 'worker',
          rounds: [{ messagesPerSecond: 1000, cpuPct: 100, cpuMsPerMessage: 1, p50Ms: 3, p99Ms: 9 }],
        },
      ],
    });
    expect(Object.keys(results)).toEqual(['meta', 'e2e']);
    expect(results['e2e']).toEqual({
      noop: {
        name: 'noop',
        msgs_per_s: 4000,
        x_noop: 1,
        cpu_pct: 90,
        cpu_ms_per_msg: 0.2,
        rounds: [{ msgs_per_s: 4000, cpu_ms_per_msg: 0.2 }],
      },
      worker: {
        name: 'worker',
        msgs_per_s: 1000,
        x_noop: 0.25,
        p50_ms: 3,
        p99_ms: 9,
        cpu_pct: 100,
        cpu_ms_per_msg: 1,
        rounds: [{ msgs_per_s: 1000, cpu_ms_per_msg: 1, p50_ms: 3, p99_ms: 9 }],
      },
      goals: [{ kind: 'must', goal: 'drain >= 0.35x BullMQ no-op', measured: 0.25, status: 'MISS' }],
    });
  });

  it('gives the capacity figures per push and the sizing they imply at 10k and 100k pushes/s', () => {
    const results = buildResults(META, {
      capacity: [
        {
          id: 'defaults',
          name: 'defaults',
          pushes: 1000,
          seconds: 5,
          gatewayCpuMsPerPush: 0.35,
          workerCpuMsPerPush: 0.7,
          redisCpuMsPerPush: 0.07,
          redisMainThreadCpuMsPerPush: 0.07,
          benchCpuMsPerPush: 0.5,
          redisCommandsPerPush: 60,
          redisCallsPerPush: { evalsha: 8 },
          redisBytesInPerPush: 4000,
          redisBytesOutPerPush: 1000,
          redisRetainedBytesPerPush: 3000,
          failedPushes: 0,
        },
      ],
    });
    expect(Object.keys(results)).toEqual(['meta', 'capacity']);
    expect(results['capacity']).toMatchObject({
      defaults: {
        gateway_cpu_ms_per_push: 0.35,
        redis_calls_per_push: { evalsha: 8 },
        sizing: [
          // 3.5 gateway cores at 70 %: 5 processes; 7 worker cores: 10; 0.7 Redis cores: 1 master.
          { pushes_per_second: 10_000, gateways: 5, workers: 10, redis_masters: 1, redis_retained_gigabytes: 18 },
          {
            pushes_per_second: 100_000,
            gateways: 50,
            workers: 100,
            redis_masters: 10,
            redis_megabytes_per_second_in: 400,
          },
        ],
      },
    });
  });
  it('gives the memory rows by id, req/s for the servers only', () => {
    const results = buildResults(META, {
      memory: [
        {
          id: 'gateway_deployed_flags',
          name: 'wxq gateway, flags',
          startedMb: 75,
          idleMb: 60,
          loadedMb: 90,
          load: 'l',
          requestsPerSecond: 7000,
        },
        { id: 'worker', name: 'wxq worker', startedMb: 80, idleMb: 70, loadedMb: 120, load: 'drain' },
      ],
    });
    expect(results['memory']).toEqual({
      gateway_deployed_flags: {
        name: 'wxq gateway, flags',
        started_mb: 75,
        idle_mb: 60,
        loaded_mb: 90,
        load: 'l',
        rps: 7000,
      },
      worker: { name: 'wxq worker', started_mb: 80, idle_mb: 70, loaded_mb: 120, load: 'drain' },
    });
  });

  it('gives the retention windows by kind, and the lock cost by setting', () => {
    const window = {
      windowSeconds: 60,
      pushesPerSecond: 200,
      seconds: 110,
      heldBytes: 26_000_000,
      bytesPerPushPerSecond: 130_000,
      keptSeconds: 60,
      keyBytesPerPush: 1800,
      keysPerPushPerSecond: 2,
      growthBytesPerSecond: 10,
      boundedBytes: 3_000_000,
      perUserBytes: 250,
      users: 1000,
      kinds: [{ pattern: 'inbound:in-<push>', keys: 4000, bytes: 6_000_000, perPush: true }],
      failedPushes: 0,
    };
    const results = buildResults(META, {
      retention: [window],
      locks: [
        { id: 'wxq', name: 'wxq', rounds: [8, 7, 9] },
        { id: 'bullmq', name: 'bullmq', rounds: [4, 3] },
      ],
    });
    expect(results['retention']).toEqual({
      windows: [
        expect.objectContaining({
          window_seconds: 60,
          bytes_per_push_per_second: 130_000,
          key_bytes_per_push: 1800,
          kinds: [{ pattern: 'inbound:in-<push>', keys: 4000, bytes: 6_000_000, per_push: true }],
        }),
      ],
    });
    expect(heldBytesPerPush(window)).toBe(2167);
    expect(results['locks']).toEqual({
      wxq: { name: 'wxq', idle_commands_per_s: 8, rounds: [8, 7, 9] },
      bullmq: { name: 'bullmq', idle_commands_per_s: 3.5, rounds: [4, 3] },
    });
  });
});

describe('memory goals', () => {
  it('judges the deployed gateway idle and loaded and the draining worker; a process not run is not measured', () => {
    const goals = memoryGoals([
      { id: 'gateway_deployed_flags', name: 'g', startedMb: 84, idleMb: 70, loadedMb: 121, load: 'l' },
      { id: 'gateway', name: 'g defaults', startedMb: 84, idleMb: 50, loadedMb: 100, load: 'l' },
    ]);
    expect(goals.map((g) => [g.goal, g.status, g.measured])).toEqual([
      ['gateway idle <= 70 MB', 'PASS', 70],
      ['gateway loaded <= 120 MB', 'MISS', 121],
      ['worker draining <= 150 MB', 'not measured', undefined],
    ]);
  });
});

describe('e2e goal', () => {
  const drained = (id: E2eRounds['id'], ...perRound: number[]): E2eRounds => ({
    id,
    name: id,
    rounds: perRound.map((messagesPerSecond) => ({
      messagesPerSecond,
      cpuPct: 90,
      cpuMsPerMessage: 0.5,
      p50Ms: undefined,
      p99Ms: undefined,
    })),
  });

  it('judges the median of the per-round ratios of the wxq worker to the no-op, not the ratio of medians', () => {
    // Per round 0.4, 0.3 and 0.375: median 0.375, where the ratio of the medians is 1800 / 5000 = 0.36.
    const goals = e2eGoals([drained('noop', 5000, 6000, 4000), drained('worker', 2000, 1800, 1500)]);
    expect(goals).toEqual([{ kind: 'must', goal: 'drain >= 0.35x BullMQ no-op', measured: 0.375, status: 'PASS' }]);
    expect(e2eGoals([drained('noop', 5000), drained('worker', 1500)])[0]?.status).toBe('MISS');
  });

  it('is not measured without both the no-op and the wxq worker', () => {
    expect(e2eGoals([drained('worker', 2000)])[0]?.status).toBe('not measured');
    expect(e2eGoals([drained('noop', 5000)])[0]?.status).toBe('not measured');
  });
});

describe('soak', () => {
  const memory = (rssMb: number, heapUsedMb: number): MemorySample => ({
    rssMb,
    heapUsedMb,
    externalMb: 2,
    arrayBuffersMb: 1,
  });
  const run = (gatewayHeapLast: number, replied: number): SoakRun => ({
    pushes: 200,
    sampleEvery: 100,
    result: {
      samples: [
        { pushes: 100, rate: 500, gateway: memory(100, 20), worker: memory(150, 30) },
        { pushes: 200, rate: 520, gateway: memory(109, gatewayHeapLast), worker: memory(140, 31) },
      ],
      answeredSuccess: 200,
      failed: 0,
      replied,
    },
  });

  it('checks RSS and heap after GC of both processes against the first sample, and every reply', () => {
    expect(soakChecks(run(20.5, 200)).map((c) => [c.check, c.status, c.growthPct?.toFixed(1)])).toEqual([
      ['gateway RSS', 'PASS', '9.0'],
      ['gateway heap after GC', 'PASS', '2.5'],
      ['worker RSS', 'PASS', '-6.7'],
      ['worker heap after GC', 'PASS', '3.3'],
      ['every push replied', 'PASS', undefined],
    ]);
    // A heap that grew is a miss even while RSS stays within the limit; so is a reply missing.
    expect(
      soakChecks(run(23, 199))
        .filter((c) => c.status === 'MISS')
        .map((c) => c.check),
    ).toEqual(['gateway heap after GC', 'every push replied']);
  });

  it('writes the series and the checks to latest.json', () => {
    const results = buildResults(META, { soak: run(23, 200) });
    expect(Object.keys(results)).toEqual(['meta', 'soak']);
    expect(results['soak']).toMatchObject({
      pushes: 200,
      sample_every: 100,
      samples: [
        {
          pushes: 100,
          pushes_per_s: 500,
          gateway: { rss_mb: 100, heap_used_mb: 20, external_mb: 2, array_buffers_mb: 1 },
        },
        { pushes: 200, worker: { rss_mb: 140, heap_used_mb: 31 } },
      ],
      answered_success: 200,
      failed: 0,
      replied: 200,
      checks: [
        { check: 'gateway RSS', status: 'PASS', growth_pct: 9, limit_pct: 10 },
        { check: 'gateway heap after GC', status: 'MISS', growth_pct: 15, limit_pct: 10 },
        { check: 'worker RSS', status: 'PASS', growth_pct: -6.7 },
        { check: 'worker heap after GC', status: 'PASS', growth_pct: 3.3 },
        { check: 'every push replied', status: 'PASS' },
      ],
    });
    expect(JSON.parse(JSON.stringify(results))).toEqual(results);
  });
});

describe('campaign drain goals', () => {
  function drainRound(p99Without: number, p99With: number, wxqCpu: number, baselineCpu: number): CampaignDrainRound {
    const phase = { p50Ms: 2, pushes: 1000, failed: 0, gatewayCpuPct: 30, workerCpuPct: 20 };
    const cores = { targetCoreBusyPct: 35, loadCoreBusyPct: 60 };
    return {
      withoutCampaign: { ...phase, ...cores, p99Ms: p99Without },
      withCampaign: {
        ...phase,
        targetCoreBusyPct: 40,
        loadCoreBusyPct: undefined,
        p99Ms: p99With,
        templateSendsPerSecond: 480,
        lasted: true,
      },
      wxqTemplate: { cpuMsPerSend: wxqCpu, sendsPerSecond: 900 },
      baselineTemplate: { cpuMsPerSend: baselineCpu, sendsPerSecond: 1800 },
    };
  }
  const ROUNDS = [drainRound(10, 10.5, 0.6, 0.5), drainRound(10, 13, 0.8, 0.5), drainRound(20, 21, 0.7, 0.5)];

  it('pairs each round with itself: p99 with over without, wxq cpu per send over the baseline per POST', () => {
    const perRound = campaignDrainRatios(ROUNDS);
    expect(perRound.p99).toEqual([1.05, 1.3, 1.05]);
    expect(perRound.cpu.map((x) => Math.round(x * 100) / 100)).toEqual([1.2, 1.6, 1.4]);
  });

  it('judges each goal by the median per-round ratio, and an empty run as not measured', () => {
    expect(campaignDrainGoals(ROUNDS).map((g) => [g.status, g.measured])).toEqual([
      ['PASS', 1.05],
      ['PASS', 1.4],
    ]);
    expect(campaignDrainGoals([drainRound(10, 12, 0.8, 0.5)]).map((g) => g.status)).toEqual(['MISS', 'MISS']);
    expect(campaignDrainGoals([]).map((g) => g.status)).toEqual(['not measured', 'not measured']);
  });

  it('writes the ratios, the goals and each round to latest.json', () => {
    const results = buildResults(META, { campaignDrain: ROUNDS });
    expect(results['campaign_drain']).toMatchObject({
      p99_with_campaign_x_without: 1.05,
      cpu_per_template_send_x_baseline: 1.4,
      rounds: [
        {
          without_campaign: { p99_ms: 10, failed: 0 },
          with_campaign: { p99_ms: 10.5, template_sends_per_second: 480, lasted: true, target_core_busy_pct: 40 },
          wxq_template: { cpu_ms_per_send: 0.6 },
          baseline_template: { cpu_ms_per_send: 0.5 },
        },
        {},
        {},
      ],
    });
  });
});
