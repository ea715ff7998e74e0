import type { Logger } from '@wxq/logging';
import { type InboundPayload, outboundJobOptions, parseInboundPayload } from '@wxq/queue';
import type { RedisClient } from '@wxq/redis';
import type { WechatApiClient } from '@wxq/wechat-api';
import { type Job, type Queue, UnrecoverableError } from 'bullmq';
import { createContext } from './handlers/context.js';
import type { Handlers } from './handlers/define.js';

export interface InboundDeps {
  readonly handlers: Handlers;
  readonly apis: ReadonlyMap<string, WechatApiClient>;
  readonly outbound: Queue;
  readonly redis: RedisClient;
  readonly log: Logger;
  /** Attempts before a handler failure is final (the job then waits in "failed" for an operator). */
  readonly handlerAttempts: number;
}

export interface InboundResult {
  readonly replies: number;
}

/**
 * The inbound processor: payload -> the user's handlers -> one outbound job per recorded reply.
 * Replies are enqueued with deterministic ids, so a re-run after a crash queues nothing twice.
 */
export function createInboundProcessor(deps: InboundDeps): (job: Job) => Promise<InboundResult> {
  return async (job) => {
    const payload = readPayload(job);
    const api = deps.apis.get(payload.appId);
    if (api === undefined) throw new UnrecoverableError(`no account ${payload.appId} is configured on this worker`);
    const log = deps.log.child({ queue: 'inbound', jobId: job.id, appId: payload.appId, msgType: payload.message.MsgType });
    const ctx = createContext(payload.message, { appId: payload.appId, log, api, redis: deps.redis });
    try {
      await deps.handlers.handle(ctx);
    } catch (err) {
      const final = job.attemptsMade + 1 >= deps.handlerAttempts;
      log.warn({ err, attempt: job.attemptsMade + 1, final }, 'handler failed');
      if (final) throw new UnrecoverableError(`handler failed ${deps.handlerAttempts} times: ${describe(err)}`);
      throw err;
    }
    if (ctx.replies.length > 0) {
      await deps.outbound.addBulk(
        ctx.replies.map((reply, replyIndex) => {
          const data = { v: 1 as const, appId: payload.appId, dedupKey: payload.dedupKey, replyIndex, reply };
          return { name: reply.kind, data, opts: outboundJobOptions(data) };
        }),
      );
    }
    log.info({ replies: ctx.replies.length, queuedMs: Date.now() - payload.receivedAt }, 'message handled');
    return { replies: ctx.replies.length };
  };
}

function readPayload(job: Job): InboundPayload {
  try {
    return parseInboundPayload(job.data);
  } catch (cause) {
    // Data that does not parse will not parse on a retry either.
    throw new UnrecoverableError(`not a version-1 inbound payload: ${describe(cause)}`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
