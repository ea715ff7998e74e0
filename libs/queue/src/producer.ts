import { type Job, Queue, type QueueOptions } from 'bullmq';
import {
  type PayloadOf,
  QUEUES,
  type QueueDefinition,
  type QueueKey,
  type ResultOf,
  type SettingsOf,
} from './catalog.js';

export interface ProducerOptions<K extends QueueKey> {
  readonly connection: QueueOptions['connection'];
  /** WXQ_QUEUE_PREFIX or a shard prefix (docs/shards.md): a `{hash tag}`, so a queue has one Cluster slot. */
  readonly prefix: string;
  readonly settings: SettingsOf<K>;
}

/** Adds jobs to one catalog queue with the catalog's name, id and options for each payload. */
export interface Producer<K extends QueueKey> {
  readonly queue: Queue<PayloadOf<K>, ResultOf<K>>;
  /**
   * Resolves once Redis has the job; a payload whose job exists adds nothing (same job id).
   * `delayMs`: the job waits in "delayed" that long first.
   */
  add(payload: PayloadOf<K>, options?: { readonly delayMs?: number }): Promise<Job<PayloadOf<K>, ResultOf<K>>>;
  /**
   * Several adds in one round trip. `keepCompletedSeconds` replaces the catalog's age for keeping
   * these jobs once completed (a push's replies are kept as long as their push: keptAfterDoneMs).
   */
  addBulk(payloads: readonly PayloadOf<K>[], keepCompletedSeconds?: number): Promise<Job<PayloadOf<K>, ResultOf<K>>[]>;
  /** The Redis key of the payload's job hash, named by BullMQ's own helper. */
  jobKey(payload: PayloadOf<K>): string;
  close(): Promise<void>;
}

/** A producer for the catalog queue `key`; the caller attaches an `error` listener to `queue`. */
export function createProducer<K extends QueueKey>(key: K, options: ProducerOptions<K>): Producer<K> {
  // The indexed entry is the union of every definition; for a given K it is this one.
  const definition = QUEUES[key] as QueueDefinition<PayloadOf<K>, ResultOf<K>, SettingsOf<K>>;
  const queue = new Queue<PayloadOf<K>, ResultOf<K>>(definition.name, {
    connection: options.connection,
    prefix: options.prefix,
  });
  const defaults = definition.jobOptions(options.settings);
  const jobOf = (payload: PayloadOf<K>, opts: typeof defaults = defaults) => ({
    name: definition.jobName(payload),
    data: payload,
    opts: { ...opts, jobId: definition.jobId(payload) },
  });
  return {
    queue,
    add: (payload, { delayMs } = {}) => {
      const job = jobOf(payload, delayMs === undefined || delayMs <= 0 ? defaults : { ...defaults, delay: delayMs });
      // BullMQ's generics over job names do not reduce for a generic K: the queue's own types hold.
      return queue.add(job.name as never, job.data as never, job.opts) as Promise<Job<PayloadOf<K>, ResultOf<K>>>;
    },
    addBulk: (payloads, keepCompletedSeconds) => {
      const kept = keepCompletedSeconds === undefined ? {} : { removeOnComplete: { age: keepCompletedSeconds } };
      const opts = { ...defaults, ...kept };
      return queue.addBulk(payloads.map((payload) => jobOf(payload, opts)) as never) as Promise<
        Job<PayloadOf<K>, ResultOf<K>>[]
      >;
    },
    jobKey: (payload) => queue.toKey(definition.jobId(payload)),
    close: () => queue.close(),
  };
}
