import { Job, type MinimalQueue } from 'bullmq';
import { type RedisClient, type RedisScript, loadScript } from '@wxq/redis';
import { keptAfterDoneMs } from './catalog.js';

// Per-user ordering on BullMQ's open-source edition, which has no groups (docs/ordering.md).
// A lane is a sorted set of job ids scored by their place in the conversation (epoch ms of the
// push, plus a fraction for the n-th reply); only the lowest member, the head, may run. A job
// leaves its lane when it is done (completed or failed for good) and hands the turn to the next,
// promoting it out of "delayed", where it parked. Every script touches keys under one prefix, so
// one hash tag: the same slot on a Cluster.

// Each script's KEYS, ARGV, answer and the race it closes: the header of its file in lua/.
const ENTER = loadScript(new URL('./lua/lane-enter.lua', import.meta.url));
const TURN = loadScript(new URL('./lua/lane-turn.lua', import.meta.url));
const LEAVE = loadScript(new URL('./lua/lane-leave.lua', import.meta.url));
const DROP_HEAD = loadScript(new URL('./lua/lane-drop-head.lua', import.meta.url));

/**
 * A lane is deleted by Redis when it empties; this only bounds one left holding a member whose
 * job was never created (a push answered 503 and never retried).
 */
const LANE_TTL_MS = 8 * 24 * 3600 * 1000;
/**
 * A head older than this whose job is missing or finished is dropped by the next job to look.
 * Younger, its job may still be on its way (the gateway writes the lane entry just before the job).
 */
const REPAIR_AFTER_MS = 10_000;
/** Dead heads dropped in one look; a longer run of them is cleared by the next looks. */
const MAX_REPAIRS_PER_TURN = 20;

/**
 * The key that says at which attempt, and how, a job left its lane; an operator's retry deletes it
 * so the job can join its lane again.
 */
export function leftMarkerKey(lane: string, jobId: string): string {
  return `${lane}:left:${jobId}`;
}

/** The lane score of a push received at `receivedAt` (epoch ms), or of its n-th reply. */
export function laneScore(receivedAt: number, replyIndex = 0): number {
  // Multiples of 1/1024 are exact in a double next to epoch milliseconds (its unit there is 1/4096).
  return receivedAt + Math.min(replyIndex, 1023) / 1024;
}

/** How a job that left its lane ended: `done` (completed) or `failed` (for good). */
export type LaneOutcome = 'done' | 'failed';

/**
 * `head`: run now. `behind`: park until `head` hands over. `left`: the job had already left its
 * lane at this attempt, with `outcome`: it is running again after a crash between leaving and
 * finishing, and must finish the same way without running twice.
 */
export type Turn =
  | { readonly is: 'head' }
  | { readonly is: 'behind'; readonly head: string }
  | { readonly is: 'left'; readonly outcome: LaneOutcome };

export interface Lanes {
  /**
   * Puts jobs in a lane in the order of their scores, before they are added to the queue. Answers,
   * per member, whether its job already existed (it was not entered); `undefined` when the answer
   * came after a script reload (`NOSCRIPT`), so after any add sent behind it: it may have seen
   * that add's job.
   */
  enter(
    lane: string,
    members: readonly (readonly [jobId: string, score: number])[],
  ): Promise<readonly boolean[] | undefined>;
  /**
   * `enter` for members of several lanes in one call (a gateway's batch of pushes, a push's replies
   * to several users); the lanes must share a slot (one queue's prefix). Answers per entry.
   */
  enterEach(entries: readonly LaneEntry[]): Promise<readonly boolean[] | undefined>;
  /** Whether the job may run now; a job not in its lane (and not just left it) joins it. */
  turn(lane: string, job: Job, score: number): Promise<Turn>;
  /** Leaves the lane at this attempt with `outcome`, and wakes the next job (promotes it if it is parked). */
  leave(lane: string, job: Job, outcome: LaneOutcome): Promise<void>;
  /**
   * Parks a job that is not the head until the head hands over, at the latest for `parkMs` (the
   * safety net for a hand-over lost to a crash). The caller then throws BullMQ's DelayedError.
   */
  park(lane: string, job: Job, token: string | undefined, parkMs: number): Promise<void>;
}

