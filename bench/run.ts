// `npm run bench`: every figure is printed next to baselines measured in the same run, as ratios
// taken round by round (median and range over BENCH_ROUNDS rounds).
import { startRedisServer } from '@wxq/redis-server';
import { type E2eRounds, runE2eBench } from './e2e-bench.js';
import { TARGETS, type TargetRounds, runGatewayBench } from './gateway-bench.js';
import { runPassiveBench } from './passive-bench.js';
import { formatRatio, median, ratios } from './stats.js';

const durationSeconds = Number(process.env['BENCH_DURATION_SECONDS'] ?? '10');
const rounds = Number(process.env['BENCH_ROUNDS'] ?? '3');
const connections = 50;

/** BENCH_ONLY=gateway, e2e or passive runs that section alone. */
const only = process.env['BENCH_ONLY'];
const runs = (section: string) => only === undefined || only === section;
const redis = await startRedisServer();
try {
  if (runs('gateway')) await gatewayBench();
  if (runs('e2e')) await e2eBench();
  if (runs('passive')) await passiveBench();
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

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
