// Whether a campaign slows the gateway (docs/notifications.md, "Campaigns"): one deployment (the
// real gateway and worker processes, built) takes a steady stream of signed pushes, first with no
// campaign, then while a campaign of template messages drains at WXQ_TEMPLATE_RATE through the
// same worker to the WeChat API simulator, whose delivery reports come back through the gateway
// as they do from WeChat. The gateway's answer time per push is read in this process; the
// simulator runs in a process of its own so that its work at full pace does not delay that clock.
//
// Pinned (pinning.ts), the gateway is alone on the target core; the worker shares the load core
// with this process, the simulator and Redis. The goal is about the gateway: in production it runs
// on machines of its own behind a proxy and the workers run elsewhere, scaled on their own, so what
// a campaign does to the gateway is a busier shared Redis and one delivery report
// (TEMPLATESENDJOBFINISH) pushed to it per send. A worker on the gateway's core would measure the
// worker taking CPU from the gateway instead (1.6–4.9× on a loaded box, 85e934b). The price: the
// load core now carries the worker too, so the campaign's pace is a figure to check (each round
// reports the sends/s reached and how busy each core was) and the push clock shares that core.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUEUES } from '@wxq/queue';
import { findFreePort } from '@wxq/redis-server';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { type CampaignApi, benchOpenIds, startCampaignApi } from './campaign-api.js';
import { measureCores, measureCpu } from './cpu.js';
import { postPush, sendPaced } from './deployment.js';
import { until } from './e2e-bench.js';
import { BENCH_ACCOUNT } from './push-fixture.js';
import { type RunningTarget, startTarget } from './run-target.js';
import { percentile } from './stats.js';
import { type TemplateDrain, measureTemplateCpu } from './template-cpu-bench.js';

export interface CampaignDrainOptions {
  readonly redisUrl: string;
  readonly rounds: number;
  /** How long each phase sends pushes. */
  readonly durationSeconds: number;
  /** The pushes' steady rate, the same in both phases: below what the deployment sustains. */
  readonly pushesPerSecond: number;
  /** The worker's WXQ_TEMPLATE_RATE: the campaign's pace. */
  readonly templateRate: number;
  /** Template messages each configuration drains for the CPU figure. */
  readonly cpuSends: number;
  /** Where the gateway runs alone, and the CPU figure's workers (see pinning.ts); undefined: not pinned. */
  readonly targetCore: number | undefined;
  /** Where the campaign's worker runs, beside this process, the simulator and Redis; undefined: not pinned. */
  readonly loadCore: number | undefined;
}

/** The gateway's answers to the pushes of one phase. */
export interface PushPhase {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly pushes: number;
  /** Pushes not answered 200 (the phase's figures then do not compare). */
  readonly failed: number;
  /** The gateway's and the worker's processes while the pushes were sent, in percent of one core. */
  readonly gatewayCpuPct: number;
  readonly workerCpuPct: number;
  /** How busy each core was, whoever ran on it (other people's work too); undefined: not pinned. */
  readonly targetCoreBusyPct: number | undefined;
  readonly loadCoreBusyPct: number | undefined;
}

/** One round: the two phases side by side, then the CPU per template send against its baseline. */
export interface CampaignDrainRound {
  readonly withoutCampaign: PushPhase;
  readonly withCampaign: PushPhase & {
    /** Template sends the simulator accepted per second while the pushes were sent. */
    readonly templateSendsPerSecond: number;
    /** The campaign was still running when the phase ended: it drained all along. */
    readonly lasted: boolean;
  };
  readonly wxqTemplate: TemplateDrain;
  readonly baselineTemplate: TemplateDrain;
}

const APP_SECRET = 'benchsecret0123456789abcdef01234';
/** Recipients beyond the phase's own: the drain must outlast the phase, whatever its start-up takes. */
const CAMPAIGN_MARGIN_SECONDS = 5;
/** After the queues empty: reports in flight (200 ms after each send, retried) arrive and are taken. */
const SETTLE_MS = 1_500;
const PHASE_TIMEOUT_MS = 120_000;

