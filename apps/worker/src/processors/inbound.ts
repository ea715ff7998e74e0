import { type HandlerContext, type Handlers, createContext } from '@wxq/handlers';
import type { Logger } from '@wxq/logging';
import type { Notifier } from '@wxq/notify';
import { type QuotaLedger, type QuotaView, quotaEffectOf } from '@wxq/quota';
import {
  type InboundPayload,
  type Lanes,
  type OutboundPayload,
  type Processor,
  type Producer,
  QUEUES,
  inboundJobId,
  keptAfterDoneMs,
  laneScore,
} from '@wxq/queue';
import type { PerShard, QueueShards, RedisClient } from '@wxq/redis';
import type { WechatApiClient } from '@wxq/wechat-api';
import { DelayedError, UnrecoverableError } from 'bullmq';
import type { Counter, Histogram } from 'prom-client';
import { LEFT_FAILED, PARK_MS, recipientOf } from './lane-settings.js';
import { type InlineSendDeps, endInlineProgress, sendInline } from './inline-replies.js';
import { type NotificationEventDeps, applyNotificationEvent } from './notification-events.js';
import { type PassiveDeps, offerFirstReply, queueForPushes } from './passive-replies.js';

export interface InboundDeps {
  readonly handlers: Handlers;
  readonly apis: ReadonlyMap<string, WechatApiClient>;
  /** Each shard's outbound producer: a reply goes to its recipient's shard (docs/shards.md). */
  readonly outbound: PerShard<Producer<'outbound'>>;
  readonly redis: RedisClient;
  /** A user's keys are their shard's. */
  readonly shards: QueueShards;
  /** Attempts before a handler failure is final (the job then waits in "failed" for an operator). */
  readonly handlerAttempts: number;
  /** WXQ_HANDLER_TIMEOUT_MS: an attempt's handlers are abandoned after this long, and it fails. */
  readonly handlerTimeoutMs: number;
  /** Per-user ordering (docs/ordering.md), each shard's lanes; undefined with WXQ_ORDERING=off. */
  readonly lanes: PerShard<{ readonly inbound: Lanes; readonly outbound: Lanes }> | undefined;
  /** The quota ledger (docs/quota.md); undefined with WXQ_CS_QUOTA=off. */
  readonly ledger: QuotaLedger | undefined;
  /** WXQ_AUTO_TYPING_MS: show Typing once when a handler runs longer; 0 = never. */
  readonly autoTypingMs: number;
  /** Passive replies (docs/passive-replies.md); undefined when every account uses the customer-service API. */
  readonly passive: PassiveDeps | undefined;
  /** Replies sent from the inbound job while nothing stands in their way; undefined: every reply is a job. */
  readonly inline: InlineSendDeps | undefined;
  /** wxq_worker_handler_duration_seconds, by account and outcome. */
  readonly handlerSeconds: Histogram<'account' | 'outcome'>;
  /** wxq_worker_handler_timeouts_total, by account. */
  readonly handlerTimeouts: Counter<'account'>;
  /** Consent from subscribe popups and delivery reports of notifications (notification-events.ts). */
  readonly notificationEvents: NotificationEventDeps;
  /** Queues what handlers recorded with `ctx.notify`. */
  readonly notifier: Notifier;
}

/**
 * The inbound processor: payload -> the user's handlers -> the replies, sent from here while
 * nothing stands in their way (inline-replies.ts), else one outbound job per reply. Reply jobs
 * have deterministic ids, so a re-run after a crash queues nothing twice.
 * With ordering, a user's pushes run one at a time in the order the gateway received them, and
 * their replies enter the user's outbound lane in that order.
 */
