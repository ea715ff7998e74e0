import { type Lanes, type Processor, QUEUES, laneScore } from '@wxq/queue';
import type { WxqKeys } from '@wxq/redis';
import { type WechatApiClient, WechatApiError } from '@wxq/wechat-api';
import { DelayedError, UnrecoverableError } from 'bullmq';
import type { SendRateLimiter } from '../send-rate-limit.js';
import { PARK_MS, recipientOf } from './lane-settings.js';

export interface OutboundDeps {
  readonly apis: ReadonlyMap<string, WechatApiClient>;
  readonly rateLimiter: SendRateLimiter | undefined;
  readonly keys: WxqKeys;
  /** Per-user ordering (docs/ordering.md); undefined with WXQ_ORDERING=off. */
  readonly lanes: Lanes | undefined;
}

/**
 * The outbound processor: one reply, one API call. Retries follow the error class (reference
 * §7.5): retryable errors throw (BullMQ backs off with jitter); token errors were already
 * refreshed and retried once by the client; permanent ones (45015, 45047, ...) fail the job at
 * once with the errcode in its reason, where Bull Board shows it. With ordering, a reply waits
 * until every earlier reply to its user was sent or failed for good, retries included.
 */
export function createOutboundProcessor(deps: OutboundDeps): Processor<'outbound'> {
  return async (payload, { job, token, log }) => {
    const api = deps.apis.get(payload.appId);
    if (api === undefined) throw new UnrecoverableError(`no account ${payload.appId} is configured on this worker`);
    const lanes = deps.lanes;
    const lane = deps.keys.lane(QUEUES.outbound.name, payload.appId, recipientOf(payload));
    if (lanes !== undefined) {
      const turn = await lanes.turn(lane, job, laneScore(payload.receivedAt ?? job.timestamp, payload.replyIndex));
      if (turn.is === 'left') return;
      if (turn.is === 'behind') {
        await lanes.park(lane, job, token, PARK_MS);
        throw new DelayedError();
      }
    }
    const wait = (await deps.rateLimiter?.reserve(payload.appId)) ?? 0;
    if (wait > 0) {
      await job.moveToDelayed(Date.now() + wait, token);
      throw new DelayedError();
    }
    const { reply } = payload;
    try {
      if (reply.kind === 'message') await api.sendCustomMessage(reply.message);
      else await api.typing(reply.touser, reply.command);
    } catch (err) {
      const permanent = err instanceof WechatApiError && err.kind === 'permanent';
      // The last attempt, or one that can never succeed, hands the user's turn on.
      if (permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await lanes?.leave(lane, job.id ?? '');
      if (permanent) throw new UnrecoverableError(`errcode ${String(err.errcode)}: ${err.errmsg}`);
      throw err;
    }
    await lanes?.leave(lane, job.id ?? '');
    log.info({ appId: payload.appId, msgtype: reply.kind === 'message' ? reply.message.msgtype : 'typing' }, 'reply sent');
  };
}
