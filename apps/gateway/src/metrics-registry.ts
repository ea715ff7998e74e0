import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { type GatewayMetrics, SLOW_ANSWER_SECONDS } from './metrics.js';

/** The gateway's metrics in a Prometheus registry of its own (several gateways can share a process in tests). */
export interface RegisteredMetrics extends GatewayMetrics {
  readonly registry: Registry;
}

// Enqueue is one Redis round trip: sub-millisecond on loopback, up to the 3 s deadline when sick.
const ENQUEUE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

// Up to WeChat's 5 s, finer where healthy answers are (milliseconds) and where near misses are (3-5 s).
const PUSH_ANSWER_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4, 4.5, 5];

/** Loaded only with the admin listener, the one place /metrics is served (see gateway.ts). */
export function createGatewayMetrics(): RegisteredMetrics {
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
