import { type HandlerContext, type Handlers, createContext } from '@wxq/handlers';
import type { Processor, Producer } from '@wxq/queue';
import type { RedisClient, WxqKeys } from '@wxq/redis';
import type { WechatApiClient } from '@wxq/wechat-api';
import { UnrecoverableError } from 'bullmq';

export interface InboundDeps {
  readonly handlers: Handlers;
  readonly apis: ReadonlyMap<string, WechatApiClient>;
  readonly outbound: Producer<'outbound'>;
  readonly redis: RedisClient;
  readonly keys: WxqKeys;
  /** Attempts before a handler failure is final (the job then waits in "failed" for an operator). */
  readonly handlerAttempts: number;
}

/**
 * The inbound processor: payload -> the user's handlers -> one outbound job per recorded reply.
 * Replies are enqueued with deterministic ids, so a re-run after a crash queues nothing twice.
 */
export function createInboundProcessor(deps: InboundDeps): Processor<'inbound'> {
  return async (payload, { job, log }) => {
    const api = deps.apis.get(payload.appId);
    if (api === undefined) throw new UnrecoverableError(`no account ${payload.appId} is configured on this worker`);
    const jobLog = log.child({ appId: payload.appId, msgType: payload.message.MsgType });
    const ctx = createContext(payload.message, { appId: payload.appId, log: jobLog, api, redis: deps.redis, keys: deps.keys });
    await runHandlers(deps, ctx, job.attemptsMade);
    if (ctx.replies.length > 0) {
      await deps.outbound.addBulk(
        ctx.replies.map((reply, replyIndex) => ({ v: 1 as const, appId: payload.appId, dedupKey: payload.dedupKey, replyIndex, reply })),
      );
    }
    jobLog.info({ replies: ctx.replies.length, queuedMs: Date.now() - payload.receivedAt }, 'message handled');
    return { replies: ctx.replies.length };
  };
}

async function runHandlers(deps: InboundDeps, ctx: HandlerContext, attemptsMade: number): Promise<void> {
  try {
    await deps.handlers.handle(ctx);
  } catch (err) {
    // The queue allows more attempts than HANDLER_ATTEMPTS: the worker decides when to stop.
    if (attemptsMade + 1 >= deps.handlerAttempts) {
      throw new UnrecoverableError(`handler failed ${deps.handlerAttempts} times: ${describe(err)}`);
    }
    throw err;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
