import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The gateway's Prometheus metrics, in a registry of its own (several gateways can share a process in tests). */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Every POST push, by account, message type and outcome (accepted, duplicate, or the error code). */
  readonly pushes: Counter<'account' | 'msg_type' | 'outcome'>;
  readonly dedupHits: Counter<'account'>;
  readonly enqueueSeconds: Histogram;
  readonly httpSeconds: Histogram<'method' | 'route' | 'status'>;
}

// Enqueue is one Redis round trip: sub-millisecond on loopback, up to the 3 s deadline when sick.
const ENQUEUE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

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
