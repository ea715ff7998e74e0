import { type InboundPayload, type Lanes, type Producer, QUEUES, laneScore } from '@wxq/queue';
import type { RedisClient, WxqKeys } from '@wxq/redis';
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
  readonly producer: Producer<'inbound'>;
  /** The queue's own producer connection, for the duplicate check riding along with the add. */
  readonly redis: RedisClient;
  /** Per-user ordering (docs/ordering.md): each push takes its place in its user's lane. */
  readonly ordering: { readonly lanes: Lanes; readonly keys: WxqKeys } | undefined;
  readonly timeoutMs: number;
  /** Observes Redis alone: from the add to its confirmation, failure or deadline. */
  readonly enqueueSeconds: Histogram;
}

/**
 * Adds a push as a job whose id is its dedup key. The lane entry and the EXISTS are pipelined
 * ahead of the add on the same connection, so they cost no extra round trip and the lane entry
 * always lands first. EXISTS only feeds the duplicate count — the job id is what guarantees one
 * job per push, even for concurrent copies.
 */
export function createEnqueuer(deps: EnqueuerDeps): Enqueuer {
  const { producer, ordering } = deps;
  // BullMQ holds every command until its connection has been ready once. An add made while Redis
  // has been down since start-up would outlive our 503 and land later as a job nobody acked, and
  // each push of the outage would wait in memory: refuse at once until the queue is ready.
  let isQueueReady = false;
  producer.queue.waitUntilReady().then(
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
      const started = performance.now();
      try {
        const entered = ordering?.lanes.enter(ordering.keys.lane(QUEUES.inbound.name, payload.appId, payload.message.FromUserName), [
          [QUEUES.inbound.jobId(payload), laneScore(payload.receivedAt)],
        ]);
        const work = Promise.all([deps.redis.exists(producer.jobKey(payload)), producer.add(payload), entered]);
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
