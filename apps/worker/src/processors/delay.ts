import { DelayedError, type Job } from 'bullmq';

/** A waiting job looks again at least this often, so an operator who lifts a pause is seen within a minute. */
const RECHECK_MS = 60_000;

/** Waits in "delayed" until `until` (a minute at most, then it looks again) without spending an attempt. */
export async function delayUntil(job: Job, token: string | undefined, until: number): Promise<never> {
  await job.moveToDelayed(Math.min(until, Date.now() + RECHECK_MS), token);
  throw new DelayedError();
}
