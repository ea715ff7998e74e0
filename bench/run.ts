// `npm run bench`: every figure is printed next to baselines measured in the same run, as ratios
// taken round by round (median and range over BENCH_ROUNDS rounds).
import { execFileSync } from 'node:child_process';
import { startRedisServer } from '@wxq/redis-server';
import { type E2eRounds, runE2eBench } from './e2e-bench.js';
import { TARGETS, type TargetRounds, runGatewayBench } from './gateway-bench.js';
import { runMemoryBench } from './memory-bench.js';
import { runPassiveBench } from './passive-bench.js';
import { type MemorySample, runSoakBench } from './soak-bench.js';
import { formatRatio, median, ratios } from './stats.js';

const durationSeconds = Number(process.env['BENCH_DURATION_SECONDS'] ?? '10');
const rounds = Number(process.env['BENCH_ROUNDS'] ?? '3');
const connections = 50;

// The targets run the built packages, as production does (tsc -b: only what changed).
execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });

/** BENCH_ONLY=gateway, e2e, passive or memory runs that section alone; BENCH_ONLY=soak the soak (not in a full run). */
const only = process.env['BENCH_ONLY'];
const runs = (section: string) => only === undefined || only === section;
const redis = await startRedisServer();
try {
  if (runs('gateway')) await gatewayBench();
  if (runs('e2e')) await e2eBench();
  if (runs('passive')) await passiveBench();
  if (runs('memory')) await memoryBench();
  if (only === 'soak') await soakBench();
} finally {
  await redis.stop();
}

async function gatewayBench(): Promise<void> {
  console.log(
    `gateway: ${connections} connections, ${rounds} rounds of ${durationSeconds} s per target, signed plaintext pushes with unique MsgIds\n`,
  );
  const results = await runGatewayBench({ redisUrl: redis.url, durationSeconds, connections, rounds });
  const rps = (target: TargetRounds | undefined) => target?.rounds.map((r) => r.requestsPerSecond) ?? [];
  const p99 = (target: TargetRounds | undefined) => target?.rounds.map((r) => r.p99Ms) ?? [];
  const express = results.find((r) => r.name === TARGETS.express.name);
  const node = results.find((r) => r.name === TARGETS.node.name);
  console.table(
    results.map((r) => ({
      target: r.name,
      'req/s': Math.round(median(rps(r))),
      'p50 ms': median(r.rounds.map((x) => x.p50Ms)),
      'p99 ms': median(p99(r)),
      'x express (req/s)': formatRatio(ratios(rps(r), rps(express))),
      'x node:http (req/s)': formatRatio(ratios(rps(r), rps(node))),
      'p99 / express p99': formatRatio(ratios(p99(r), p99(express))),
      'non-2xx': sum(r.rounds.map((x) => x.non2xx)),
      errors: sum(r.rounds.map((x) => x.errors)),
    })),
  );
  console.log('figures: medians over the rounds; ratios: median (lowest–highest) of the per-round ratios');
  const failed = results.filter((r) => r.rounds.some((x) => x.non2xx > 0 || x.errors > 0));
  if (failed.length > 0) {
    console.error(`\nnot every answer was 200: ${failed.map((r) => r.name).join(', ')} — figures are not comparable`);
    process.exitCode = 1;
  }
}

async function e2eBench(): Promise<void> {
  const messages = Number(process.env['BENCH_E2E_MESSAGES'] ?? '5000');
  console.log(
    `\nend to end: ${rounds} rounds; each drains ${messages} pushes from a backlog (throughput), then takes 200 pushes/s for 5 s (latency: push -> reply at the simulator)\n`,
  );
  const e2e = await runE2eBench({
    redisUrl: redis.url,
    messages,
    latencyRatePerSecond: 200,
    latencySeconds: 5,
    rounds,
  });
  const perSecond = (target: E2eRounds | undefined) => target?.rounds.map((r) => r.messagesPerSecond) ?? [];
  const [noop, one] = e2e;
  console.table(
    e2e.map((r) => ({
      target: r.name,
      'messages/s': Math.round(median(perSecond(r))),
      'x BullMQ no-op': formatRatio(ratios(perSecond(r), perSecond(noop))),
      'x 1 worker process': r === noop ? '' : formatRatio(ratios(perSecond(r), perSecond(one))),
      'p50 ms': r === noop ? '' : median(r.rounds.map((x) => x.p50Ms ?? Number.NaN)),
      'p99 ms': r === noop ? '' : median(r.rounds.map((x) => x.p99Ms ?? Number.NaN)),
    })),
  );
  console.log('figures: medians over the rounds; ratios: median (lowest–highest) of the per-round ratios');
}

