import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWechatApiSimulator } from '@wxq/wechat-sim';
import autocannon from 'autocannon';
import { BENCH_ACCOUNT, PUSH_PATH, nextPushBody } from './push-fixture.js';
import { type RunningTarget, startTarget } from './run-target.js';

/** One reply mode's load in one round: push -> answer, with the demo handlers (instant echo). */
export interface PassiveResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Answers that were the reply's XML rather than `success`. */
  readonly passiveAnswers: number;
  readonly answers: number;
  readonly errors: number;
}

export interface PassiveRounds {
  readonly id: (typeof MODES)[number]['mode'];
  readonly name: string;
  readonly rounds: readonly PassiveResult[];
}

/** One gateway process holding pushes whose replies never come (no worker runs). */
export interface HeldPushesResult {
  readonly held: number;
  readonly rssIdleMb: number;
  readonly rssHoldingMb: number;
  /** Answered `success` at the deadline, as they must be. */
  readonly answeredSuccess: number;
}

export interface PassiveBenchOptions {
  readonly redisUrl: string;
  readonly durationSeconds: number;
  readonly connections: number;
  readonly rounds: number;
  readonly held: number;
  /** Where the gateway and worker processes run (see pinning.ts); undefined: not pinned. */
  readonly targetCore: number | undefined;
}

const APP_SECRET = 'benchsecret0123456789abcdef01234';
const MODES = [
  { name: 'customer-service (answer: success)', mode: 'customer-service' },
  { name: 'passive (answer: the reply XML)', mode: 'passive' },
] as const;

/**
 * WXQ_REPLY_MODE=passive next to customer-service, round by round: a gateway and a worker process
 * per mode, loaded in turn with the same pushes. Then one passive gateway alone holds `held` pushes
 * at once (no worker: nothing answers before the deadline) and its memory is read.
 */
export async function runPassiveBench(
  options: PassiveBenchOptions,
): Promise<{ modes: PassiveRounds[]; held: HeldPushesResult }> {
  const sim = await startWechatApiSimulator({ accounts: [{ appId: BENCH_ACCOUNT.appId, appSecret: APP_SECRET }] });
  const logDir = await mkdtemp(join(tmpdir(), 'wxq-bench-passive-'));
  const started: RunningTarget[] = [];
  try {
    const rigs = [];
    for (const { name, mode } of MODES) {
      const env = {
        REDIS_URL: options.redisUrl,
        WXQ_QUEUE_PREFIX: `{bench-${randomUUID().slice(0, 8)}}`,
        WXQ_REPLY_MODE: mode,
        BENCH_LOG_DIR: logDir,
        TIMESTAMP_SKEW_SECONDS: '0',
        WECHAT_APPID: BENCH_ACCOUNT.appId,
        WECHAT_APPSECRET: APP_SECRET,
        WECHAT_API_BASE_URL: sim.url,
        // Every reply is answered passively or sent: the bench's users send more than WeChat allows one user.
        WXQ_CS_QUOTA: 'off',
      };
      const core = { core: options.targetCore };
      const gateway = await startTarget('bench/targets/gateway.ts', env, core);
      started.push(gateway, await startTarget('bench/targets/worker.ts', env, core));
      await load(gateway.port, 2, options.connections);
      rigs.push({ id: mode, name, gateway, rounds: [] as PassiveResult[] });
    }
    for (let round = 0; round < options.rounds; round += 1) {
      for (const rig of rigs)
        rig.rounds.push(await load(rig.gateway.port, options.durationSeconds, options.connections));
    }
    const held = await holdPushes(options, logDir);
    return { modes: rigs.map(({ id, name, rounds }) => ({ id, name, rounds })), held };
  } finally {
    await Promise.all(started.map((t) => t.stop()));
    await sim.stop();
    await rm(logDir, { recursive: true, force: true });
  }
}

async function load(port: number, durationSeconds: number, connections: number): Promise<PassiveResult> {
  let passiveAnswers = 0;
  let answers = 0;
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
        onResponse: (status, body) => {
          answers += 1;
          if (status === 200 && body.startsWith('<xml>')) passiveAnswers += 1;
        },
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    passiveAnswers,
    answers,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

async function holdPushes(options: PassiveBenchOptions, logDir: string): Promise<HeldPushesResult> {
  const gateway = await startTarget(
    'bench/targets/gateway.ts',
    {
      REDIS_URL: options.redisUrl,
      WXQ_QUEUE_PREFIX: `{bench-${randomUUID().slice(0, 8)}}`,
      WXQ_REPLY_MODE: 'passive',
      PASSIVE_WAIT_MS: '4500',
      BENCH_LOG_DIR: logDir,
      TIMESTAMP_SKEW_SECONDS: '0',
    },
    { core: options.targetCore },
  );
  try {
    await load(gateway.port, 1, 10); // warm-up; nothing replies, so each waits 4.5 s
    const rssIdleMb = await rssMb(gateway.pid);
    const url = `http://127.0.0.1:${gateway.port}${PUSH_PATH}`;
    const all = Array.from({ length: options.held }, () =>
      fetch(url, { method: 'POST', body: nextPushBody() }).then(
        async (r) => (r.status === 200 ? await r.text() : String(r.status)),
        (err: unknown) =>
          `error ${err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : ''}`,
      ),
    );
    // Sampled while every push waits (they answer at 4.5 s).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const rssHoldingMb = await rssMb(gateway.pid);
    const bodies = await Promise.all(all);
    const other = new Map<string, number>();
    for (const b of bodies) if (b !== 'success') other.set(b.slice(0, 60), (other.get(b.slice(0, 60)) ?? 0) + 1);
    if (other.size > 0) console.error('held pushes answered otherwise:', Object.fromEntries(other));
    return {
      held: options.held,
      rssIdleMb,
      rssHoldingMb,
      answeredSuccess: bodies.filter((b) => b === 'success').length,
    };
  } finally {
    await gateway.stop();
  }
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Math.round(kb / 102.4) / 10;
}
