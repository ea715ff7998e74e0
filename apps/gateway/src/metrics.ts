/** Counts by label set, as a prom-client Counter does. */
export interface Counts<L extends string> {
  inc(labels: Readonly<Record<L, string>>): void;
}

/** Observes durations in seconds by label set, as a prom-client Histogram does. */
export interface Observes<L extends string> {
  observe(labels: Readonly<Record<L, string>>, seconds: number): void;
}

/** What the gateway records as it answers; served by the admin listener's /metrics (metrics-registry.ts). */
export interface GatewayMetrics {
  /** Every POST push, by account, message type and outcome (accepted, duplicate, or the error code). */
  readonly pushes: Counts<'account' | 'msg_type' | 'outcome'>;
  /** WeChat's retries received: pushes whose job already existed. */
  readonly dedupHits: Counts<'account'>;
  /**
   * From a push's arrival to its answer, against WeChat's 5 s (docs/wechat-protocol.md §5.1), by
   * what it was: `ack` (answered without waiting for a reply), or with passive replies
   * (docs/passive-replies.md) `passive_reply` and `passive_success` (waited, then `success`).
   */
  readonly pushAnswerSeconds: Observes<'account' | 'answer'>;
  /** passive-only: deliveries held without an answer, so that WeChat delivers them again. */
  readonly heldPushes: Counts<'account'>;
  /** Pushes answered after more than {@link SLOW_ANSWER_SECONDS}: a little more and WeChat gives up on them. */
  readonly slowAnswers: Counts<'account'>;
  /** From calling Redis to its confirmation of the job. */
  readonly enqueueSeconds: { observe(seconds: number): void };
  readonly httpSeconds: Observes<'method' | 'route' | 'status'>;
}

/** WeChat waits 5 s (docs/wechat-protocol.md §5.1); an answer slower than this is a near miss. */
export const SLOW_ANSWER_SECONDS = 4;
/** A passive wait ends by 4.5 s (PASSIVE_WAIT_MS at most); an answer later than this overran it. */
export const SLOW_PASSIVE_ANSWER_SECONDS = 4.75;

const ignore = () => undefined;
const IGNORED = { inc: ignore, observe: ignore };

/**
 * A gateway without an admin listener serves no /metrics, so it records nothing, and never loads
 * prom-client: about 5 MB of an idle gateway's RSS (docs/deploy.md, "Memory").
 */
export const UNSERVED_METRICS: GatewayMetrics = {
  pushes: IGNORED,
  dedupHits: IGNORED,
  pushAnswerSeconds: IGNORED,
  heldPushes: IGNORED,
  slowAnswers: IGNORED,
  enqueueSeconds: IGNORED,
  httpSeconds: IGNORED,
};
