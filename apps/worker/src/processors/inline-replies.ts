import type { Logger } from '@wxq/logging';
import type { QuotaLedger, SendPause } from '@wxq/quota';
import { type InboundPayload, type OutboundPayload, QUEUES } from '@wxq/queue';
import type { RedisClient, WxqKeys } from '@wxq/redis';
import { type WechatApiClient, WechatErrcodeError } from '@wxq/wechat-api';
import type { Counter } from 'prom-client';
import type { SendRateLimiter } from '../send-rate-limit.js';
import { sendResultOf } from './outbound.js';
import type { SendCounters } from './send-counters.js';

export interface InlineSendDeps {
  readonly redis: RedisClient;
  readonly rateLimiter: SendRateLimiter | undefined;
  readonly pause: SendPause;
  readonly counters: SendCounters;
  /** With ordering, whether the user still has replies waiting in their outbound lane. */
  readonly ordering: boolean;
  readonly ledger: QuotaLedger | undefined;
  readonly sends: Counter<'account' | 'result'>;
}

/**
 * How long the count of a push's replies sent inline is kept: as long as sent reply jobs are
 * (catalog.ts), the window in which a re-run of the push must not send them again.
 */
const SENT_MARKER_TTL_MS = 24 * 3600 * 1000;

/** What stands in the way of inline sends for a push, read before its handler runs. */
export interface InlineLook {
  /** Where the count of this push's replies sent inline is kept, in its user's shard. */
  readonly sentKey: string;
  /** Replies of this push counted as sent by an earlier run. */
  readonly sentBefore: number;
  /** The user has replies waiting in their outbound lane, or the account is paused. */
  readonly blocked: boolean;
}

/**
 * Reads, in one round trip (asked along with the push's turn), what {@link sendInline} needs:
 * the replies an earlier run sent, the user's outbound lane and the account's pause. Nothing of
 * the user's can enter their outbound lane while the push holds its turn but a reply to them
 * from another user's push or an operator's retry, which the lane then orders.
 */
export async function lookBeforeInline(
  deps: InlineSendDeps,
  payload: InboundPayload,
  userKeys: WxqKeys,
): Promise<InlineLook> {
  const sentKey = userKeys.repliesSent(QUEUES.inbound.jobId(payload));
  const { appId } = payload;
  const [sentBefore, laneBusy, pausedUntil] = await Promise.all([
    deps.redis.get(sentKey),
    deps.ordering ? deps.redis.exists(userKeys.lane(QUEUES.outbound.name, appId, payload.message.FromUserName)) : 0,
    deps.pause.pausedUntil(appId),
  ]);
  return { sentKey, sentBefore: Number(sentBefore) || 0, blocked: laneBusy === 1 || pausedUntil !== undefined };
}

/**
 * Sends a push's replies from its inbound job, in order, while nothing stands in their way: no
 * earlier reply of the user waiting, the account not paused, a send slot and quota for each. The
 * first reply something stands in the way of, and every one after it, is answered back to go as
 * outbound jobs, which wait, retry and fail visibly as before (docs/ordering.md, "Inline sends");
 * one WeChat refused carries WeChat's answer, so its job does not call again to learn it.
 * That saves a job per reply on the common path: the handler's replies go out while the push
 * still holds its user's turn, so no later push's replies can overtake them.
 *
 * A re-run of the push (a worker crash) skips the replies counted as sent. A crash between a send
 * and its count repeats that one reply, right after itself: at-least-once, never out of order.
 */
export async function sendInline(
  deps: InlineSendDeps,
  api: WechatApiClient,
  look: InlineLook,
  payload: InboundPayload,
  replies: readonly OutboundPayload[],
  log: Logger,
): Promise<{ readonly sent: number; readonly rest: readonly OutboundPayload[] }> {
  const { appId } = payload;
  const user = payload.message.FromUserName;
  const { sentKey } = look;
  let next = Math.min(look.sentBefore, replies.length);
  if (look.blocked) return { sent: 0, rest: replies.slice(next) };
  const skipped = next;
  for (; next < replies.length; next += 1) {
    const { reply } = replies[next] as OutboundPayload;
    // Typing has its own rules (docs/quota.md), and a reply to another user their own lane: jobs.
    if (reply.kind !== 'message' || reply.message.touser !== user) break;
    if (((await deps.rateLimiter?.reserve(appId)) ?? 0) > 0) break;
    const reservation = await deps.ledger?.reserve(appId, user);
    // No window: the outbound job refuses (enforce) or sends anyway (observe), and counts it.
    if (deps.ledger !== undefined && reservation === undefined) break;
    try {
      await api.sendCustomMessage(reply.message);
    } catch (err) {
      const limit = err instanceof WechatErrcodeError && (err.errcode === 45009 || err.errcode === 45011);
      if (limit) {
        // 45009 and 45011 pause the account at once, so that no other push's reply is tried
        // meanwhile; the reply was not sent, so its send is not spent, and its job waits for the
        // pause to end, then sends.
        if (reservation !== undefined) await deps.ledger?.refund(appId, user, reservation);
        await deps.counters.count(appId, err.errcode === 45009 ? 'paused_45009' : 'paused_45011');
        await deps.pause.pause(appId, err.errcode, log);
      }
      deps.sends.inc({ account: appId, result: sendResultOf(err) });
      // Any other errcode: the outbound job goes on from WeChat's answer (learns from it, refunds,
      // fails or retries) as if its own first attempt had got it. Without an answer (a timeout)
      // the reply may have gone out: the job simply tries again, as a retried reply job does.
      if (err instanceof WechatErrcodeError && !limit) {
        const { api: path, errcode, errmsg } = err;
        const inlineAttempt = { api: path, errcode, errmsg, ...(reservation === undefined ? {} : { reservation }) };
        return {
          sent: next - skipped,
          rest: [{ ...replies[next], inlineAttempt } as OutboundPayload, ...replies.slice(next + 1)],
        };
      }
      break;
    }
    deps.sends.inc({ account: appId, result: 'ok' });
    await deps.redis.set(sentKey, next + 1, 'PX', SENT_MARKER_TTL_MS);
  }
  return { sent: next - skipped, rest: replies.slice(next) };
}
