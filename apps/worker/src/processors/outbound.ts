import type { Processor } from '@wxq/queue';
import { type WechatApiClient, WechatApiError } from '@wxq/wechat-api';
import { DelayedError, UnrecoverableError } from 'bullmq';
import type { SendRateLimiter } from '../send-rate-limit.js';

export interface OutboundDeps {
  readonly apis: ReadonlyMap<string, WechatApiClient>;
  readonly rateLimiter: SendRateLimiter | undefined;
}

/**
 * The outbound processor: one reply, one API call. Retries follow the error class (reference
 * §7.5): retryable errors throw (BullMQ backs off with jitter); token errors were already
 * refreshed and retried once by the client; permanent ones (45015, 45047, ...) fail the job at
 * once with the errcode in its reason, where Bull Board shows it.
 */
export function createOutboundProcessor(deps: OutboundDeps): Processor<'outbound'> {
  return async (payload, { job, token, log }) => {
    const api = deps.apis.get(payload.appId);
    if (api === undefined) throw new UnrecoverableError(`no account ${payload.appId} is configured on this worker`);
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
      if (err instanceof WechatApiError && err.kind === 'permanent') {
        throw new UnrecoverableError(`errcode ${String(err.errcode)}: ${err.errmsg}`);
      }
      throw err;
    }
    log.info({ appId: payload.appId, msgtype: reply.kind === 'message' ? reply.message.msgtype : 'typing' }, 'reply sent');
  };
}
