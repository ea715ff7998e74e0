import { UNTIL_RESUMED } from '@wxq/quota';
import { type QueueShards, type RedisClient, raceTimeout } from '@wxq/redis';
import type { Queue } from 'bullmq';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SEND_COUNTERS } from './send-counters.js';

/** The worker's Prometheus metrics, in a registry of its own (several workers can share a process in tests). */
export interface WorkerMetrics {
  readonly registry: Registry;
  /**
   * Customer-service calls (messages and typing) by account and result: `ok`, WeChat's errcode as a
   * string (`45015`), `quota` (not attempted: the ledger saw no open window) or `transport` (no
   * errcode: a timeout, a refused connection, an HTTP error).
   */
  readonly sends: Counter<'account' | 'result'>;
  /** One push through the user's handlers, by account and outcome (ok, error). */
  readonly handlerSeconds: Histogram<'account' | 'outcome'>;
  /** Handler attempts abandoned after WXQ_HANDLER_TIMEOUT_MS, by account. */
  readonly handlerTimeouts: Counter<'account'>;
  /**
   * Template and subscribe sends by account, kind and result: `ok`, WeChat's errcode, `transport`,
   * or `no_consent` (not attempted: no consent credit).
   */
  readonly notifications: Counter<'account' | 'kind' | 'result'>;
  /** access_token fetches this process made, by account and result (ok, error). */
  readonly tokenRefreshes: Counter<'account' | 'result'>;
  /** Records a token this process fetched, for the token age gauge. */
  tokenFetched(account: string, atMs: number): void;
  /**
   * Reads what lives in Redis (job counts, the oldest waiting job, token TTLs, the account counters,
   * send pauses) into the gauges, within `timeoutMs`; with Redis away the gauges are left empty and
   * `wxq_worker_redis_up` is 0. Call it before each scrape.
   */
  refresh(timeoutMs: number): Promise<void>;
}

export interface WorkerMetricsDeps {
  readonly redis: RedisClient;
  /** The account keys are shard 0's; the account counters are summed over every shard. */
  readonly shards: QueueShards;
  /** The catalog queues of every shard (docs/shards.md), read on scrape: at most 64 shards keep the labels bounded. */
  readonly queues: readonly { readonly queue: Queue; readonly shard: number }[];
  /** Configured accounts only, so every label set stays bounded. */
  readonly accounts: readonly string[];
  readonly now?: () => number;
}

/** The job states `wxq_queue_jobs` reports: each one is a single LLEN or ZCARD. */
const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

