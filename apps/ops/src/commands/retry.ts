import { type OperatorQueue, QUEUES, type QueueKey, conversationOf, laneScore } from '@wxq/queue';
import type { Job } from 'bullmq';
import { type CliIo, UsageError, writeJson, writeLine } from '../cli-io.js';
import { printable } from '../duration.js';
import { failedJobs } from '../failed-jobs.js';
import { type OpsContext, selectQueues } from '../ops-context.js';
import { createProgress } from '../progress.js';

export interface RetryOptions {
  readonly all: boolean;
  readonly ids: readonly string[];
  readonly queue: QueueKey | undefined;
  readonly account: string | undefined;
  readonly json: boolean;
}

/** A job asked for and not retried, and why. */
export interface SkippedJob {
  readonly queue: string | null;
  readonly id: string;
  readonly reason: string;
}

/** `ops retry --json`: a stable shape for scripts. */
export interface RetryReport {
  readonly retried: number;
  readonly retriedIds: readonly string[];
  readonly skipped: readonly SkippedJob[];
}

/** The reason of a reply not retried because its user has no send left (docs/quota.md). */
const NO_QUOTA_SKIP = 'no customer-service quota: the user has no open send window left (docs/quota.md)';

// The catalog's id formats (libs/queue catalog.ts): `in-` + SHA-1, `out-` + SHA-1 + `-` + reply index,
// `nt-` + a notification id (libs/notify), `nb-` + a campaign id + `-` + where its batch starts.
const JOB_ID_FORMATS: Readonly<Record<QueueKey, RegExp>> = {
  inbound: /^in-[0-9a-f]{40}$/,
  outbound: /^out-[0-9a-f]{40}-\d{1,4}$/,
  notify: /^nt-ntf_[0-9a-f]{32}$/,
  notifyBatch: /^nb-cmp_[0-9a-f]{32}-\d{1,6}$/,
};

/**
 * Re-runs failed jobs with a fresh attempt budget (OperatorQueue): the ones named, or all that
 * match. A reply whose user has no send left in the quota ledger is reported and left failed: it
 * would only fail again (and WeChat would refuse it). Exits 1 when any job asked for was not retried.
 */
export async function runRetry(context: OpsContext, io: CliIo, options: RetryOptions): Promise<number> {
  if (options.all === options.ids.length > 0) throw new UsageError('retry needs either --all or --id ID ...');
  const targets = options.all ? await allFailed(context, options) : await named(context, options);
  const skipped = [...targets.skipped];
  const retriedIds: string[] = [];
  // Sends a retried reply will take, per user, so a batch does not retry more than the ledger allows.
  const planned = new Map<string, number>();
  const progress = createProgress(io, 'retrying', targets.jobs.length);
  for (const job of targets.jobs) {
    const noQuota = await lacksQuota(context, job, planned);
    if (noQuota) skipped.push({ queue: job.queueName, id: job.id ?? '', reason: NO_QUOTA_SKIP });
    else {
      try {
        await job.retry('failed');
        retriedIds.push(job.id ?? '');
      } catch (err) {
        skipped.push({ queue: job.queueName, id: job.id ?? '', reason: describe(err) });
      }
    }
    progress.tick();
  }
  progress.done();
  const report: RetryReport = { retried: retriedIds.length, retriedIds, skipped };
  if (options.json) writeJson(io.stdout, report);
  else {
    writeLine(io.stdout, `retried ${report.retried} job${report.retried === 1 ? '' : 's'}`);
    for (const job of skipped) writeLine(io.stdout, `not retried: ${job.queue ?? '-'} ${job.id}: ${job.reason}`);
  }
  return skipped.length === 0 ? 0 : 1;
}

interface Targets {
  readonly jobs: Job[];
  readonly skipped: SkippedJob[];
}