export function createInboundProcessor(deps: InboundDeps): Processor<'inbound'> {
  return async (payload, { job, token, log }) => {
    const api = deps.apis.get(payload.appId);
    if (api === undefined) throw new UnrecoverableError(`no account ${payload.appId} is configured on this worker`);
    const user = payload.message.FromUserName;
    const lanes = deps.lanes?.of(payload.appId, user);
    const keys = deps.shards.of(payload.appId, user).keys;
    const lane = keys.lane(QUEUES.inbound.name, payload.appId, user);
    const mode = deps.passive?.modes.get(payload.appId) ?? 'customer-service';
    // One round trip: the turn and the push's quota effect (a grant is WeChat's at the push, and
    // is applied once per push however often this runs).
    const [turn, quota] = await Promise.all([
      lanes?.inbound.turn(lane, job, laneScore(payload.receivedAt)),
      applyQuotaEffect(deps.ledger, payload),
      applyNotificationEvent(deps.notificationEvents, payload, job.id ?? '', keptAfterDoneMs(job.opts), log),
    ]);
    if (lanes !== undefined && turn !== undefined) {
      // It left its lane at this attempt and the worker died before finishing: finish the same way.
      if (turn.is === 'left' && turn.outcome === 'failed') throw new UnrecoverableError(LEFT_FAILED);
      if (turn.is === 'left') return { replies: 0 };
      if (turn.is === 'behind') {
        await lanes.inbound.park(lane, job, token, PARK_MS);
        throw new DelayedError();
      }
    }
    const jobLog = log.child({ appId: payload.appId, msgType: payload.message.MsgType });
    const attempt = new AbortController();
    const ctx = createContext(payload.message, {
      appId: payload.appId,
      log: jobLog,
      api,
      redis: deps.redis,
      keys,
      quota,
      signal: attempt.signal,
      // The push's identity, not the job's: the same however its job came to run again.
      pushId: inboundJobId(payload.appId, payload.dedupKey),
    });
    // Typing is a customer-service API call: a passive-only account has none.
    const typing = mode === 'passive-only' ? undefined : startAutoTyping(deps, api, payload, jobLog);
    const timer = deps.handlerSeconds.startTimer({ account: payload.appId });
    try {
      await runHandlers(deps, ctx, attempt, job.attemptsMade);
      timer({ outcome: 'ok' });
    } catch (err) {
      timer({ outcome: 'error' });
      // A final failure hands the user's turn on; a retry keeps it, so later pushes wait for it.
      if (err instanceof UnrecoverableError) await lanes?.inbound.leave(lane, job, 'failed');
      throw err;
    } finally {
      clearTimeout(typing);
    }
    // Before the replies: a handler that says "we sent you the receipt" has it queued first. Each
    // id is the push's own, so a re-run finds its records and queues nothing twice.
    for (const { id, request } of ctx.notifications) await deps.notifier.send(request, { id });
    let sentInline = 0;
    let counted: Promise<unknown> | undefined;
    let replies: readonly OutboundPayload[] = ctx.replies.map((reply, replyIndex) => ({
      v: 1,
      appId: payload.appId,
      dedupKey: payload.dedupKey,
      replyIndex,
      receivedAt: payload.receivedAt,
      reply,
    }));
    if (deps.passive !== undefined && mode === 'passive-only') {
      await queueForPushes(deps.passive, payload, replies, jobLog);
      replies = [];
    } else if (deps.passive !== undefined && mode === 'passive') {
      replies = await offerFirstReply(deps.passive, payload, replies);
    } else if (deps.inline !== undefined && replies.length > 0) {
      const inline = await sendInline(deps.inline, api, payload, keys, replies, jobLog);
      sentInline = inline.sent;
      replies = inline.rest;
      counted = inline.counted;
    }
    // What is kept for the push once it is done lasts its window (keptAfterDoneMs): its reply jobs too.
    const keptMs = keptAfterDoneMs(job.opts);
    if (replies.length > 0) await queueReplies(deps, replies, keptMs / 1000);
    // The last inline send's count and the leave: one write to Redis. The count only tells a
    // re-run what not to send again, and a job that completes has none, so a count that failed is
    // logged, not thrown: a retry would send that reply twice. A failed leave is thrown: the job
    // runs again, holding the user's turn, and its re-run sends what is not counted.
    const [count, leave] = await Promise.allSettled([counted, lanes?.inbound.leave(lane, job, 'done')]);
    if (leave.status === 'rejected') throw leave.reason;
    if (count.status === 'rejected') jobLog.warn({ err: count.reason }, 'inline send count not written');
    if (counted !== undefined && deps.inline !== undefined) {
      endInlineProgress(deps.inline, payload, keys, keptMs, jobLog);
    }
    // Debug: at info a worker would write a line per push, the gateway's access line again; the
    // lag is wxq_queue_oldest_waiting_seconds, and every failure is logged at warn.
    jobLog.debug(
      { replies: ctx.replies.length, sentInline, queuedMs: Date.now() - payload.receivedAt },
      'message handled',
    );
    return { replies: ctx.replies.length };
  };
}

