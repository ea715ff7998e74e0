import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The gateway's Prometheus metrics, in a registry of its own (several gateways can share a process in tests). */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Every POST push, by account, message type and outcome (accepted, duplicate, or the error code). */
  readonly pushes: Counter<'account' | 'msg_type' | 'outcome'>;
  /** WeChat's retries received: pushes whose job already existed. */
  readonly dedupHits: Counter<'account'>;
  /**
   * From a push's arrival to its answer, against WeChat's 5 s (docs/wechat-protocol.md §5.1), by
   * what it was: `ack` (answered without waiting for a reply), or with passive replies
   * (docs/passive-replies.md) `passive_reply` and `passive_success` (waited, then `success`).
   */
  readonly pushAnswerSeconds: Histogram<'account' | 'answer'>;
  /** passive-only: deliveries held without an answer, so that WeChat delivers them again. */
  readonly heldPushes: Counter<'account'>;
  /** Pushes answered after more than {@link SLOW_ANSWER_SECONDS}: a little more and WeChat gives up on them. */
  readonly slowAnswers: Counter<'account'>;
  readonly enqueueSeconds: Histogram;
  readonly httpSeconds: Histogram<'method' | 'route' | 'status'>;
}

// Enqueue is one Redis round trip: sub-millisecond on loopback, up to the 3 s deadline when sick.
const ENQUEUE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** WeChat waits 5 s (docs/wechat-protocol.md §5.1); an answer slower than this is a near miss. */
export const SLOW_ANSWER_SECONDS = 4;
/** A passive wait ends by 4.5 s (PASSIVE_WAIT_MS at most); an answer later than this overran it. */
export const SLOW_PASSIVE_ANSWER_SECONDS = 4.75;
// Up to WeChat's 5 s, finer where healthy answers are (milliseconds) and where near misses are (3-5 s).
const PUSH_ANSWER_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 4.5, 5];

export function createGatewayMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wxq_gateway_' });
  return {
    registry,
    pushes: new Counter({
      name: 'wxq_gateway_pushes_total',
      help: 'POST pushes by account, message type and outcome',
      labelNames: ['account', 'msg_type', 'outcome'],
      registers: [registry],
    }),
    dedupHits: new Counter({
      name: 'wxq_gateway_dedup_hits_total',
      help: 'Pushes answered success without a new job because the job already existed (WeChat retries)',
      labelNames: ['account'],
      registers: [registry],
    }),
    pushAnswerSeconds: new Histogram({
      name: 'wxq_gateway_push_answer_seconds',
      help: "Time from a push's arrival to its answer, by account and answer (ack, passive_reply, passive_success); WeChat waits 5 s",
      labelNames: ['account', 'answer'],
      buckets: PUSH_ANSWER_BUCKETS,
      registers: [registry],
    }),
    heldPushes: new Counter({
      name: 'wxq_gateway_pushes_held_total',
      help: 'passive-only: deliveries held without an answer so that WeChat delivers them again',
      labelNames: ['account'],
      registers: [registry],
    }),
    slowAnswers: new Counter({
      name: 'wxq_gateway_push_answers_slow_total',
      help: `Pushes answered after more than ${SLOW_ANSWER_SECONDS} s, close to WeChat's 5 s`,
      labelNames: ['account'],
      registers: [registry],
    }),
    enqueueSeconds: new Histogram({
      name: 'wxq_gateway_enqueue_duration_seconds',
      help: 'Time from calling Redis to its confirmation of the job',
      buckets: ENQUEUE_BUCKETS,
      registers: [registry],
    }),
    httpSeconds: new Histogram({
      name: 'wxq_gateway_http_request_duration_seconds',
      help: 'HTTP request durations on the public listener',
      labelNames: ['method', 'route', 'status'],
      buckets: ENQUEUE_BUCKETS,
      registers: [registry],
    }),
  };
}
