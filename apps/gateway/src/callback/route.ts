import type { InboundPayload } from '@wxq/queue';
import type { InboundMessage, PushAccount, PushQuery } from '@wxq/wechat';
import { computeDedupKey, isKnownMessage, openPush, verifyEcho } from '@wxq/wechat';
import type { Enqueuer, EnqueueOutcome } from './enqueue.js';

export interface CallbackSettings {
  readonly timestampSkewSeconds: number;
  /** Epoch milliseconds; injectable for replay-window tests. */
  readonly now: () => number;
}

export interface PushResult {
  readonly outcome: EnqueueOutcome;
  readonly msgType: string;
}

/**
 * POST: verify -> decrypt -> parse -> dedup key -> enqueue (awaiting Redis) -> the caller answers
 * `success`. Throws the protocol or gateway error that decides the status.
 */
export async function acceptPush(
  account: PushAccount,
  query: PushQuery,
  body: Buffer,
  enqueuer: Enqueuer,
  settings: CallbackSettings,
): Promise<PushResult> {
  const receivedAt = settings.now();
  const { mode, message } = openPush(account, query, body, {
    nowSeconds: Math.floor(receivedAt / 1000),
    maxSkewSeconds: settings.timestampSkewSeconds,
  });
  const payload: InboundPayload = { v: 1, appId: account.appId, mode, receivedAt, dedupKey: computeDedupKey(message), message };
  return { outcome: await enqueuer.enqueue(payload), msgType: metricType(message) };
}

/** GET: the echostr to send back. */
export function answerHandshake(account: PushAccount, query: PushQuery): string {
  return verifyEcho(account, query);
}

/** A bounded label: known types by name, events as `event:<Event>`, anything new as `unknown`. */
export function metricType(message: InboundMessage): string {
  if (!isKnownMessage(message)) return 'unknown';
  return message.MsgType === 'event' ? `event:${message.Event}` : message.MsgType;
}
