import type { QueueKey } from '@wxq/queue';
import { type CliIo, writeJson, writeLine } from '../cli-io.js';
import { type FailedJobRow, failedJobs, toFailedJobRow } from '../failed-jobs.js';
import { type OpsContext, selectQueues } from '../ops-context.js';
import { formatTable } from '../table.js';

export interface FailedOptions {
  readonly json: boolean;
  readonly queue: QueueKey | undefined;
  readonly account: string | undefined;
  /** Only jobs that failed within this long (ms). */
  readonly sinceMs: number | undefined;
}

/** A reason longer than this is cut in the table; --json has it whole. */
const REASON_COLUMN_CHARS = 100;

/** Lists failed jobs, newest first per queue. */
export async function runFailed(context: OpsContext, io: CliIo, options: FailedOptions): Promise<number> {
  const sinceMs = options.sinceMs === undefined ? undefined : Date.now() - options.sinceMs;
  const rows: FailedJobRow[] = [];
  for (const queue of selectQueues(context, options.queue)) {
    for await (const failed of failedJobs(queue, { account: options.account, sinceMs }))
      rows.push(toFailedJobRow(failed));
  }
  if (options.json) {
    writeJson(io.stdout, rows);
    return 0;
  }
  if (rows.length === 0) {
    writeLine(io.stdout, 'no failed jobs');
    return 0;
  }
  const cut = (reason: string) =>
    reason.length > REASON_COLUMN_CHARS ? `${reason.slice(0, REASON_COLUMN_CHARS - 3)}...` : reason;
  writeLine(
    io.stdout,
    formatTable(
      ['failed at', 'queue', 'id', 'account', 'openid', 'attempts', 'reason'],
      rows.map((row) => [
        row.failedAt ?? '-',
        row.queue,
        row.id,
        row.account ?? '-',
        row.openid ?? '-',
        String(row.attemptsMade),
        cut(row.reason.replace(/\s+/g, ' ')),
      ]),
    ),
  );
  writeLine(io.stdout, `${rows.length} failed job${rows.length === 1 ? '' : 's'}`);
  return 0;
}
