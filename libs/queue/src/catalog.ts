import { createHash } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import { type InboundPayload, type OutboundPayload, inboundPayloadSchema, outboundPayloadSchema } from './payloads.js';

/**
 * The default key prefix of every wxq queue (WXQ_QUEUE_PREFIX overrides it, e.g. per test). The
 * braces are a Redis Cluster hash tag: all of a queue's keys land in one slot, which BullMQ's
 * multi-key scripts need (BullMQ docs, patterns/redis-cluster).
 */
export const QUEUE_PREFIX = '{wxq}';

/**
 * Queue names and job-id formats are wire contracts between deployed gateways and workers, and
 * jobs outlive deploys: never rename them; add a new queue or a payload version instead.
 */
export const QUEUES = {
  inbound: {
    name: 'inbound',
    schema: inboundPayloadSchema,
    description: 'verified pushes from WeChat, one job per distinct push',
  },
  outbound: {
    name: 'outbound',
    schema: outboundPayloadSchema,
    description: 'replies to send through the customer-service API, one job per reply',
  },
} as const;

export type QueueKey = keyof typeof QUEUES;

/**
 * The most attempts an inbound job can have. The worker gives up earlier, after its configured
 * HANDLER_ATTEMPTS, by failing the job as unrecoverable; failed jobs wait for an operator.
 */
export const INBOUND_ATTEMPTS = 25;
const INBOUND_BACKOFF_MS = 1_000;
/** Failed jobs stay a week for an operator to inspect and retry in Bull Board. */
const FAILED_RETENTION_SECONDS = 7 * 24 * 3600;

/**
 * The BullMQ job id of a push: a digest of account + dedup key, because custom ids may not
 * contain `:` (BullMQ guide, jobs/job-ids). A second add with the same id is a no-op while the
 * job exists, so WeChat's retries never become a second job.
 */
export function inboundJobId(appId: string, dedupKey: string): string {
  return `in-${createHash('sha1').update(`${appId}\n${dedupKey}`).digest('hex')}`;
}

/**
 * Job options for a push. Completed jobs are kept for the dedup window: removing them sooner
 * would let a late retry of the same push in as a new job.
 */
export function inboundJobOptions(payload: InboundPayload, dedupWindowSeconds: number): JobsOptions {
  return {
    jobId: inboundJobId(payload.appId, payload.dedupKey),
    attempts: INBOUND_ATTEMPTS,
    backoff: { type: 'exponential', delay: INBOUND_BACKOFF_MS, jitter: 0.5 },
    removeOnComplete: { age: dedupWindowSeconds },
    removeOnFail: { age: Math.max(FAILED_RETENTION_SECONDS, dedupWindowSeconds) },
  };
}

/** Retryable send errors back off exponentially with jitter: 1 s, 2 s, 4 s ... up to ~17 min in all. */
export const OUTBOUND_ATTEMPTS = 10;
const OUTBOUND_BACKOFF_MS = 1_000;
/**
 * Sent replies are kept a day: an inbound job re-run within that time (a worker crash, an operator
 * retry) finds its replies' ids taken and queues nothing twice.
 */
const SENT_RETENTION_SECONDS = 24 * 3600;

/** The job id of a push's n-th reply: the inbound identity plus the index, so it is the same on every re-run. */
export function outboundJobId(appId: string, dedupKey: string, replyIndex: number): string {
  return `out-${createHash('sha1').update(`${appId}\n${dedupKey}`).digest('hex')}-${replyIndex}`;
}

export function outboundJobOptions(payload: OutboundPayload): JobsOptions {
  return {
    jobId: outboundJobId(payload.appId, payload.dedupKey, payload.replyIndex),
    attempts: OUTBOUND_ATTEMPTS,
    backoff: { type: 'exponential', delay: OUTBOUND_BACKOFF_MS, jitter: 0.5 },
    removeOnComplete: { age: SENT_RETENTION_SECONDS },
    removeOnFail: { age: FAILED_RETENTION_SECONDS },
  };
}