interface Rig {
  readonly api: CampaignApi;
  readonly gatewayPid: number;
  readonly workerPid: number;
  /** The target and the load core, when pinned: read for the cores' busy figures. */
  readonly cores: readonly number[];
  readonly push: (latencies: number[]) => Promise<number>;
  /** Template sends the simulator has accepted so far. */
  readonly templateSends: () => Promise<number>;
  /** Resolves once no job of the deployment waits, runs or is delayed, and the reports are in. */
  readonly settle: () => Promise<void>;
  readonly processes: readonly RunningTarget[];
  readonly stop: () => Promise<void>;
}

/**
 * Round after round: pushes alone, pushes while a campaign drains, then the CPU figures
 * (template-cpu-bench.ts) with the deployment stopped (SIGSTOP) so that it does not share the core.
 */
export async function runCampaignDrainBench(options: CampaignDrainOptions): Promise<CampaignDrainRound[]> {
  const rig = await startRig(options);
  const results: CampaignDrainRound[] = [];
  try {
    // Warm-up: JIT, connections and scripts on both paths, so that round 1's first phase is not the cold one.
    await pushPhase(rig, options.pushesPerSecond, 2);
    await rig.api.create(benchOpenIds('Warm', options.templateRate));
    await rig.settle();
    for (let round = 0; round < options.rounds; round += 1) {
      const withoutCampaign = await pushPhase(rig, options.pushesPerSecond, options.durationSeconds);
      await rig.settle();
      const withCampaign = await campaignPhase(rig, options, round);
      await rig.settle();
      const { wxq, baseline } = await stopped(rig.processes, () =>
        measureTemplateCpu({
          redisUrl: options.redisUrl,
          sends: options.cpuSends,
          targetCore: options.targetCore,
          baselineFirst: round % 2 === 1,
        }),
      );
      results.push({ withoutCampaign, withCampaign, wxqTemplate: wxq, baselineTemplate: baseline });
    }
  } finally {
    await rig.stop();
  }
  return results;
}

async function campaignPhase(
  rig: Rig,
  options: CampaignDrainOptions,
  round: number,
): Promise<CampaignDrainRound['withCampaign']> {
  const recipients = Math.ceil(options.templateRate * (options.durationSeconds + CAMPAIGN_MARGIN_SECONDS));
  const start = await rig.templateSends();
  const id = await rig.api.create(benchOpenIds(`D${String(round)}r`, recipients));
  // Under way first (a second's worth sent): the phase measures the drain, not its start.
  await until(async () => (await rig.templateSends()) - start >= options.templateRate, PHASE_TIMEOUT_MS);
  const before = await rig.templateSends();
  const started = performance.now();
  const phase = await pushPhase(rig, options.pushesPerSecond, options.durationSeconds);
  // Read after the phase: the same window as its pushes, give or take a fetch.
  const seconds = (performance.now() - started) / 1000;
  const after = await rig.templateSends();
  const { status } = await rig.api.get(id);
  // What is left would drain into the next phase.
  if (status === 'running') await rig.api.cancel(id);
  return { ...phase, templateSendsPerSecond: Math.round((after - before) / seconds), lasted: status === 'running' };
}

async function pushPhase(rig: Rig, perSecond: number, seconds: number): Promise<PushPhase> {
  const latencies: number[] = [];
  const { result, perProcessPct } = await measureCpu([rig.gatewayPid, rig.workerPid], () =>
    measureCores(rig.cores, () => sendPaced(perSecond * seconds, perSecond, () => rig.push(latencies))),
  );
  const answers = result.result;
  const [targetCoreBusyPct, loadCoreBusyPct] = result.busyPct;
  latencies.sort((a, b) => a - b);
  const ms = (q: number) => Math.round((percentile(latencies, q) ?? Number.NaN) * 100) / 100;
  return {
    p50Ms: ms(0.5),
    p99Ms: ms(0.99),
    pushes: answers.length,
    failed: answers.filter((s) => s !== 200).length,
    gatewayCpuPct: perProcessPct[0] ?? Number.NaN,
    workerCpuPct: perProcessPct[1] ?? Number.NaN,
    targetCoreBusyPct,
    loadCoreBusyPct,
  };
}