async function passiveBench(): Promise<void> {
  const held = Number(process.env['BENCH_PASSIVE_HELD'] ?? '2000');
  console.log(
    `\npassive replies: ${connections} connections, ${rounds} rounds of ${durationSeconds} s per mode; a gateway and a worker process per mode, demo handlers (instant echo)\n`,
  );
  const { modes, held: holding } = await runPassiveBench({
    redisUrl: redis.url,
    durationSeconds,
    connections,
    rounds,
    held,
  });
  const [cs] = modes;
  const p = (r: (typeof modes)[number] | undefined, f: (x: (typeof modes)[number]['rounds'][number]) => number) =>
    r?.rounds.map(f) ?? [];
  console.table(
    modes.map((r) => ({
      mode: r.name,
      'req/s': Math.round(median(p(r, (x) => x.requestsPerSecond))),
      'p50 ms (push -> answer)': median(p(r, (x) => x.p50Ms)),
      'p99 ms': median(p(r, (x) => x.p99Ms)),
      'p99 / customer-service p99': formatRatio(
        ratios(
          p(r, (x) => x.p99Ms),
          p(cs, (x) => x.p99Ms),
        ),
      ),
      'answered with the reply': `${String(sum(p(r, (x) => x.passiveAnswers)))} of ${String(sum(p(r, (x) => x.answers)))}`,
      errors: sum(p(r, (x) => x.errors)),
    })),
  );
  console.log(
    `one passive gateway holding ${String(holding.held)} pushes at once (no worker, so each waits 4.5 s): RSS ${String(holding.rssIdleMb)} MB idle, ${String(holding.rssHoldingMb)} MB holding (${(((holding.rssHoldingMb - holding.rssIdleMb) * 1024) / holding.held).toFixed(1)} KB per push); ${String(holding.answeredSuccess)} answered success at the deadline`,
  );
  if (modes.some((r) => r.rounds.some((x) => x.errors > 0)) || holding.answeredSuccess !== holding.held) {
    console.error('\nnot every push was answered 200: figures are not comparable');
    process.exitCode = 1;
  }
}

async function memoryBench(): Promise<void> {
  const drainMessages = Number(process.env['BENCH_E2E_MESSAGES'] ?? '5000');
  console.log('\nmemory: RSS of one process as deployed (node apps/*/dist/main.js), idle and at the peak of a load\n');
  const results = await runMemoryBench({ redisUrl: redis.url, durationSeconds, connections, drainMessages });
  const bare = results[0];
  console.table(
    results.map((r) => ({
      process: r.name,
      'idle MB': r.idleMb,
      'loaded MB': r.loadedMb,
      load: r.load,
      'req/s': r.requestsPerSecond ?? '',
      'idle - bare idle MB': bare === undefined ? '' : Math.round((r.idleMb - bare.idleMb) * 10) / 10,
    })),
  );
}

async function soakBench(): Promise<void> {
  const pushes = Number(process.env['BENCH_SOAK_PUSHES'] ?? '500000');
  const sampleEvery = Number(process.env['BENCH_SOAK_SAMPLE_EVERY'] ?? '50000');
  const maxBacklog = 2_000;
  console.log(
    `\nsoak: ${String(pushes)} signed pushes through one gateway and one worker process (dist), replied into the simulator; ${String(connections)} pushes in flight, at most ${String(maxBacklog)} waiting for their reply; every ${String(sampleEvery)} pushes the sender waits for the replies, then each process reports process.memoryUsage() after a full GC\n`,
  );
  const soak = await runSoakBench({
    redisUrl: redis.url,
    pushes,
    sampleEvery,
    connections,
    maxBacklog,
    onSample: (s) => {
      console.log(
        `${String(s.pushes)} pushes: gateway ${String(s.gateway.rssMb)} MB RSS, ${String(s.gateway.heapUsedMb)} MB heap; worker ${String(s.worker.rssMb)} MB RSS, ${String(s.worker.heapUsedMb)} MB heap (${String(s.rate)} pushes/s)`,
      );
    },
  });
  const row = (m: MemorySample) => [m.rssMb, m.heapUsedMb, `${String(m.externalMb)} / ${String(m.arrayBuffersMb)}`];
  console.table(
    soak.samples.map((s) => {
      const [gRss, gHeap, gExt] = row(s.gateway);
      const [wRss, wHeap, wExt] = row(s.worker);
      return {
        pushes: s.pushes,
        'pushes/s': s.rate,
        'gateway RSS MB': gRss,
        'gateway heap MB': gHeap,
        'gateway external / arrayBuffers MB': gExt,
        'worker RSS MB': wRss,
        'worker heap MB': wHeap,
        'worker external / arrayBuffers MB': wExt,
      };
    }),
  );
  const first = soak.samples[0];
  const last = soak.samples.at(-1);
  const growth = (pick: (s: (typeof soak.samples)[number]) => number) =>
    first === undefined || last === undefined ? Number.NaN : pick(last) / pick(first) - 1;
  const checks = [
    ['gateway RSS', growth((s) => s.gateway.rssMb)],
    ['gateway heap after GC', growth((s) => s.gateway.heapUsedMb)],
    ['worker RSS', growth((s) => s.worker.rssMb)],
    ['worker heap after GC', growth((s) => s.worker.heapUsedMb)],
  ] as const;
  let missed = false;
  for (const [what, change] of checks) {
    const pass = Math.abs(change) <= 0.1;
    missed ||= !pass;
    console.log(
      `${pass ? 'PASS' : 'MISS'} ${what}: last sample ${(change * 100).toFixed(1)}% against the one after the first ${String(sampleEvery)} pushes (limit ±10%)`,
    );
  }
  const allReplied = soak.answeredSuccess === pushes && soak.replied === pushes && soak.failed === 0;
  missed ||= !allReplied;
  console.log(
    `${allReplied ? 'PASS' : 'MISS'} every push replied: ${String(soak.answeredSuccess)} of ${String(pushes)} answered success (${String(soak.failed)} not), ${String(soak.replied)} replies at the simulator`,
  );
  if (missed) process.exitCode = 1;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
