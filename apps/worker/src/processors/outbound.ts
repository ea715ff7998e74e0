import type { Logger } from '@wxq/logging';
import type { NotificationRecords } from '@wxq/notify';
import type { PassiveStore } from '@wxq/passive';
import type { QuotaLedger, Reservation, SendPause } from '@wxq/quota';
import {
  type LaneOutcome,
  type Lanes,
  type OutboundPayload,
  type Processor,
  QUEUES,
  inboundJobId,
  laneScore,
} from '@wxq/queue';
import type { PerShard, QueueShards } from '@wxq/redis';
import { type WechatApiClient, WechatErrcodeError, isRefused, judgeSend } from '@wxq/wechat-api';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { Counter } from 'prom-client';
import type { SendRateLimiter } from '../send-rate-limit.js';
import { LEFT_FAILED, PARK_MS, recipientOf } from './lane-settings.js';
import { delayUntil } from './delay.js';
import { SEND_UNTAKEN_AFTER_MS } from './passive-replies.js';
import type { SendCounters } from '../send-counters.js';
import { type SendOutcomeDeps, actOnVerdict } from './send-outcome.js';

export interface OutboundDeps {
  readonly apis: ReadonlyMap<string, WechatApiClient>;
  readonly rateLimiter: SendRateLimiter | undefined;
  readonly pause: SendPause;
  readonly counters: SendCounters;
  /** A recipient's lane is in their shard (docs/shards.md). */
  readonly shards: QueueShards;
  /** Per-user ordering (docs/ordering.md), each shard's outbound lanes; undefined with WXQ_ORDERING=off. */
  readonly lanes: PerShard<Lanes> | undefined;
  /** The quota ledger (docs/quota.md); undefined with WXQ_CS_QUOTA=off. */
  readonly quota: { readonly ledger: QuotaLedger; readonly enforce: boolean } | undefined;
  /** Passive replies (docs/passive-replies.md): where an offered reply's fate is settled. */
  readonly passive: PerShard<PassiveStore> | undefined;
  /** wxq_worker_sends_total: one count per API call made, and per reply the ledger held back. */
  readonly sends: Counter<'account' | 'result'>;
  /** A customer-service message sent through the API moves its notification record on. */
  readonly records: NotificationRecords;
}

/** The job's reason when the ledger holds a reply back: visible in Bull Board. */
export const NO_QUOTA_REASON = 'no customer-service quota';

/**
 * The outbound processor: one reply, one API call. WeChat's answer is judged by the send policy
 * (libs/wechat-api send-policy.ts, docs/wechat-protocol.md §7.5): a retry throws (BullMQ backs off
 * with jitter); a token error was already refreshed and retried once by the client; a pause waits
 * in "delayed" until it ends; a send refused for good fails the job at once with the errcode in
 * its reason, where Bull Board shows it. With ordering, a reply waits
 * until every earlier reply to its user was sent or failed for good, retries included. With the
 * quota ledger, a reply the user's windows do not allow is not attempted.
 */
