import { createKeys } from '@wxq/redis';
import { type FinishedStatus, Job, Queue, type RetryOptions } from 'bullmq';
import { conversationOf } from './conversation.js';
import { leftMarkerKey } from './lanes.js';

/**
 * A job whose retry is an operator's: it gets its whole attempt budget again. BullMQ's own retry
 * keeps `attemptsMade`, so a handler job that failed HANDLER_ATTEMPTS times would run once more and
 * fail for good at once. The retry also clears the job's "left" marker in its ordering lane: with
 * the attempts back at 0 the marker of a job that failed at its first attempt would match again and
 * the lane would take the retry for a crashed run of the old one (docs/ordering.md).
 */
class OperatorJob<Data = unknown, Result = unknown, Name extends string = string> extends Job<Data, Result, Name> {
  override async retry(state: FinishedStatus = 'failed', opts: RetryOptions = {}): Promise<void> {
    const conversation = conversationOf(this.queueName, this.data);
    // Only a finished job: a running one's marker still guards against its own crash.
    if (conversation !== undefined && this.id !== undefined && (await this.getState()) === state) {
      const lane = createKeys(this.prefix).lane(this.queueName, conversation.appId, conversation.openId);
      const client = await this.queue.client;
      await client.del(leftMarkerKey(lane, this.id));
    }
    // WeChat's answer to the inline attempt (docs/ordering.md) was this job's first attempt; an
    // operator's retry calls WeChat again instead of taking that answer once more.
    if (typeof this.data === 'object' && this.data !== null && 'inlineAttempt' in this.data) {
      const { inlineAttempt: _answered, ...data } = this.data;
      await this.updateData(data as Data);
    }
    await super.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true, ...opts });
  }
}

/**
 * A BullMQ queue for operators (Bull Board, `npm run ops`): every job it hands out retries with a
 * fresh attempt budget and may take its place in its ordering lane again. Its prefix must be the
 * deployment's WXQ_QUEUE_PREFIX or one of its shards' (docs/shards.md), which also names the lanes.
 */
export class OperatorQueue extends Queue {
  // BullMQ builds the jobs a queue reads through this getter (getJob, getJobs, getFailed, ...).
  override get Job(): typeof Job {
    return OperatorJob;
  }
}
