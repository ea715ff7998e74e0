import type { ReplyMode } from '@wxq/config';
import type { Logger } from '@wxq/logging';
import type { OutboxLimits, PassiveStore, QueuedReply } from '@wxq/passive';
import type { PerShard } from '@wxq/redis';
import { type InboundPayload, type OutboundPayload, QUEUES } from '@wxq/queue';
import { isPassiveCapable } from '@wxq/wechat';
import type { SendCounters } from '../send-counters.js';

/** Passive replies on the worker's side (docs/passive-replies.md). */
export interface PassiveDeps {
  /** Each shard's store (docs/shards.md): a push's state and its user's outbox are in the user's shard. */
  readonly stores: PerShard<PassiveStore>;
  /** Each account's WXQ_REPLY_MODE. */
  readonly modes: ReadonlyMap<string, ReplyMode>;
  /** passive-only: WXQ_PENDING_REPLY_HOURS and WXQ_PENDING_REPLIES_MAX. */
  readonly outbox: OutboxLimits;
  readonly counters: SendCounters;
}

/**
 * An offered reply that no gateway took is sent by the API after this long from its push: past
 * WeChat's third delivery (about 5 s apart, docs/wechat-protocol.md §5.1), any of which could
 * still have answered with it.
 */
export const SEND_UNTAKEN_AFTER_MS = 20_000;

/**
 * passive: offers the push's first reply to the gateway holding the push, when it has a passive
 * form and goes to the push's own user; answers the replies with that one marked `offered`. With
 * none, the gateway is told at once and answers `success`.
 */
export async function offerFirstReply(
  passive: PassiveDeps,
  payload: InboundPayload,
  replies: readonly OutboundPayload[],
): Promise<readonly OutboundPayload[]> {
  const [first, ...rest] = replies;
  const message = first?.reply.kind === 'message' ? first.reply.message : undefined;
  const candidate =
    message !== undefined && message.touser === payload.message.FromUserName && isPassiveCapable(message)
      ? { message, from: payload.message.ToUserName }
      : undefined;
  const store = passive.stores.of(payload.appId, payload.message.FromUserName);
  const offered = await store.offer(QUEUES.inbound.jobId(payload), candidate);
  return offered && first !== undefined ? [{ ...first, offered: true }, ...rest] : replies;
}

/**
 * passive-only: every reply with a passive form waits in its user's outbox for a push to answer;
 * the others cannot reach the user without the customer-service API, and are logged and counted.
 */
export async function queueForPushes(
  passive: PassiveDeps,
  payload: InboundPayload,
  replies: readonly OutboundPayload[],
  log: Logger,
): Promise<void> {
  const from = payload.message.ToUserName;
  const deliverable: QueuedReply[] = [];
  for (const { reply, replyIndex } of replies) {
    if (reply.kind === 'message' && isPassiveCapable(reply.message)) {
      // Its index makes a re-run of the job skip it once queued (passive-append.lua).
      deliverable.push({ message: reply.message, from, replyIndex });
      continue;
    }
    const what = reply.kind === 'message' ? reply.message.msgtype : 'typing';
    log.warn(
      { appId: payload.appId, msgtype: what },
      'reply dropped: it has no passive form (WXQ_REPLY_MODE=passive-only)',
    );
    await passive.counters.count(payload.appId, 'passive_dropped');
  }
  // Replies to users of other shards first: the push's own append marks it handled, last.
  const { stores } = passive;
  const home = stores.indexOf(payload.appId, payload.message.FromUserName);
  const byShard = new Map<number, QueuedReply[]>();
  for (const reply of deliverable) {
    const index = stores.indexOf(payload.appId, reply.message.touser);
    byShard.set(index, [...(byShard.get(index) ?? []), reply]);
  }
  const pushJobId = QUEUES.inbound.jobId(payload);
  for (const [index, shardReplies] of byShard) {
    if (index === home) continue;
    await stores.at(index).appendForOtherShard(payload.appId, pushJobId, shardReplies, passive.outbox);
  }
  await stores
    .at(home)
    .append(payload.appId, pushJobId, payload.message.FromUserName, byShard.get(home) ?? [], passive.outbox);
}
