import { createHash } from 'node:crypto';
import { type InboundMessage, isKnownMessage } from '@wxq/wechat';
import type { JobsOptions } from 'bullmq';
import type { z } from 'zod';
import {
  type InboundPayload,
  type NotifyBatchPayload,
  type NotifyPayload,
  type OutboundPayload,
  inboundPayloadSchema,
  notifyBatchPayloadSchema,
  notifyPayloadSchema,
  outboundPayloadSchema,
} from './payloads.js';

/** What the inbound queue's job options depend on in a deployment (config, not code). */
export interface InboundSettings {
  /** How long a push's completed job (and so its dedup) is kept: DEDUP_WINDOW_SECONDS. */
  readonly dedupWindowSeconds: number;
}

/** One queue of the catalog: everything producers and workers must agree on. */
export interface QueueDefinition<Payload, Result, Settings = object> {
  /** The BullMQ queue name. */
  readonly name: string;
  readonly description: string;
  /**
   * Whether the queue has a copy in every shard (docs/shards.md): a user's queues do, so their
   * jobs sit next to their keys; an account's (notify) is shard 0's alone.
   */
  readonly perShard: boolean;
  /** Checks job data when it is dequeued: jobs outlive deploys. */
  readonly schema: z.ZodType<Payload>;
  /** The BullMQ job name, for Bull Board: what the job holds (`text`, `event:CLICK`, `reply:text`). Never parsed. */
  jobName(payload: Payload): string;
  /** The job id: a second add with the same id while the job exists is a no-op. */
  jobId(payload: Payload): string;
  jobOptions(settings: Settings): Omit<JobsOptions, 'jobId'>;
  /** Types what the processor returns; never read. */
  readonly result?: Result;
}

/** Failed jobs stay a week for an operator to inspect and retry in Bull Board. */
const FAILED_RETENTION_SECONDS = 7 * 24 * 3600;
/**
 * The most attempts an inbound job can have. The worker gives up earlier, after its configured
 * HANDLER_ATTEMPTS, by failing the job as unrecoverable; failed jobs wait for an operator.
 */
const INBOUND_ATTEMPTS = 25;
/** Retryable send errors back off exponentially with jitter: 1 s, 2 s, 4 s ... up to ~17 min in all. */
const OUTBOUND_ATTEMPTS = 10;
const BACKOFF = { type: 'exponential', delay: 1_000, jitter: 0.5 } as const;
/** DEDUP_WINDOW_SECONDS's default: a reply job added without its push's window is kept this long once sent. */
const DEFAULT_DEDUP_WINDOW_SECONDS = 600;
/** At least a crashed worker's takeover (12 s at worst, docs/deploy.md): what guards a re-run must outlive it. */
const MIN_KEPT_AFTER_DONE_SECONDS = 15;

/** What the inbound processor reports for a handled push. */
export interface InboundResult {
  readonly replies: number;
}

/** Each inbound payload's job id, while the payload lives (payloads are never changed once made). */
const inboundIds = new WeakMap<object, string>();

const inbound: QueueDefinition<InboundPayload, InboundResult, InboundSettings> = {
  name: 'inbound',
  description: 'verified pushes from WeChat, one job per distinct push',
  perShard: true,
  schema: inboundPayloadSchema,
  jobName: (payload) => inboundJobName(payload.message),
  // The gateway asks twice per push (its lane entry, its add): the digest is made once.
  jobId: (payload) => {
    let id = inboundIds.get(payload);
    if (id === undefined) {
      id = inboundJobId(payload.appId, payload.dedupKey);
      inboundIds.set(payload, id);
    }
    return id;
  },
  // Completed jobs are kept for the dedup window: removing them sooner would let a late retry of
  // the same push in as a new job.
  jobOptions: ({ dedupWindowSeconds }) => ({
    attempts: INBOUND_ATTEMPTS,
    backoff: BACKOFF,
    removeOnComplete: { age: dedupWindowSeconds },
    removeOnFail: { age: Math.max(FAILED_RETENTION_SECONDS, dedupWindowSeconds) },
  }),
};

// A push's replies are added with their push's window (Producer.addBulk's keepCompletedSeconds):
// while the push's job can run again, its sent replies' ids are taken and nothing is queued twice.
const outbound: QueueDefinition<OutboundPayload, void> = {
  name: 'outbound',
  description: 'replies to send through the customer-service API, one job per reply',
  perShard: true,
  schema: outboundPayloadSchema,
  jobName: ({ reply }) => (reply.kind === 'message' ? `reply:${reply.message.msgtype}` : `typing:${reply.command}`),
  jobId: (payload) => outboundJobId(payload.appId, payload.dedupKey, payload.replyIndex),
  jobOptions: () => ({
    attempts: OUTBOUND_ATTEMPTS,
    backoff: BACKOFF,
    removeOnComplete: { age: DEFAULT_DEDUP_WINDOW_SECONDS },
    removeOnFail: { age: FAILED_RETENTION_SECONDS },
  }),
};