// A handler is usually a few milliseconds; WXQ_HANDLER_TIMEOUT_MS ends one at 30 s by default.
const HANDLER_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createWorkerMetrics(deps: WorkerMetricsDeps): WorkerMetrics {
  const { redis, shards, queues, accounts } = deps;
  const keys = shards.keys;
  const now = deps.now ?? Date.now;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wxq_worker_' });
  const registers = [registry];

  const queueJobs = new Gauge({
    name: 'wxq_queue_jobs',
    help: 'Jobs per queue, shard and state, read from Redis on scrape (the same for every worker)',
    labelNames: ['queue', 'shard', 'state'],
    registers,
  });
  const oldestWaiting = new Gauge({
    name: 'wxq_queue_oldest_waiting_seconds',
    help: 'Age of the oldest waiting job per queue and shard, since it was added or last ran (0 when none waits)',
    labelNames: ['queue', 'shard'],
    registers,
  });
  const tokenTtl = new Gauge({
    name: 'wxq_worker_token_ttl_seconds',
    help: "Seconds before the account's shared access_token leaves Redis (0 when there is none)",
    labelNames: ['account'],
    registers,
  });
  const tokenAge = new Gauge({
    name: 'wxq_worker_token_age_seconds',
    help: 'Seconds since this process last fetched the account access_token (absent until it has)',
    labelNames: ['account'],
    registers,
  });
  const accountCounters = new Gauge({
    name: 'wxq_account_counter',
    help: 'The account counters hashes in Redis (<shard prefix>:counters:<appid>) summed over shards, shared by every worker: take max() across workers',
    labelNames: ['account', 'counter'],
    registers,
  });
  const pausedSeconds = new Gauge({
    name: 'wxq_worker_send_paused_seconds',
    help: "Seconds left on the account's send pause (45009 until midnight Beijing time, 45011 the next minute, +Inf an operator's until resumed); 0 when sending",
    labelNames: ['account'],
    registers,
  });
  const redisUp = new Gauge({
    name: 'wxq_worker_redis_up',
    help: '1 when the last scrape could read Redis, else 0',
    registers,
  });
  const fetchedAt = new Map<string, number>();

  const readRedis = () =>
    Promise.all([
      Promise.all(queues.map(({ queue }) => queue.getJobCounts(...JOB_STATES))),
      Promise.all(queues.map(({ queue }) => queue.getWaiting(0, 0))),
      Promise.all(accounts.map((account) => redis.pttl(keys.accessToken(account)))),
      Promise.all(
        accounts.map((account) =>
          Promise.all(shards.all.map((shard) => redis.hgetall(shard.keys.sendCounters(account)))),
        ),
      ),
      Promise.all(accounts.map((account) => redis.get(keys.sendPause(account)))),
    ]);

  function show([counts, oldest, ttls, counters, pauses]: Awaited<ReturnType<typeof readRedis>>): void {
    const at = now();
    queues.forEach(({ queue, shard: index }, i) => {
      const shard = String(index);
      for (const state of JOB_STATES) queueJobs.set({ queue: queue.name, shard, state }, counts[i]?.[state] ?? 0);
      const job = oldest[i]?.[0];
      // A retried job keeps its first timestamp: it has been waiting since it last ran.
      const since = job === undefined ? at : Math.max(job.timestamp + job.delay, job.processedOn ?? 0);
      oldestWaiting.set({ queue: queue.name, shard }, Math.max(0, (at - since) / 1000));
    });
    accounts.forEach((account, i) => {
      tokenTtl.set({ account }, Math.max(0, (ttls[i] ?? 0) / 1000));
      // Every counter, 0 until counted, so that increase() sees the first one.
      for (const counter of SEND_COUNTERS) {
        const total = (counters[i] ?? []).reduce((sum, hash) => sum + Number(hash[counter] ?? 0), 0);
        accountCounters.set({ account, counter }, total);
      }
      const pausedUntil = Number(pauses[i] ?? 0);
      // An operator's pause (npm run ops -- pause) lasts until resumed: +Inf, not a date in 275760.
      pausedSeconds.set({ account }, pausedUntil >= UNTIL_RESUMED ? Infinity : Math.max(0, (pausedUntil - at) / 1000));
    });
  }

  return {
    registry,
    sends: new Counter({
      name: 'wxq_worker_sends_total',
      help: 'Customer-service sends by account and result: ok, the errcode, quota (not attempted) or transport',
      labelNames: ['account', 'result'],
      registers,
    }),
    handlerSeconds: new Histogram({
      name: 'wxq_worker_handler_duration_seconds',
      help: "Time one push spends in the user's handlers",
      labelNames: ['account', 'outcome'],
      buckets: HANDLER_BUCKETS,
      registers,
    }),
    handlerTimeouts: new Counter({
      name: 'wxq_worker_handler_timeouts_total',
      help: 'Handler attempts abandoned after WXQ_HANDLER_TIMEOUT_MS (their replies dropped), by account',
      labelNames: ['account'],
      registers,
    }),
    notifications: new Counter({
      name: 'wxq_notifications_total',
      help: 'Template and subscribe sends by account, kind and result: ok, the errcode, transport or no_consent (not attempted)',
      labelNames: ['account', 'kind', 'result'],
      registers,
    }),
    tokenRefreshes: new Counter({
      name: 'wxq_worker_token_refreshes_total',
      help: 'access_token fetches by this process, by account and result (ok, error)',
      labelNames: ['account', 'result'],
      registers,
    }),
    tokenFetched(account, atMs) {
      fetchedAt.set(account, atMs);
    },
    async refresh(timeoutMs) {
      for (const gauge of [queueJobs, oldestWaiting, tokenTtl, tokenAge, accountCounters, pausedSeconds]) gauge.reset();
      for (const [account, at] of fetchedAt) tokenAge.set({ account }, Math.max(0, (now() - at) / 1000));
      // The worker's connection queues commands while Redis is away: do not even ask then.
      const snapshot =
        redis.status === 'ready'
          ? await raceTimeout(
              readRedis().catch(() => undefined),
              timeoutMs,
              () => undefined,
            )
          : undefined;
      if (snapshot !== undefined) show(snapshot);
      redisUp.set(snapshot === undefined ? 0 : 1);
    },
  };
}
