import { QUEUE_KEYS, type QueueKey } from '@wxq/queue';
import { UNTIL_RESUMED } from '@wxq/quota';
import type { Queue } from 'bullmq';
import { type CliIo, writeJson, writeLine } from '../cli-io.js';
import type { OpsContext } from '../ops-context.js';
import { formatTable } from '../table.js';

/** The states `status` counts, in the order it prints them. */
export const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
export type JobState = (typeof JOB_STATES)[number];
export type StateCounts = Record<JobState, number>;

/** `ops status --json`: a stable shape for scripts. */
export interface StatusReport {
  readonly queues: Record<QueueKey, StateCounts>;
  readonly accounts: readonly AccountStatus[];
}

export interface AccountStatus {
  readonly account: string;
  readonly queues: Record<QueueKey, StateCounts>;
  /** `paused` while a 45009, a 45011 or an operator holds the account's sends. */
  readonly sends: 'running' | 'paused';
  /** When the pause ends (ISO 8601); null while running or until an operator resumes. */
  readonly pausedUntil: string | null;
}

/** Job ids read per round trip when attributing jobs to accounts. */
const PAGE_SIZE = 1_000;

/** Job counts per queue and state, and per account (every job's data is read for that: seconds on a big backlog). */
export async function runStatus(context: OpsContext, io: CliIo, options: { json: boolean }): Promise<number> {
  const report = await readStatus(context);
  if (options.json) {
    writeJson(io.stdout, report);
    return 0;
  }
  const header = ['queue', ...JOB_STATES];
  const countsRow = (counts: StateCounts) => JOB_STATES.map((state) => String(counts[state]));
  writeLine(
    io.stdout,
    formatTable(
      header,
      QUEUE_KEYS.map((key) => [key, ...countsRow(report.queues[key])]),
    ),
  );
  for (const account of report.accounts) {
    writeLine(io.stdout);
    const sends = account.sends === 'running' ? 'running' : `paused until ${account.pausedUntil ?? 'resumed'}`;
    writeLine(io.stdout, `account ${account.account} (sends ${sends})`);
    writeLine(
      io.stdout,
      formatTable(
        header,
        QUEUE_KEYS.map((key) => [key, ...countsRow(account.queues[key])]),
      ),
    );
  }
  return 0;
}

async function readStatus(context: OpsContext): Promise<StatusReport> {
  const perQueue = {} as Record<QueueKey, StateCounts>;
  const perAccount = new Map<string, Record<QueueKey, StateCounts>>();
  const accountCounts = (appId: string) => {
    let counts = perAccount.get(appId);
    if (counts === undefined) {
      counts = Object.fromEntries(QUEUE_KEYS.map((key) => [key, zeroCounts()])) as Record<QueueKey, StateCounts>;
      perAccount.set(appId, counts);
    }
    return counts;
  };
  for (const account of context.config.accounts) accountCounts(account.appId);

  // Every shard's queue adds to its queue's row (docs/shards.md).
  for (const key of QUEUE_KEYS) {
    perQueue[key] = zeroCounts();
    for (const queue of context.queues[key]) {
      const counts = await queue.getJobCounts(...JOB_STATES);
      for (const state of JOB_STATES) {
        perQueue[key][state] += counts[state] ?? 0;
        for await (const appId of accountsOfJobs(context, queue, state)) accountCounts(appId)[key][state] += 1;
      }
    }
  }
  const accounts: AccountStatus[] = [];
  for (const [account, queues] of perAccount) {
    const until = await context.pause.pausedUntil(account);
    accounts.push({
      account,
      queues,
      sends: until === undefined ? 'running' : 'paused',
      pausedUntil: until === undefined || until >= UNTIL_RESUMED ? null : new Date(until).toISOString(),
    });
  }
  return { queues: perQueue, accounts };
}

function zeroCounts(): StateCounts {
  return { waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 };
}

/** The AppID of every job in `state`, read from the jobs' data a page at a time (`unknown` when unreadable). */
async function* accountsOfJobs(context: OpsContext, queue: Queue, state: JobState): AsyncGenerator<string> {
  for (let start = 0; ; start += PAGE_SIZE) {
    const ids = await queue.getRanges([state], start, start + PAGE_SIZE - 1, true);
    if (ids.length === 0) return;
    const pipeline = context.redis.pipeline();
    for (const id of ids) pipeline.hget(queue.toKey(id), 'data');
    for (const [, data] of (await pipeline.exec()) ?? []) yield appIdOf(data);
    if (ids.length < PAGE_SIZE) return;
  }
}

function appIdOf(data: unknown): string {
  if (typeof data !== 'string') return 'unknown';
  try {
    const parsed: unknown = JSON.parse(data);
    if (typeof parsed === 'object' && parsed !== null && 'appId' in parsed && typeof parsed.appId === 'string') {
      return parsed.appId;
    }
  } catch {
    // A job whose data is not JSON belongs to no account we can name.
  }
  return 'unknown';
}