async function startRig(options: CampaignDrainOptions): Promise<Rig> {
  const prefix = `{bench-${randomUUID().slice(0, 8)}}`;
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const queues = [QUEUES.inbound, QUEUES.outbound, QUEUES.notify].map(
    (definition) => new Queue(definition.name, { connection: redis, prefix }),
  );
  const logDir = await mkdtemp(join(tmpdir(), 'wxq-bench-drain-'));
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const processes: RunningTarget[] = [];
  let api: CampaignApi | undefined;
  const env = {
    REDIS_URL: options.redisUrl,
    WXQ_QUEUE_PREFIX: prefix,
    // The fixture signs once at start-up; a long run must not age out of the timestamp check.
    TIMESTAMP_SKEW_SECONDS: '0',
  };
  const stop = async () => {
    agent.destroy();
    for (const p of processes) signal(p, 'SIGCONT');
    await Promise.all(processes.map((p) => p.stop()));
    await api?.stop();
    for (const queue of queues) await queue.obliterate({ force: true });
    await Promise.all(queues.map((q) => q.close()));
    const left = await redis.keys(`${prefix}*`);
    if (left.length > 0) await redis.del(...left);
    await redis.quit();
    await rm(logDir, { recursive: true, force: true });
  };
  try {
    const gateway = await startTarget(
      'bench/targets/gateway.ts',
      { ...env, ADMIN_PORT: String(await findFreePort()), BENCH_LOG_DIR: logDir },
      { core: options.targetCore },
    );
    processes.push(gateway);
    const account = { WECHAT_APPID: BENCH_ACCOUNT.appId, WECHAT_APPSECRET: APP_SECRET };
    // Not pinned: it inherits this process's core, the load core (pinning.ts).
    const sim = await startTarget(
      'bench/targets/simulator.ts',
      {
        ...account,
        SIM_CALLBACK_URL: `http://127.0.0.1:${String(gateway.port)}/wechat`,
        WECHAT_TOKEN: BENCH_ACCOUNT.token,
      },
      { core: undefined },
    );
    processes.push(sim);
    const simUrl = `http://127.0.0.1:${String(sim.port)}`;
    const worker = await startTarget(
      'bench/targets/worker.ts',
      {
        ...env,
        ...account,
        WECHAT_API_BASE_URL: simUrl,
        WXQ_TEMPLATE_RATE: String(options.templateRate),
        ADMIN_PORT: String(await findFreePort()),
      },
      // The load core, not the gateway's: see the header.
      { core: options.loadCore },
    );
    processes.push(worker);
    api = await startCampaignApi(options.redisUrl, prefix);
    const pending = async () => {
      const counts = await Promise.all(
        queues.map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused')),
      );
      return counts.reduce((total, c) => total + Object.values(c).reduce((a, b) => a + b, 0), 0);
    };
    const settle = async () => {
      await until(async () => (await pending()) === 0, PHASE_TIMEOUT_MS);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      await until(async () => (await pending()) === 0, PHASE_TIMEOUT_MS);
    };
    const templateSends = async () => {
      // `after` past the end: the answer is the total alone.
      const answer = await fetch(`${simUrl}/sim/template-sends?after=${String(Number.MAX_SAFE_INTEGER)}`);
      return ((await answer.json()) as { total: number }).total;
    };
    const push = (latencies: number[]) => timedPush(agent, gateway.port, latencies);
    await until(async () => (await push([]).catch(() => 0)) === 200, 30_000);
    const cores =
      options.targetCore === undefined || options.loadCore === undefined ? [] : [options.targetCore, options.loadCore];
    return { api, gatewayPid: gateway.pid, workerPid: worker.pid, cores, push, templateSends, settle, processes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** POSTs the next signed push; on its answer, adds the milliseconds it took to `latencies`. */
async function timedPush(agent: Agent, port: number, latencies: number[]): Promise<number> {
  const started = performance.now();
  const status = await postPush(agent, port);
  latencies.push(performance.now() - started);
  return status;
}

/** Runs `work` with `processes` stopped (SIGSTOP, then SIGCONT): idle, they still wake on the core. */
async function stopped<T>(processes: readonly RunningTarget[], work: () => Promise<T>): Promise<T> {
  for (const p of processes) signal(p, 'SIGSTOP');
  try {
    return await work();
  } finally {
    for (const p of processes) signal(p, 'SIGCONT');
  }
}

function signal(target: RunningTarget, name: 'SIGSTOP' | 'SIGCONT'): void {
  try {
    process.kill(target.pid, name);
  } catch {
    // Already gone: its stop() says so.
  }
}
