import type { Logger } from '@wxq/logging';
import type { QuotaLedger, SendPause } from '@wxq/quota';
import { type OutboundPayload, QUEUES } from '@wxq/queue';
import type { RedisClient, WxqKeys } from '@wxq/redis';
import { type WechatApiClient, WechatErrcodeError } from '@wxq/wechat-api';
import type { Counter } from 'prom-client';
import type { SendRateLimiter } from '../send-rate-limit.js';
import { sendResultOf } from './outbound.js';
import type { SendCounters } from './send-counters.js';

export interface InlineSendDeps {
  readonly redis: RedisClient;
  readonly keys: WxqKeys;
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
  pushJobId: string,
  replies: readonly OutboundPayload[],
  log: Logger,
): Promise<{ readonly sent: number; readonly rest: readonly OutboundPayload[] }> {
  const [first] = replies;
  if (first === undefined) return { sent: 0, rest: replies };
  const { appId } = first;
  const sentKey = deps.keys.repliesSent(pushJobId);
  const user = first.reply.kind === 'message' ? first.reply.message.touser : first.reply.touser;
  const [sentBefore, laneBusy, pausedUntil] = await Promise.all([
    deps.redis.get(sentKey),
    deps.ordering ? deps.redis.exists(deps.keys.lane(QUEUES.outbound.name, appId, user)) : 0,
    deps.pause.pausedUntil(appId),
  ]);
  let next = Math.min(Number(sentBefore) || 0, replies.length);
  if (laneBusy === 1 || pausedUntil !== undefined) return { sent: 0, rest: replies.slice(next) };
  const skipped = next;
  for (; next < replies.length; next += 1) {
    const { reply } = replies[next] as OutboundPayload;
    // Typing has its own rules (docs/quota.md): the outbound job applies them.
    if (reply.kind !== 'message') break;
    if (((await deps.rateLimiter?.reserve(appId)) ?? 0) > 0) break;
    const reservation = await deps.ledger?.reserve(appId, user);
    // No window: the outbound job refuses (enforce) or sends anyway (observe), and counts it.
    if (deps.ledger !== undefined && reservation === undefined) break;
    try {
      await api.sendCustomMessage(reply.message);
    } catch (err) {
      deps.sends.inc({ account: appId, result: sendResultOf(err) });
      // The outbound job goes on from WeChat's answer (learns from it, refunds, pauses, fails or
      // retries) as if its own first attempt had got it. Without an answer (a timeout) the reply
      // may have gone out: the job simply tries again, as a retried reply job does.
      // 45009 and 45011 pause the account at once, so that no other push's reply is tried
      // meanwhile; the reply's job waits for the pause to end, then sends.
      if (err instanceof WechatErrcodeError && (err.errcode === 45009 || err.errcode === 45011)) {
        await deps.counters.count(appId, err.errcode === 45009 ? 'paused_45009' : 'paused_45011');
        await deps.pause.pause(appId, err.errcode, log);
      } else if (err instanceof WechatErrcodeError) {
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