async function runHandlers(
  deps: InboundDeps,
  ctx: HandlerContext,
  attempt: AbortController,
  attemptsMade: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new HandlerTimeoutError(deps.handlerTimeoutMs));
    }, deps.handlerTimeoutMs);
  });
  try {
    // A handler that never returns would hold its user's lane and a worker slot forever: past the
    // timeout the attempt is abandoned, the handler's promise left to settle on its own.
    await Promise.race([deps.handlers.handle(ctx), timedOut]);
  } catch (err) {
    if (err instanceof HandlerTimeoutError) {
      // From here on the context records nothing, and this attempt's replies are never sent.
      attempt.abort(err);
      deps.handlerTimeouts.inc({ account: ctx.account.appId });
      ctx.log.warn(
        { route: deps.handlers.routeOf(ctx.message), timeoutMs: deps.handlerTimeoutMs, attempt: attemptsMade + 1 },
        'handler timed out: its replies are dropped',
      );
    }
    // The queue allows more attempts than HANDLER_ATTEMPTS: the worker decides when to stop.
    if (attemptsMade + 1 >= deps.handlerAttempts) {
      throw new UnrecoverableError(`handler failed ${deps.handlerAttempts} times: ${describe(err)}`);
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** An attempt's handlers ran past WXQ_HANDLER_TIMEOUT_MS. */
class HandlerTimeoutError extends Error {
  override name = 'HandlerTimeoutError';
  constructor(timeoutMs: number) {
    super(`handler timed out after ${timeoutMs} ms (WXQ_HANDLER_TIMEOUT_MS)`);
  }
}

/**
 * Each reply goes to its recipient's shard (docs/shards.md): it takes its place in the
 * recipient's lane there before it exists as a job, then the shard's replies are added together.
 */
async function queueReplies(
  deps: InboundDeps,
  replies: readonly OutboundPayload[],
  keepCompletedSeconds: number,
): Promise<void> {
  const byShard = new Map<number, OutboundPayload[]>();
  for (const reply of replies) {
    const index = deps.shards.indexOf(reply.appId, recipientOf(reply));
    byShard.set(index, [...(byShard.get(index) ?? []), reply]);
  }
  await Promise.all(
    [...byShard].map(async ([index, shardReplies]) => {
      await enterOutboundLanes(deps, index, shardReplies);
      await deps.outbound.at(index).addBulk(shardReplies, keepCompletedSeconds);
    }),
  );
}

async function enterOutboundLanes(deps: InboundDeps, shard: number, replies: readonly OutboundPayload[]) {
  const lanes = deps.lanes?.at(shard).outbound;
  if (lanes === undefined) return;
  const keys = deps.shards.at(shard).keys;
  // Every recipient's lane in one call: the shard's keys share its slot.
  await lanes.enterEach(
    replies.map((reply) => ({
      lane: keys.lane(QUEUES.outbound.name, reply.appId, recipientOf(reply)),
      jobId: QUEUES.outbound.jobId(reply),
      score: laneScore(reply.receivedAt ?? 0, reply.replyIndex),
    })),
  );
}

/** The push opens (or closes) its user's send windows; answers the view the handler gets. */
async function applyQuotaEffect(
  ledger: QuotaLedger | undefined,
  payload: InboundPayload,
): Promise<QuotaView | undefined> {
  if (ledger === undefined) return undefined;
  const user = payload.message.FromUserName;
  const effect = quotaEffectOf(payload.message);
  if (effect === undefined) return ledger.view(payload.appId, user);
  if ('close' in effect) {
    await ledger.correct(payload.appId, user, 'close');
    return ledger.view(payload.appId, user);
  }
  // CreateTime is in seconds (docs/wechat-protocol.md §4.1); a push without a usable one counts from when it arrived.
  const createdAtMs = Number(payload.message.CreateTime) * 1000 || payload.receivedAt;
  return ledger.grant(payload.appId, user, effect.grant, createdAtMs, payload.dedupKey);
}

/** With WXQ_AUTO_TYPING_MS, a handler still running after that long shows Typing once, when WeChat allows it. */
function startAutoTyping(
  deps: InboundDeps,
  api: WechatApiClient,
  payload: InboundPayload,
  log: Logger,
): NodeJS.Timeout | undefined {
  const { ledger, autoTypingMs } = deps;
  if (ledger === undefined || autoTypingMs === 0) return undefined;
  const user = payload.message.FromUserName;
  return setTimeout(() => {
    void (async () => {
      if ((await ledger.typing(payload.appId, user)) !== 'ok') return;
      await api.typing(user, 'Typing');
      log.debug('auto typing shown');
    })().catch((err: unknown) => {
      log.warn({ err }, 'auto typing failed');
    });
  }, autoTypingMs);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
