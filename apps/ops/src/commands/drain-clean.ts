import type { QueueKey } from '@wxq/queue';
import { type CliIo, EXIT, writeLine } from '../cli-io.js';
import { confirm } from '../confirm.js';
import { type OpsContext, selectQueues } from '../ops-context.js';

export interface DrainOptions {
  readonly queue: QueueKey | undefined;
  readonly yes: boolean;
}

/**
 * Removes every waiting and delayed job (pushes not handled yet, replies not sent yet): they are
 * lost. Asks first unless --yes.
 */
export async function runDrain(context: OpsContext, io: CliIo, options: DrainOptions): Promise<number> {
  const queues = selectQueues(context, options.queue);
  const counts = await Promise.all(queues.map((queue) => queue.getJobCounts('waiting', 'delayed', 'paused')));
  const total = counts.reduce((sum, c) => sum + (c['waiting'] ?? 0) + (c['delayed'] ?? 0) + (c['paused'] ?? 0), 0);
  if (total === 0) {
    writeLine(io.stdout, 'nothing to drain');
    return 0;
  }
  const names = queueNames(queues);
  const question = `Remove ${total} waiting and delayed job${total === 1 ? '' : 's'} from ${names}? They are lost.`;
  if (!(await confirmed(io, options.yes, 'drain', question))) return EXIT.declined;
  for (const [i, queue] of queues.entries()) {
    await queue.drain(true);
    const c = counts[i] ?? {};
    writeLine(
      io.stdout,
      `drained ${context.label(queue)}: ${(c['waiting'] ?? 0) + (c['delayed'] ?? 0) + (c['paused'] ?? 0)} jobs`,
    );
  }
  return 0;
}

export interface CleanOptions {
  readonly queue: QueueKey | undefined;
  readonly state: 'failed' | 'completed';
  /** Only jobs that finished at least this long ago (ms). */
  readonly olderThanMs: number;
  readonly yes: boolean;
}

/** Jobs removed per call, so one clean never blocks Redis for long. */
const CLEAN_BATCH = 1_000;

/**
 * Removes finished jobs (failed by default) older than --older-than. Completed pushes are what
 * deduplicates WeChat's retries: removing them lets a late retry in as a new job. Asks first unless --yes.
 */
export async function runClean(context: OpsContext, io: CliIo, options: CleanOptions): Promise<number> {
  const queues = selectQueues(context, options.queue);
  const before = Date.now() - options.olderThanMs;
  // Finished jobs are sorted sets scored by finish time: the count is exact without reading them.
  const counts = await Promise.all(queues.map((queue) => context.redis.zcount(queue.toKey(options.state), 0, before)));
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (total === 0) {
    writeLine(io.stdout, `no ${options.state} jobs to clean`);
    return 0;
  }
  const dedup =
    options.state === 'completed'
      ? ' Completed pushes deduplicate WeChat retries: a late retry becomes a new job.'
      : '';
  const question = `Remove ${total} ${options.state} job${total === 1 ? '' : 's'} from ${queueNames(queues)}?${dedup}`;
  if (!(await confirmed(io, options.yes, 'clean', question))) return EXIT.declined;
  for (const queue of queues) {
    let removed = 0;
    for (;;) {
      const ids = await queue.clean(Math.max(0, Date.now() - before), CLEAN_BATCH, options.state);
      removed += ids.length;
      if (ids.length < CLEAN_BATCH) break;
    }
    writeLine(io.stdout, `cleaned ${context.label(queue)}: ${removed} ${options.state} jobs`);
  }
  return 0;
}

async function confirmed(io: CliIo, yes: boolean, command: string, question: string): Promise<boolean> {
  if (yes) return true;
  if (!io.stdinIsTTY) {
    writeLine(io.stderr, `${command} asks before removing jobs: run it on a terminal, or pass --yes. Nothing removed.`);
    return false;
  }
  if (await confirm(io, question)) return true;
  writeLine(io.stderr, 'Nothing removed.');
  return false;
}

/** "inbound", "inbound and outbound", "inbound, outbound and notify": each queue once, whatever its shards. */
function queueNames(queues: readonly { readonly name: string }[]): string {
  const names = [...new Set(queues.map((queue) => queue.name))];
  const last = names.pop() ?? '';
  return names.length === 0 ? last : `${names.join(', ')} and ${last}`;
}