async function allFailed(context: OpsContext, options: RetryOptions): Promise<Targets> {
  const jobs: Job[] = [];
  for (const queue of selectQueues(context, options.queue)) {
    for await (const { job } of failedJobs(queue, { account: options.account })) jobs.push(job);
  }
  // In conversation order, not failure order: a user's earlier reply gets the send left first,
  // and the retried jobs reach their lanes in the order they had there.
  jobs.sort((a, b) => placeOf(a) - placeOf(b));
  return { jobs, skipped: [] };
}

async function named(context: OpsContext, options: RetryOptions): Promise<Targets> {
  const jobs: Job[] = [];
  const skipped: SkippedJob[] = [];
  for (const id of new Set(options.ids)) {
    const key = queueOfJobId(id);
    if (options.queue !== undefined && key !== options.queue) {
      throw new UsageError(`job ${id} is not an ${options.queue} job (its id is an ${key} one)`);
    }
    const job = await findJob(context.queues[key], id);
    const state = job === undefined ? undefined : await job.getState();
    const account = job === undefined ? undefined : conversationOf(job.queueName, job.data)?.appId;
    if (job === undefined)
      skipped.push({ queue: QUEUES[key].name, id, reason: 'no such job (removed, or never made)' });
    else if (state !== 'failed') skipped.push({ queue: QUEUES[key].name, id, reason: `not failed: it is ${state}` });
    else if (options.account !== undefined && account !== options.account) {
      skipped.push({ queue: QUEUES[key].name, id, reason: `not a job of account ${options.account}` });
    } else jobs.push(job);
  }
  return { jobs, skipped };
}

/** The job of this id in whichever shard holds it. */
async function findJob(queues: readonly OperatorQueue[], id: string): Promise<Job | undefined> {
  for (const queue of queues) {
    const job = await queue.getJob(id);
    if (job !== undefined) return job;
  }
  return undefined;
}

/**
 * The queue a wxq job id belongs to.
 * @throws UsageError for anything that is not a wxq job id
 */
function queueOfJobId(id: string): QueueKey {
  for (const key of Object.keys(JOB_ID_FORMATS) as QueueKey[]) {
    if (JOB_ID_FORMATS[key].test(id)) return key;
  }
  throw new UsageError(
    `'${printable(id)}' is not a wxq job id (in-<40 hex> for a push, out-<40 hex>-<n> for a reply; ops failed lists them)`,
  );
}

/** A job's place in its conversation: its lane score (docs/ordering.md), else when it was made. */
function placeOf(job: Job): number {
  if (job.queueName === QUEUES.inbound.name) {
    const parsed = QUEUES.inbound.schema.safeParse(job.data);
    if (parsed.success) return laneScore(parsed.data.receivedAt);
  }
  if (job.queueName === QUEUES.outbound.name) {
    const parsed = QUEUES.outbound.schema.safeParse(job.data);
    if (parsed.success) return laneScore(parsed.data.receivedAt ?? job.timestamp, parsed.data.replyIndex);
  }
  return job.timestamp;
}

/** Whether a failed reply's user has no send left for it (counting the batch's earlier retries). */
async function lacksQuota(context: OpsContext, job: Job, planned: Map<string, number>): Promise<boolean> {
  if (context.ledger === undefined || context.config.quota.mode !== 'enforce') return false;
  if (job.queueName !== QUEUES.outbound.name) return false;
  const parsed = QUEUES.outbound.schema.safeParse(job.data);
  // Typing spends nothing; data that does not parse fails again on its own, visibly.
  if (!parsed.success || parsed.data.reply.kind !== 'message') return false;
  const { appId } = parsed.data;
  const user = parsed.data.reply.message.touser;
  const userKey = `${appId}\n${user}`;
  const taken = planned.get(userKey) ?? 0;
  const { sendsLeft } = await context.ledger.view(appId, user);
  if (sendsLeft - taken <= 0) return true;
  planned.set(userKey, taken + 1);
  return false;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
