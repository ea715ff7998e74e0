import { type Conversation, conversationOf } from '@wxq/queue';
import type { Job, Queue } from 'bullmq';

/** One failed job as `ops failed --json` prints it: a stable shape for scripts. */
export interface FailedJobRow {
  readonly queue: string;
  readonly id: string;
  /** The AppID, or null when the job's data is not a wxq payload. */
  readonly account: string | null;
  /** The user: the sender of a push, the recipient of a reply; null as for account. */
  readonly openid: string | null;
  readonly reason: string;
  readonly attemptsMade: number;
  /** ISO 8601; null when BullMQ recorded no finish time. */
  readonly failedAt: string | null;
}

export interface FailedJobFilter {
  readonly account?: string | undefined;
  /** Only jobs that failed at or after this time (epoch ms). */
  readonly sinceMs?: number | undefined;
}

/** BullMQ reads a page of job hashes at once: enough to be quick, small enough for a big backlog. */
const PAGE_SIZE = 200;

export interface FailedJob {
  readonly job: Job;
  readonly conversation: Conversation | undefined;
}

/**
 * The failed jobs of `queue` matching `filter`, newest first. BullMQ keeps "failed" sorted by
 * finish time, so `sinceMs` stops the walk at the first older job.
 */
export async function* failedJobs(queue: Queue, filter: FailedJobFilter): AsyncGenerator<FailedJob> {
  for (let start = 0; ; start += PAGE_SIZE) {
    const page = await queue.getFailed(start, start + PAGE_SIZE - 1);
    for (const job of page) {
      if (filter.sinceMs !== undefined && (job.finishedOn ?? 0) < filter.sinceMs) return;
      const conversation = conversationOf(queue.name, job.data);
      if (filter.account !== undefined && conversation?.appId !== filter.account) continue;
      yield { job, conversation };
    }
    if (page.length < PAGE_SIZE) return;
  }
}

export function toFailedJobRow({ job, conversation }: FailedJob): FailedJobRow {
  return {
    queue: job.queueName,
    id: job.id ?? '',
    account: conversation?.appId ?? null,
    openid: conversation?.openId ?? null,
    reason: job.failedReason,
    attemptsMade: job.attemptsMade,
    failedAt: job.finishedOn === undefined ? null : new Date(job.finishedOn).toISOString(),
  };
}
