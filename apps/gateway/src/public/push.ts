import type { InboundPayload } from '@wxq/queue';
import type { InboundMessage, KeyIndex, PushAccount, PushQuery } from '@wxq/wechat';
import { computeDedupKey, isKnownMessage, openPush } from '@wxq/wechat';
import type { EnqueueOutcome, Enqueuer } from './enqueue.js';

export interface PushSettings {
  readonly timestampSkewSeconds: number;
  /** Epoch milliseconds; injectable for replay-window tests. */
  readonly now: () => number;
}

export interface PushResult {
  readonly outcome: EnqueueOutcome;
  /** The job as enqueued. */
  readonly payload: InboundPayload;
  /**
   * An encrypted push: which key opened it. Kept out of the job (each delivery is opened again);
   * the gateway answering this delivery seals its passive reply with it (docs/wechat-protocol.md §3.7).
   */
  readonly keyIndex: KeyIndex | undefined;
  /** For logs and metrics, bounded: known types by name, events as `event:<Event>`, anything new as `unknown`. */
  readonly msgType: string;
}

/**
 * A push, from its query and exact body bytes to a job Redis has confirmed: verify -> decrypt ->
 * parse -> dedup key -> enqueue. The caller answers `success` once this resolves; no HTTP here.
 * @throws WechatProtocolError (signature, clock, crypto, XML) or GatewayError (Redis), which decide the status
 */
export async function acceptPush(
  account: PushAccount,
  query: PushQuery,
  body: Buffer,
  enqueuer: Enqueuer,
  settings: PushSettings,
): Promise<PushResult> {
  const receivedAt = settings.now();
  const { mode, message, keyIndex } = openPush(account, query, body, {
    nowSeconds: Math.floor(receivedAt / 1000),
    maxSkewSeconds: settings.timestampSkewSeconds,
  });
  const payload: InboundPayload = {
    v: 1,
    appId: account.appId,
    mode,
    receivedAt,
    dedupKey: computeDedupKey(message),
    message,
  };
  return { outcome: await enqueuer.enqueue(payload), payload, keyIndex, msgType: metricType(message) };
}

/**
 * `now` that never answers the same millisecond twice: a push's receivedAt orders it in its
 * user's lane (docs/ordering.md), and two pushes of one user may arrive within a millisecond.
 */
export function strictlyIncreasing(now: () => number): () => number {
  let last = 0;
  return () => {
    last = Math.max(now(), last + 1);
    return last;
  };
}

function metricType(message: InboundMessage): string {
  if (!isKnownMessage(message)) return 'unknown';
  return message.MsgType === 'event' ? `event:${message.Event}` : message.MsgType;
}
