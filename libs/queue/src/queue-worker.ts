import type { Logger } from '@wxq/logging';
import { type Job, UnrecoverableError, Worker, type WorkerOptions } from 'bullmq';
import { z } from 'zod';
import { type PayloadOf, QUEUES, type QueueDefinition, type QueueKey, type ResultOf } from './catalog.js';

/** What a processor gets besides the parsed payload. */
export interface JobContext {
  readonly job: Job;
  /** BullMQ's lock token, for moveToDelayed and friends. */
  readonly token: string | undefined;
  /** Bound to the queue and job id. */
  readonly log: Logger;
}

/** Handles one job of queue K: throw to retry, UnrecoverableError to fail for good. */
export type Processor<K extends QueueKey> = (payload: PayloadOf<K>, context: JobContext) => Promise<ResultOf<K>>;

/** One processor per catalog queue: a queue without a processor does not compile. */
export type ProcessorMap = { readonly [K in QueueKey]: Processor<K> };

export interface QueueWorkerOptions extends Omit<WorkerOptions, 'autorun' | 'connection'> {
  readonly connection: WorkerOptions['connection'];
  readonly logger: Logger;
}

/**
 * A BullMQ worker for the catalog queue `key`, built with `autorun: false` (call `run()` once the
 * rest is ready). Each job's data is parsed with the queue's schema first: data that does not
 * parse fails for good (it will not parse on a retry either). Every failure is logged here, once.
 */
export function createQueueWorker<K extends QueueKey>(
  key: K,
  processor: Processor<K>,
  options: QueueWorkerOptions,
): Worker<PayloadOf<K>, ResultOf<K>> {
  // The indexed entry is the union of every definition; for a given K it is this one.
  const definition = QUEUES[key] as QueueDefinition<PayloadOf<K>, ResultOf<K>>;
  const { logger, ...workerOptions } = options;
  const log = logger.child({ queue: definition.name });
  const worker = new Worker<PayloadOf<K>, ResultOf<K>>(
    definition.name,
    async (job, token) => {
      const parsed = definition.schema.safeParse(job.data);
      if (!parsed.success) {
        throw new UnrecoverableError(`not a valid ${definition.name} payload: ${z.prettifyError(parsed.error)}`);
      }
      // Made when first used: most jobs log nothing, and a child logger per job was GC work on every one.
      let jobLog: Logger | undefined;
      return processor(parsed.data, {
        job,
        token,
        get log() {
          return (jobLog ??= log.child({ jobId: job.id }));
        },
      });
    },
    { ...workerOptions, autorun: false },
  );
  worker.on('failed', (job, err) => {
    const attempts = job?.opts.attempts ?? 1;
    const final = err instanceof UnrecoverableError || (job !== undefined && job.attemptsMade >= attempts);
    log.warn(
      { jobId: job?.id, attempt: job?.attemptsMade, final, err },
      final ? 'job failed for good' : 'job failed, will retry',
    );
  });
  worker.on('error', (err) => {
    log.error({ err }, 'worker error');
  });
  return worker;
}