/** A job's place in a lane: see {@link Lanes.enterEach}. */
export interface LaneEntry {
  readonly lane: string;
  readonly jobId: string;
  readonly score: number;
}

/** The lanes of one queue's jobs, on that queue's Redis. */
export function createLanes(redis: RedisClient, queue: MinimalQueue): Lanes {
  const eval1 = <T>(script: RedisScript, keys: readonly string[], ...args: (string | number)[]): Promise<T> =>
    script.run<T>(redis, keys, args);
  const markerOf = leftMarkerKey;

  const promote = async (jobId: string) => {
    const job = await Job.fromId(queue, jobId);
    // Not delayed: it has not parked yet, and looks at the lane again right after it parks.
    if (job !== undefined && (await job.isDelayed())) await job.promote().catch(() => undefined);
  };

  /** Drops the head when it is old and its job is missing or finished; answers whether it did. */
  const dropIfDead = async (lane: string, head: string, headScore: number): Promise<boolean> => {
    if (Date.now() - headScore < REPAIR_AFTER_MS) return false;
    const headJob = await Job.fromId(queue, head);
    const state = headJob === undefined ? 'unknown' : await headJob.getState();
    if (state !== 'unknown' && state !== 'completed' && state !== 'failed') return false;
    return (await eval1<number>(DROP_HEAD, [lane], head)) === 1;
  };

  const look = async (lane: string, job: Job, score: number) => {
    const jobId = job.id ?? '';
    return eval1<[string | null, string | null, 'member' | 'joined' | 'left', string | null]>(
      TURN,
      [lane, markerOf(lane, jobId)],
      jobId,
      score,
      LANE_TTL_MS,
      job.attemptsMade,
    );
  };

  const enterEach = async (entries: readonly LaneEntry[]) => {
    if (entries.length === 0) return [];
    const { value, resent } = await ENTER.runTelling(
      redis,
      entries.flatMap(({ lane, jobId }) => [lane, queue.toKey(jobId)]),
      [LANE_TTL_MS, ...entries.flatMap(({ jobId, score }) => [score, jobId])],
    );
    return resent ? undefined : (value as number[]).map((existed) => existed === 1);
  };
  return {
    enter: (lane, members) => enterEach(members.map(([jobId, score]) => ({ lane, jobId, score }))),
    enterEach,
    async turn(lane, job, score) {
      const jobId = job.id ?? '';
      for (let repairs = 0; ; repairs += 1) {
        const [head, headScore, state, marker] = await look(lane, job, score);
        if (state === 'left') return { is: 'left', outcome: marker?.endsWith(':failed') === true ? 'failed' : 'done' };
        if (head === jobId || head === null) return { is: 'head' };
        if (repairs >= MAX_REPAIRS_PER_TURN || !(await dropIfDead(lane, head, Number(headScore)))) {
          return { is: 'behind', head };
        }
      }
    },
    async leave(lane, job, outcome) {
      const jobId = job.id ?? '';
      const next = await eval1<string | null>(
        LEAVE,
        [lane, markerOf(lane, jobId)],
        jobId,
        job.attemptsMade,
        outcome,
        // It must outlive a crashed worker's stalled-job recovery (~12 s) and no more than the job
        // is kept done: a finished push keeps nothing past its window.
        keptAfterDoneMs(job.opts),
      );
      if (next !== null) await promote(next);
    },
    async park(lane, job, token, parkMs) {
      const jobId = job.id ?? '';
      await job.moveToDelayed(Date.now() + parkMs, token);
      // The head may have left between our look and the park and found us not parked yet: look
      // again now that we are, and take the turn ourselves.
      const [head] = await look(lane, job, 0);
      if (head === jobId) await job.promote().catch(() => undefined);
    },
  };
}
