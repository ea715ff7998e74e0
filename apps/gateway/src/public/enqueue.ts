import { type InboundPayload, inboundJobOptions } from '@wxq/queue';
import type { RedisClient } from '@wxq/redis';
import type { Queue } from 'bullmq';
import type { Histogram } from 'prom-client';
import { GatewayError } from './errors.js';

export type EnqueueOutcome = 'accepted' | 'duplicate';

export interface Enqueuer {
  /**
   * Resolves once Redis has confirmed the job (or that it already existed).
   * @throws GatewayError `enqueue_timeout` past the deadline, `redis_unavailable` when Redis refuses
   */
  enqueue(payload: InboundPayload): Promise<EnqueueOutcome>;
  /** False until the queue has reached Redis once; enqueue() refuses at once until then. */
  isReady(): boolean;
}

export interface EnqueuerDeps {
  readonly queue: Queue;
  /** The queue's own producer connection, for the duplicate check riding along with the add. */
  readonly redis: RedisClient;
  readonly dedupWindowSeconds: number;
  readonly timeoutMs: number;
  /** Observes Redis alone: from the add to its confirmation, failure or deadline. */
  readonly enqueueSeconds: Histogram;
}

/**
 * Adds a push as a job whose id is its dedup key. The EXISTS is pipelined ahead of the add on the
 * same connection, so it costs no extra round trip; it only feeds the duplicate count — the job id
 * is what guarantees one job per push, even for concurrent copies.
 */
export function createEnqueuer(deps: EnqueuerDeps): Enqueuer {
  const jobKeyPrefix = `${deps.queue.opts.prefix ?? 'bull'}:${deps.queue.name}:`;
  // BullMQ holds every command until its connection has been ready once. An add made while Redis
  // has been down since start-up would outlive our 503 and land later as a job nobody acked, and
  // each push of the outage would wait in memory: refuse at once until the queue is ready.
  let isQueueReady = false;
  deps.queue.waitUntilReady().then(
    () => {
      isQueueReady = true;
    },
    // Closed before Redis ever came up; the queue's 'error' listener has logged why.
    () => undefined,
  );
  return {
    isReady: () => isQueueReady,
    async enqueue(payload) {
      if (!isQueueReady) throw new GatewayError('redis_unavailable', 'Redis has not been reachable since start-up');
      const options = inboundJobOptions(payload, deps.dedupWindowSeconds);
      const started = performance.now();
      try {
        const work = Promise.all([deps.redis.exists(`${jobKeyPrefix}${options.jobId ?? ''}`), deps.queue.add('push', payload, options)]);
        const [existed] = await withDeadline(work, deps.timeoutMs);
        return existed === 1 ? 'duplicate' : 'accepted';
      } finally {
        deps.enqueueSeconds.observe((performance.now() - started) / 1000);
      }
    },
  };
}

async function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new GatewayError('enqueue_timeout', `Redis did not confirm within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([work.catch(toUnavailable), deadline]);
  } finally {
    clearTimeout(timer);
    // A late rejection after the deadline must not surface as an unhandled rejection.
    work.catch(() => undefined);
  }
}

function toUnavailable(cause: unknown): never {
  throw new GatewayError('redis_unavailable', 'Redis refused the job', { cause });
}