export function createOutboundProcessor(deps: OutboundDeps): Processor<'outbound'> {
  const outcomeDeps: SendOutcomeDeps = { ...deps, ledger: deps.quota?.ledger };
  return async (payload, { job, token, log }) => {
    const api = deps.apis.get(payload.appId);
    if (api === undefined) throw new UnrecoverableError(`no account ${payload.appId} is configured on this worker`);
    const user = recipientOf(payload);
    const lane = deps.shards.of(payload.appId, user).keys.lane(QUEUES.outbound.name, payload.appId, user);
    const lanes = deps.lanes?.of(payload.appId, user);
    const leave = (outcome: LaneOutcome) => lanes?.leave(lane, job, outcome);
    // Before the lane: while the account is paused, the jobs behind a paused head wait too,
    // instead of waking every PARK_MS.
    const pausedUntil = await deps.pause.pausedUntil(payload.appId);
    if (pausedUntil !== undefined) await delayUntil(job, token, pausedUntil);
    if (lanes !== undefined) {
      const turn = await lanes.turn(lane, job, laneScore(payload.receivedAt ?? job.timestamp, payload.replyIndex));
      // It left its lane at this attempt and the worker died before finishing: finish the same way.
      if (turn.is === 'left' && turn.outcome === 'failed') throw new UnrecoverableError(LEFT_FAILED);
      if (turn.is === 'left') return;
      if (turn.is === 'behind') {
        await lanes.park(lane, job, token, PARK_MS);
        throw new DelayedError();
      }
    }
    if (payload.offered === true && deps.passive !== undefined) {
      const pushAt = payload.receivedAt ?? job.timestamp;
      const sendAfter = pushAt + SEND_UNTAKEN_AFTER_MS;
      // Offered replies go to the push's own user: the push's state is in this shard too.
      const store = deps.passive.of(payload.appId, user);
      const verdict = await store.settle(inboundJobId(payload.appId, payload.dedupKey), sendAfter);
      if (verdict === 'answered') {
        await deps.counters.count(payload.appId, 'passive_answered');
        await leave('done');
        log.info({ appId: payload.appId }, 'reply answered passively');
        return;
      }
      // Offered and not taken yet: a gateway holding the push takes it within milliseconds, one that
      // died leaves it to WeChat's next delivery. Later replies of the user wait behind it.
      if (verdict === 'wait') {
        const step = Date.now() < pushAt + WECHAT_ANSWER_MS ? TAKE_RECHECK_MS : RETRY_RECHECK_MS;
        await delayUntil(job, token, Math.min(sendAfter, Date.now() + step));
      }
    }
    // The inbound job tried this reply already (inline-replies.ts): WeChat's answer to it is this
    // attempt's. It was counted, and what it says about the user's windows learnt, back then.
    const inline = job.attemptsMade === 0 ? payload.inlineAttempt : undefined;
    const wait = inline === undefined ? ((await deps.rateLimiter?.reserve(payload.appId)) ?? 0) : 0;
    if (wait > 0) await delayUntil(job, token, Date.now() + wait);

    const { reply } = payload;
    if (inline === undefined && reply.kind === 'typing' && reply.command === 'Typing' && deps.quota !== undefined) {
      // Typing spends no quota, but WeChat refuses it outside 30 s of an exchange and while it shows.
      const verdict = await deps.quota.ledger.typing(payload.appId, user);
      if (verdict !== 'ok') {
        log.info({ appId: payload.appId, verdict }, 'typing not sent');
        await deps.counters.count(payload.appId, 'typing_skipped');
        await leave('done');
        return;
      }
    }
    const reservation =
      inline === undefined && reply.kind === 'message' ? await reserveSend(deps, payload, job, user, log) : undefined;
    const kind = reply.kind === 'message' ? 'custom' : 'typing';
    try {
      if (inline !== undefined) throw new WechatErrcodeError(inline.api, inline.errcode, inline.errmsg);
      if (reply.kind === 'message') await api.sendCustomMessage(reply.message);
      else await api.typing(reply.touser, reply.command);
    } catch (err) {
      const verdict = judgeSend(kind, err);
      // An inline attempt was counted, and what it says learnt, by the inbound job (inline-replies.ts).
      const pausedUntil =
        inline === undefined
          ? await actOnVerdict(outcomeDeps, payload.appId, user, verdict, reservation, log)
          : await deps.pause.pausedUntil(payload.appId);
      if (verdict.action === 'pause_account' && pausedUntil !== undefined) await delayUntil(job, token, pausedUntil);
      const refused = isRefused(verdict);
      // The last attempt, or one that can never succeed, hands the user's turn on.
      if (refused || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        const errcode = Number(verdict.result);
        const detail = { reason: verdict.reason ?? describe(err), ...(Number.isInteger(errcode) ? { errcode } : {}) };
        await Promise.all([settleRecord(deps, payload, 'refused', detail), leave('failed')]);
      }
      if (refused) throw new UnrecoverableError(verdict.reason);
      throw err;
    }
    deps.sends.inc({ account: payload.appId, result: judgeSend(kind).result });
    await Promise.all([settleRecord(deps, payload, 'sent'), leave('done')]);
    // Debug, as the inbound job's line: wxq_worker_sends_total counts every send.
    log.debug(
      { appId: payload.appId, msgtype: reply.kind === 'message' ? reply.message.msgtype : 'typing' },
      'reply sent',
    );
  };
}

/** Takes a send from the user's windows; without one, enforce fails the job and observe only says so. */
async function reserveSend(
  deps: OutboundDeps,
  payload: OutboundPayload,
  job: Job,
  user: string,
  log: Logger,
): Promise<Reservation | undefined> {
  if (deps.quota === undefined) return undefined;
  const reservation = await deps.quota.ledger.reserve(payload.appId, user);
  if (reservation !== undefined) return reservation;
  await deps.counters.count(payload.appId, deps.quota.enforce ? 'quota_refused' : 'quota_observed');
  if (deps.quota.enforce) {
    deps.sends.inc({ account: payload.appId, result: 'quota' });
    // Failed for good, so the user's later replies may go (a later interaction may allow them).
    const lane = deps.shards.of(payload.appId, user).keys.lane(QUEUES.outbound.name, payload.appId, user);
    await Promise.all([
      settleRecord(deps, payload, 'refused', { reason: QUOTA_REFUSAL }),
      deps.lanes?.of(payload.appId, user).leave(lane, job, 'failed'),
    ]);
    throw new UnrecoverableError(`${NO_QUOTA_REASON}: the user has no open send window (docs/quota.md); not sent`);
  }
  log.warn({ appId: payload.appId }, 'sending without customer-service quota (WXQ_CS_QUOTA=observe)');
  return undefined;
}

/** The record's reason for an API message the user's windows did not allow (docs/notifications.md). */
const QUOTA_REFUSAL = 'quota';

/** Moves on the record of a message sent through the API; a handler's reply has none. */
async function settleRecord(
  deps: OutboundDeps,
  payload: OutboundPayload,
  status: 'sent' | 'refused',
  detail?: { readonly errcode?: number; readonly reason?: string },
): Promise<void> {
  if (payload.notification !== undefined) await deps.records.advance(payload.notification, status, detail);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** WeChat's answer deadline (docs/wechat-protocol.md §5.1). */
const WECHAT_ANSWER_MS = 5_000;
/** How soon an offered reply looks again while a gateway may still be answering with it. */
const TAKE_RECHECK_MS = 100;
/** ... and while only a retry of the push could still take it. */
const RETRY_RECHECK_MS = 1_000;
