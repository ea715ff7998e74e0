import type { RedisClient, WxqKeys } from '@wxq/redis';
import type { PauseSpan } from '@wxq/wechat-api';

/**
 * What the worker did instead of sending, counted per account in Redis across every worker (a
 * hash, `<prefix>:counters:<appid>`), so an operator sees how often it happens.
 */
export type SendCounter =
  /** A reply not attempted: the user had no open send window (WXQ_CS_QUOTA=enforce). */
  | 'quota_refused'
  /** A reply sent although the ledger saw no open window (WXQ_CS_QUOTA=observe). */
  | 'quota_observed'
  /** A Typing not sent because WeChat would refuse it (§7.3). */
  | 'typing_skipped'
  /** Sends paused by a 45009 (the daily API quota) or a 45011 (the per-minute limit). */
  | 'paused_45009'
  | 'paused_45011'
  /** passive: a reply a gateway answered a push with, so not sent by the API (docs/passive-replies.md). */
  | 'passive_answered'
  /** passive-only: a reply with no passive form, which cannot reach the user. */
  | 'passive_dropped'
  /**
   * passive-only: pending replies dropped unanswered after WXQ_PENDING_REPLY_HOURS (counted by the
   * gateway, or by the worker when the cap below drops one already expired).
   */
  | 'pending_expired'
  /** passive-only: pending replies dropped unanswered, oldest first, from an outbox past WXQ_PENDING_REPLIES_MAX. */
  | 'pending_overflow';

/** Every counter, for the metrics that export the hash: its other fields, if any, are not ours. */
export const SEND_COUNTERS = Object.keys({
  quota_refused: true,
  quota_observed: true,
  typing_skipped: true,
  paused_45009: true,
  paused_45011: true,
  passive_answered: true,
  passive_dropped: true,
  pending_expired: true,
  pending_overflow: true,
} satisfies Record<SendCounter, true>) as readonly SendCounter[];

/** The counter of an account pause WeChat's answer started (the send policy's `pause`). */
export const PAUSE_COUNTERS = { day: 'paused_45009', minute: 'paused_45011' } as const satisfies Record<
  PauseSpan,
  SendCounter
>;

export interface SendCounters {
  count(appId: string, counter: SendCounter): Promise<void>;
}

export function createSendCounters(redis: RedisClient, keys: WxqKeys): SendCounters {
  return {
    async count(appId, counter) {
      await redis.hincrby(keys.sendCounters(appId), counter, 1);
    },
  };
}
