import { Job, type MinimalQueue } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';

// Per-user ordering on BullMQ's open-source edition, which has no groups (docs/ordering.md).
// A lane is a sorted set of job ids scored by their place in the conversation (epoch ms of the
// push, plus a fraction for the n-th reply); only the lowest member, the head, may run. A job
// leaves its lane when it is done (completed or failed for good) and hands the turn to the next,
// promoting it out of "delayed", where it parked.

/** Adds members (ARGV: ttl, then score/id pairs); members already in the lane keep their place. */
const ENTER = `for i = 2, #ARGV, 2 do redis.call('ZADD', KEYS[1], 'NX', ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

/**
 * Answers `[head, headScore, wasMember]`. A job not in its lane is added when ARGV[4] is 1 (its
 * producer did not order it), else the lane is left alone (the job had left it already).
 */
const TURN = `local member = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not member and ARGV[4] == '1' then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return { head[1] or false, head[2] or false, member and 1 or 0 }`;

/** Removes the job from its lane and answers the new head, or false when the lane is empty. */
const LEAVE = `redis.call('ZREM', KEYS[1], ARGV[1])
local head = redis.call('ZRANGE', KEYS[1], 0, 0)
return head[1] or false`;

/** Removes ARGV[1] only while it is still the head: repairs a lane whose head job is gone. */
const DROP_HEAD = `local head = redis.call('ZRANGE', KEYS[1], 0, 0)
if head[1] == ARGV[1] then redis.call('ZREM', KEYS[1], ARGV[1]) return 1 end
return 0`;

/**
 * A lane is deleted by Redis when it empties; this only bounds one left holding a member whose
 * job was never created (a push answered 503 and never retried).
 */
export const LANE_TTL_MS = 8 * 24 * 3600 * 1000;
/**
 * A head older than this whose job is missing or finished is dropped by the next job to look.
 * Younger, its job may still be on its way (the gateway writes the lane entry just before the job).
 */
const REPAIR_AFTER_MS = 10_000;

/** The lane score of a push received at `receivedAt` (epoch ms), or of its n-th reply. */
export function laneScore(receivedAt: number, replyIndex = 0): number {
  // Multiples of 1/1024 are exact in a double next to epoch milliseconds (its unit there is 1/4096).
  return receivedAt + Math.min(replyIndex, 1023) / 1024;
}

/**
 * `head`: run now. `behind`: park until `head` hands over. `left`: the job had already left its
 * lane, so its work is done (it is running again after a crash between leaving and completing).
 */
export type Turn = { readonly is: 'head' } | { readonly is: 'behind'; readonly head: string } | { readonly is: 'left' };

export interface Lanes {
  /** Puts jobs in a lane in the order of their scores, before they are added to the queue. */
  enter(lane: string, members: readonly (readonly [jobId: string, score: number])[]): Promise<void>;
  /**
   * Whether the job may run now. A job not in its lane on its first start was produced without
   * ordering (a gateway with WXQ_ORDERING=off): it joins the lane then.
   */
  turn(lane: string, job: Job, score: number): Promise<Turn>;
  /** Leaves the lane and wakes the next job (promotes it if it is parked). */
  leave(lane: string, jobId: string): Promise<void>;
  /**
   * Parks a job that is not the head until the head hands over, at the latest for `parkMs` (the
   * safety net for a hand-over lost to a crash). The caller then throws BullMQ's DelayedError.
   */
  park(lane: string, job: Job, token: string | undefined, parkMs: number): Promise<void>;
}

/** The lanes of one queue's jobs, on that queue's Redis. */
export function createLanes(redis: Redis | Cluster, queue: MinimalQueue): Lanes {
  const call = async <T>(script: string, key: string, ...args: (string | number)[]): Promise<T> =>
    (await redis.eval(script, 1, key, ...args)) as T;

  const promote = async (jobId: string) => {
    const job = await Job.fromId(queue, jobId);
    // Not delayed: it has not parked yet, and looks at the lane again right after it parks.
    if (job !== undefined && (await job.isDelayed())) await job.promote().catch(() => undefined);
  };

  const repair = async (lane: string, head: string, headScore: number) => {
    if (Date.now() - headScore < REPAIR_AFTER_MS) return;
    const headJob = await Job.fromId(queue, head);
    const state = headJob === undefined ? 'unknown' : await headJob.getState();
    if (state === 'unknown' || state === 'completed' || state === 'failed') await call<number>(DROP_HEAD, lane, head);
  };

  return {
    async enter(lane, members) {
      if (members.length === 0) return;
      await call<number>(ENTER, lane, LANE_TTL_MS, ...members.flatMap(([jobId, score]) => [score, jobId]));
    },
    async turn(lane, job, score) {
      const jobId = job.id ?? '';
      const firstStart = job.attemptsStarted <= 1;
      const [head, headScore, wasMember] = await call<[string | null, string | null, number]>(
        TURN,
        lane,
        jobId,
        score,
        LANE_TTL_MS,
        firstStart ? 1 : 0,
      );
      if (wasMember === 0 && !firstStart) return { is: 'left' };
      if (head === jobId || head === null) return { is: 'head' };
      await repair(lane, head, Number(headScore));
      return { is: 'behind', head };
    },
    async leave(lane, jobId) {
      const next = await call<string | null>(LEAVE, lane, jobId);
      if (next !== null) await promote(next);
    },
    async park(lane, job, token, parkMs) {
      const jobId = job.id ?? '';
      await job.moveToDelayed(Date.now() + parkMs, token);
      // The head may have left between our look and the park and found us not parked yet: look
      // again now that we are, and take the turn ourselves.
      const [head] = await call<[string | null]>(TURN, lane, jobId, 0, LANE_TTL_MS, 0);
      if (head === jobId) await job.promote().catch(() => undefined);
    },
  };
}
