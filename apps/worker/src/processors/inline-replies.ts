import type { Logger } from '@wxq/logging';
import type { QuotaLedger, SendPause } from '@wxq/quota';
import { type InboundPayload, type OutboundPayload, QUEUES } from '@wxq/queue';
import { type RedisClient, type WxqKeys, createScript } from '@wxq/redis';
import { type WechatApiClient, WechatErrcodeError } from '@wxq/wechat-api';
import type { Counter } from 'prom-client';
import type { SendRateLimiter } from '../send-rate-limit.js';
import { learnFrom, sendResultOf } from './outbound.js';
import type { SendCounters } from './send-counters.js';

export interface InlineSendDeps {
  readonly redis: RedisClient;
  readonly rateLimiter: SendRateLimiter | undefined;
  readonly pause: SendPause;
  readonly counters: SendCounters;
  /** With ordering, the user's outbound lane must be empty: no earlier reply waiting. */
  readonly ordering: boolean;
  readonly ledger: QuotaLedger | undefined;
  readonly sends: Counter<'account' | 'result'>;
}

/**
 * How long a push's inline progress is kept: as long as sent reply jobs are (catalog.ts), the
 * window in which a re-run of the push must not send its replies again.
 */
const PROGRESS_TTL_MS = 24 * 3600 * 1000;

/** Writes a push's reply plan and zero sends, with the progress's expiry, in one command. */
const START_PROGRESS = createScript(`redis.call('HSET', KEYS[1], 'plan', ARGV[1], 'sent', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`);

const planSchema = QUEUES.outbound.schema.array();

/**
 * Sends a push's replies from its inbound job, in order, while nothing stands in their way: no
 * earlier reply of the user waiting in their outbound lane, the account not paused, a send slot
 * and quota for each. The first reply something stands in the way of, and every one after it, is
 * answered back to go as outbound jobs, which wait, retry and fail visibly as before
 * (docs/ordering.md, "Inline sends"); one WeChat refused carries WeChat's answer, so its job does
 * not call again. That saves a job per reply on the common path: the replies go out while the push
 * holds its user's turn, so no later push's replies can overtake them.
 *
 * Before its first send the job records its plan (the replies) and then counts each send. A re-run
 * of the push (a worker crash) that finds a plan sends nothing inline: the plan's replies not
 * counted as sent go as jobs, whatever the handler recorded this time — jobs the first run queued
 * have the same ids and are not queued twice. A crash between a send and its count repeats that
 * one reply, right after itself: at-least-once, never out of order, nothing lost.
 */
export async function sendInline(
  deps: InlineSendDeps,
  api: WechatApiClient,
  payload: InboundPayload,
  userKeys: WxqKeys,
  replies: readonly OutboundPayload[],
  log: Logger,
): Promise<{ readonly sent: number; readonly rest: readonly OutboundPayload[] }> {
  const { appId } = payload;
  const user = payload.message.FromUserName;
  const key = userKeys.repliesSent(QUEUES.inbound.jobId(payload));
  // Read after the handler: a pause or a reply to the user queued while it ran is seen.
  const [progress, laneBusy, pausedUntil] = await Promise.all([
    deps.redis.hgetall(key),
    deps.ordering ? deps.redis.exists(userKeys.lane(QUEUES.outbound.name, appId, user)) : 0,
    deps.pause.pausedUntil(appId),
  ]);
  if (progress['plan'] !== undefined) return { sent: 0, rest: unsentOfPlan(progress, replies, log) };
  if (laneBusy === 1 || pausedUntil !== undefined) return { sent: 0, rest: replies };
  let next = 0;
  for (; next < replies.length; next += 1) {
    const { reply } = replies[next] as OutboundPayload;
    // Typing has its own rules (docs/quota.md), and a reply to another user their own lane: jobs.
    if (reply.kind !== 'message' || reply.message.touser !== user) break;
    const [wait] = await Promise.all([
      deps.rateLimiter?.reserve(appId),
      next === 0 ? START_PROGRESS.run(deps.redis, [key], [JSON.stringify(replies), PROGRESS_TTL_MS]) : undefined,
    ]);
    if ((wait ?? 0) > 0) break;
    const reservation = await deps.ledger?.reserve(appId, user);
    // No window: the outbound job refuses (enforce) or sends anyway (observe), and counts it.
    if (deps.ledger !== undefined && reservation === undefined) break;
    try {
      await api.sendCustomMessage(reply.message);
    } catch (err) {
      // What WeChat's answer says about the user's windows is learnt now, while it is news.
      if (deps.ledger !== undefined) await learnFrom(deps.ledger, appId, user, err, reservation);
      const limit = err instanceof WechatErrcodeError && (err.errcode === 45009 || err.errcode === 45011);
      if (limit) {
        // 45009 and 45011 pause the account at once, so that no other push's reply is tried
        // meanwhile; the reply's job waits for the pause to end, then sends.
        await deps.counters.count(appId, err.errcode === 45009 ? 'paused_45009' : 'paused_45011');
        await deps.pause.pause(appId, err.errcode, log);
      }
      deps.sends.inc({ account: appId, result: sendResultOf(err) });
      // Any other errcode: the outbound job fails for good or backs off from WeChat's answer as if
      // its own first attempt had got it. Without an answer (a timeout) the reply may have gone
      // out: the job simply tries again, as a retried reply job does.
      if (err instanceof WechatErrcodeError && !limit) {
        const inlineAttempt = { api: err.api, errcode: err.errcode, errmsg: err.errmsg };
        return {
          sent: next,
          rest: [{ ...replies[next], inlineAttempt } as OutboundPayload, ...replies.slice(next + 1)],
        };
      }
      break;
    }
    deps.sends.inc({ account: appId, result: 'ok' });
    await deps.redis.hset(key, 'sent', next + 1);
  }
  return { sent: next, rest: replies.slice(next) };
}

/** A re-run's replies: the first run's plan from its first reply not counted as sent. */
function unsentOfPlan(
  progress: Record<string, string>,
  replies: readonly OutboundPayload[],
  log: Logger,
): readonly OutboundPayload[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(progress['plan'] ?? '');
  } catch {
    parsed = undefined;
  }
  const plan = planSchema.safeParse(parsed);
  // Unreadable (written by someone else): this run's replies as jobs, which may repeat some but lose none.
  if (!plan.success) {
    log.warn('inline progress unreadable: replies go as jobs');
    return replies;
  }
  return plan.data.slice(Math.min(Number(progress['sent']) || 0, plan.data.length));
}
