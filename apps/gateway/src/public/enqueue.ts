import { type InboundPayload, type Lanes, type Producer, QUEUES, laneScore } from '@wxq/queue';
import { type RedisClient, type WxqKeys, raceTimeout } from '@wxq/redis';
import { coalesce } from './coalesce.js';
import { GatewayError } from './errors.js';
import type { GatewayMetrics } from '../metrics.js';

/** The least time left on the deadline for which an add is still sent after waiting for Redis. */
const MIN_ADD_BUDGET_MS = 100;
/** The most pushes sent to Redis as one write (one MULTI of adds) under load. */
const MAX_BATCH = 50;

export type EnqueueOutcome = 'accepted' | 'duplicate';

export interface Enqueuer {
  /**
   * Resolves once Redis has confirmed the job (or that it already existed).
   * @throws GatewayError `enqueue_timeout` past the deadline, `redis_unavailable` when Redis refuses
   */
  enqueue(payload: InboundPayload): Promise<EnqueueOutcome>;
  /** False until the queue has reached Redis once; until then enqueue() waits for it, within its deadline. */
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
  readonly enqueueSeconds: GatewayMetrics['enqueueSeconds'];
}

/**
 * Adds a push as a job whose id is its dedup key. The lane entry (or, without ordering, an EXISTS)
 * is pipelined ahead of the add on the same connection, so it costs no extra round trip and the
 * lane entry always lands first (but for the one push after a Redis restart whose script load lands
 * after its add: the worker then puts that job in its lane on its first start). Whether the job
 * existed only feeds the duplicate count — the job id is what guarantees one job per push, even
 * for concurrent copies.
 * Under load the pushes of one event-loop turn go as one batch, their adds in one MULTI.
 */
export function createEnqueuer(deps: EnqueuerDeps): Enqueuer {
  const { producer, ordering, redis } = deps;
  // BullMQ holds every command until its connection has been ready once, and the producer
  // connection refuses commands while it is reconnecting (no offline queue). A push that finds
  // Redis not (yet) connected waits for it within its own deadline, and its add is issued only
  // once the connection is ready: nothing is sent that could outlive the 503 of a deadline
  // passed while waiting, and a gateway starting or reconnecting under load answers `success`
  // instead of 503 as soon as Redis is there.
  let isQueueReady = false;
  const waiters = new Set<() => void>();
  const wakeWaiters = () => {
    for (const wake of waiters) wake();
  };
  producer.queue.waitUntilReady().then(
    () => {
      isQueueReady = true;
      wakeWaiters();
    },
    // Closed before Redis ever came up; the queue's 'error' listener has logged why.
    () => undefined,
  );
  redis.on('ready', wakeWaiters);
  const isConnected = () => isQueueReady && redis.status === 'ready';

  const untilConnected = (timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const wake = () => {
        if (!isConnected()) return;
        waiters.delete(wake);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(wake);
        reject(new GatewayError('redis_unavailable', `Redis was not reachable within ${deps.timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(wake);
    });

  // One push's Redis work, or a whole event-loop turn's under load (coalesce.ts). The lane entries
  // (which tell whether the job existed) or, without ordering, the EXISTS go first on the same
  // connection, so they land before the adds.
  const send = coalesce<InboundPayload, boolean>((payloads) => {
    const existed = ordering === undefined ? existedEach(payloads) : enterLanes(ordering, payloads);
    const [first] = payloads;
    const added: Promise<unknown> =
      payloads.length === 1 && first !== undefined ? producer.add(first) : producer.addBulk(payloads);
    return payloads.map((_, i) => Promise.all([existed, added]).then(([was]) => was[i] === true));
  }, MAX_BATCH);
  const existedEach = (payloads: readonly InboundPayload[]) =>
    Promise.all(payloads.map((payload) => redis.exists(producer.jobKey(payload)).then((n) => n === 1)));
  // The batch's lane entries in one script call (its pushes share the queue's slot). After a
  // script reload the answer may have seen the batch's own adds: none is counted a duplicate.
  const enterLanes = async (lanes: NonNullable<EnqueuerDeps['ordering']>, payloads: readonly InboundPayload[]) =>
    (await lanes.lanes.enterEach(
      payloads.map((payload) => ({
        lane: lanes.keys.lane(QUEUES.inbound.name, payload.appId, payload.message.FromUserName),
        jobId: QUEUES.inbound.jobId(payload),
        score: laneScore(payload.receivedAt),
      })),
    )) ?? [];

  return {
    isReady: () => isQueueReady,
    async enqueue(payload) {
      const deadline = performance.now() + deps.timeoutMs;
      if (!isConnected()) await untilConnected(deps.timeoutMs);
      const started = performance.now();
      // Woken with almost no time left, an add would very likely outlive its 503: do not send it.
      if (deadline - started < MIN_ADD_BUDGET_MS) {
        throw new GatewayError('redis_unavailable', `Redis was not reachable within ${deps.timeoutMs} ms`);
      }
      try {
        const existed = await withDeadline(send(payload), Math.max(1, deadline - started), deps.timeoutMs);
        return existed ? 'duplicate' : 'accepted';
      } finally {
        deps.enqueueSeconds.observe((performance.now() - started) / 1000);
      }
    },
  };
}

async function withDeadline<T>(work: Promise<T>, remainingMs: number, timeoutMs: number): Promise<T> {
  try {
    return await raceTimeout(work.catch(toUnavailable), remainingMs, () => {
      throw new GatewayError('enqueue_timeout', `Redis did not confirm within ${timeoutMs} ms`);
    });
  } finally {
    // A late rejection after the deadline must not surface as an unhandled rejection.
    work.catch(() => undefined);
  }
}

function toUnavailable(cause: unknown): never {
  throw new GatewayError('redis_unavailable', 'Redis refused the job', { cause });
}