/** Retryable notification sends: the same backoff as replies (a campaign's pace is set by the rate limit, not here). */
const NOTIFY_ATTEMPTS = 10;
/** A sent notification's state is its record (kept a week); the completed job only for Bull Board. */
const NOTIFY_KEPT_COMPLETED = { age: 3600, count: 10_000 };

// Notifications are an account's, not a user's: one queue under the deployment's prefix, with its
// own worker slots, so replies to users never wait behind a campaign.
const notify: QueueDefinition<NotifyPayload, void> = {
  name: 'notify',
  description: 'template messages and subscribe notifications, one job per notification',
  perShard: false,
  schema: notifyPayloadSchema,
  jobName: ({ send }) => `${send.kind}:${send.template_id}`,
  jobId: ({ id }) => `nt-${id}`,
  jobOptions: () => ({
    attempts: NOTIFY_ATTEMPTS,
    backoff: BACKOFF,
    removeOnComplete: NOTIFY_KEPT_COMPLETED,
    removeOnFail: { age: FAILED_RETENTION_SECONDS },
  }),
};

// A template campaign's recipients twenty at a time (payloads.ts): the shared notify queue takes
// what a batch hands over. Its own queue, so a worker of an older release never takes a batch.
const notifyBatch: QueueDefinition<NotifyBatchPayload, void> = {
  name: 'notify-batch',
  description: "a template campaign's recipients, up to twenty per job",
  perShard: false,
  schema: notifyBatchPayloadSchema,
  jobName: ({ send }) => `batch:${send.template_id}`,
  jobId: ({ campaignId, start }) => `nb-${campaignId}-${String(start)}`,
  jobOptions: () => ({
    attempts: NOTIFY_ATTEMPTS,
    backoff: BACKOFF,
    removeOnComplete: NOTIFY_KEPT_COMPLETED,
    removeOnFail: { age: FAILED_RETENTION_SECONDS },
  }),
};

/**
 * Every wxq queue. Queue names and job-id formats are wire contracts between deployed gateways and
 * workers, and jobs outlive deploys: never rename them; add a new queue or a payload version instead.
 */
export const QUEUES = { inbound, outbound, notify, notifyBatch } as const;

export type QueueKey = keyof typeof QUEUES;
export type PayloadOf<K extends QueueKey> =
  (typeof QUEUES)[K] extends QueueDefinition<infer P, unknown, never> ? P : never;
export type ResultOf<K extends QueueKey> =
  (typeof QUEUES)[K] extends QueueDefinition<unknown, infer R, never> ? R : never;
/** What a producer of queue K must be told about the deployment. */
export type SettingsOf<K extends QueueKey> =
  (typeof QUEUES)[K] extends QueueDefinition<unknown, unknown, infer S> ? S : never;

/**
 * How long what wxq stores for a job outlives it once it is done (docs/capacity.md, "Retention"):
 * as long as the job itself is kept completed, which for a push is its dedup window (the gateway
 * set it from DEDUP_WINDOW_SECONDS), at least 15 s. A push's reply jobs, its inline progress and
 * its lane markers end then: nothing kept per push outlives W + 60 s.
 */
export function keptAfterDoneMs(opts: JobsOptions): number {
  // true, a count, or { age, count }: only an age is a time.
  const keep: JobsOptions['removeOnComplete'] = opts.removeOnComplete;
  const age = typeof keep === 'object' && 'age' in keep ? keep.age : undefined;
  return Math.max(age ?? DEFAULT_DEDUP_WINDOW_SECONDS, MIN_KEPT_AFTER_DONE_SECONDS) * 1000;
}

/** The catalog's keys, in a stable order. */
export const QUEUE_KEYS = Object.keys(QUEUES) as readonly QueueKey[];

/** Whether shard `shardIndex` has a copy of queue `key` (shard 0 has every queue). */
export function queueOnShard(key: QueueKey, shardIndex: number): boolean {
  return shardIndex === 0 || QUEUES[key].perShard;
}

/** A push's job name: its MsgType, `event:<Event>` for events, `unknown` for a type wxq does not know. */
function inboundJobName(message: InboundMessage): string {
  if (!isKnownMessage(message)) return 'unknown';
  return message.MsgType === 'event' ? `event:${message.Event}` : message.MsgType;
}

/**
 * The BullMQ job id of a push: a digest of account + dedup key, because custom ids may not
 * contain `:` (BullMQ guide, jobs/job-ids). A second add with the same id is a no-op while the
 * job exists, so WeChat's retries never become a second job.
 */
export function inboundJobId(appId: string, dedupKey: string): string {
  return `in-${pushDigest(appId, dedupKey)}`;
}

/** The job id of a push's n-th reply: the inbound identity plus the index, so it is the same on every re-run. */
export function outboundJobId(appId: string, dedupKey: string, replyIndex: number): string {
  return `out-${pushDigest(appId, dedupKey)}-${replyIndex}`;
}

function pushDigest(appId: string, dedupKey: string): string {
  return createHash('sha1').update(`${appId}\n${dedupKey}`).digest('hex');
}
