import type { Logger } from '@wxq/logging';
import { type OutboundPayload, parseOutboundPayload } from '@wxq/queue';
import { type CustomMessage, type WechatApiClient, WechatApiError } from '@wxq/wechat-api';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { SendRateLimiter } from './send-rate-limit.js';

export interface OutboundDeps {
  readonly apis: ReadonlyMap<string, WechatApiClient>;
  readonly rateLimiter: SendRateLimiter | undefined;
  readonly log: Logger;
}

/**
 * The outbound processor: one reply, one API call. Retries follow the error class (reference
 * §7.5): retryable errors throw (BullMQ backs off with jitter); token errors were already
 * refreshed and retried once by the client; permanent ones (45015, 45047, ...) fail the job at
 * once with the errcode in its reason, where Bull Board shows it.
 */
export function createOutboundProcessor(deps: OutboundDeps): (job: Job, token?: string) => Promise<void> {
  return async (job, token) => {
    const payload = readPayload(job);
    const api = deps.apis.get(payload.appId);
    if (api === undefined) throw new UnrecoverableError(`no account ${payload.appId} is configured on this worker`);
    const wait = (await deps.rateLimiter?.reserve(payload.appId)) ?? 0;
    if (wait > 0) {
      await job.moveToDelayed(Date.now() + wait, token);
      throw new DelayedError();
    }
    const log = deps.log.child({ queue: 'outbound', jobId: job.id, appId: payload.appId, kind: payload.reply.kind });
    try {
      if (payload.reply.kind === 'message') await api.sendCustomMessage(payload.reply.message as unknown as CustomMessage);
      else await api.typing(payload.reply.touser, payload.reply.command);
    } catch (err) {
      if (err instanceof WechatApiError && err.kind === 'permanent') {
        log.warn({ errcode: err.errcode, api: err.api }, 'reply refused for good');
        throw new UnrecoverableError(`errcode ${String(err.errcode)}: ${err.errmsg}`);
      }
      log.warn({ err, attempt: job.attemptsMade + 1 }, 'reply not sent, will retry');
      throw err;
    }
    log.info({ msgtype: payload.reply.kind === 'message' ? payload.reply.message.msgtype : 'typing' }, 'reply sent');
  };
}

function readPayload(job: Job): OutboundPayload {
  try {
    return parseOutboundPayload(job.data);
  } catch (cause) {
    throw new UnrecoverableError(`not a version-1 outbound payload: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
