import type { Logger } from '@wxq/logging';
import type { Reservation } from '@wxq/quota';
import { type InboundPayload, type OutboundPayload, QUEUES } from '@wxq/queue';
import { type RedisClient, type WxqKeys, loadScript } from '@wxq/redis';
import { type WechatApiClient, WechatErrcodeError, judgeSend } from '@wxq/wechat-api';
import type { SendRateLimiter } from '../send-rate-limit.js';
import { type SendOutcomeDeps, actOnVerdict } from './send-outcome.js';

export interface InlineSendDeps extends SendOutcomeDeps {
  readonly redis: RedisClient;
  readonly rateLimiter: SendRateLimiter | undefined;
  /** With ordering, the user's outbound lane must be empty: no earlier reply waiting. */
  readonly ordering: boolean;
}

/**
 * How long a push's inline progress is kept while its job may still run: through its retries and
 * the week a failed job waits for an operator's retry (catalog.ts), which must not send again what
 * went out. Once the job is done, {@link endInlineProgress} cuts it to the push's window.
 */
const PROGRESS_TTL_MS = 8 * 24 * 3600 * 1000;

/** Writes a push's reply plan unless an earlier run wrote its own: lua/inline-progress-start.lua. */
const START_PROGRESS = loadScript(new URL('./lua/inline-progress-start.lua', import.meta.url));

const planSchema = QUEUES.outbound.schema.array();

export interface InlineSends {
  /** Replies sent inline, the first ones. */
  readonly sent: number;
  /** The replies that go as outbound jobs. */
  readonly rest: readonly OutboundPayload[];
  /**
   * The last send's count, written without waiting (a failure rejects here): the caller awaits it
   * with the lane leave, so both go to Redis in one write.
   */
  readonly counted: Promise<unknown>;
}

/**
 * The push's job is done (it left its lane): its inline progress now only has to outlive a re-run
 * of the completed job, kept `keptMs` (keptAfterDoneMs). Not awaited: the job completes meanwhile,
 * and a failure only leaves the progress its longer ttl, logged.
 */
export function endInlineProgress(
  deps: InlineSendDeps,
  payload: InboundPayload,
  userKeys: WxqKeys,
  keptMs: number,
  log: Logger,
): void {
  deps.redis.pexpire(userKeys.repliesSent(QUEUES.inbound.jobId(payload)), keptMs).catch((err: unknown) => {
    log.warn({ err }, 'inline progress kept past its window: its ttl was not cut');
  });
}

/** A send's rate slot and quota reservation, both taken up front; see {@link takeSend}. */
interface TakenSend {
  readonly ok: boolean;
  readonly reservation: Reservation | undefined;
  /** An earlier reply of the user waits in their outbound lane (with ordering): this one goes behind it. */
  readonly waits: boolean;
}

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
 *
 * Round trips: the checks, the plan and the first send's slot and quota go to Redis together (the
 * connection pipelines one event-loop turn's commands), and the last count with the caller's lane
 * leave. A quota reservation taken for a send that then does not go inline is refunded.
 */
export async function sendInline(
  deps: InlineSendDeps,
  api: WechatApiClient,
  payload: InboundPayload,
  userKeys: WxqKeys,
  replies: readonly OutboundPayload[],
  log: Logger,
): Promise<InlineSends> {
  const { appId } = payload;
  const user = payload.message.FromUserName;
  const key = userKeys.repliesSent(QUEUES.inbound.jobId(payload));
  // Typing has its own rules (docs/quota.md), and a reply to another user their own lane: jobs.
  const inlineMessage = (index: number) => {
    const reply = replies[index]?.reply;
    return reply?.kind === 'message' && reply.message.touser === user ? reply.message : undefined;
  };
  let message = inlineMessage(0);
  if (message === undefined) {
    const progress = await deps.redis.hgetall(key);
    const rest = progress['plan'] === undefined ? replies : unsentOfPlan(progress, replies, log);
    return { sent: 0, rest, counted: DONE };
  }
  // Read after the handler: a pause or a reply to the user queued while it ran is seen. The quota
  // is taken only with the lane empty, so an earlier reply waiting there keeps the user's last send.
  const lane = deps.ordering ? userKeys.lane(QUEUES.outbound.name, appId, user) : undefined;
  const [[earlier, pausedUntil], first] = await withSend(
    deps,
    appId,
    user,
    Promise.all([
      START_PROGRESS.run<string[]>(deps.redis, [key], [JSON.stringify(replies), PROGRESS_TTL_MS]),
      deps.pause.pausedUntil(appId),
    ]),
    takeSend(deps, appId, user, lane),
  );
  if (earlier.length > 0 || first.waits || pausedUntil !== undefined) {
    await giveBack(deps, appId, user, first);
    const rest = earlier.length > 0 ? unsentOfPlan(progressOf(earlier), replies, log) : replies;
    return { sent: 0, rest, counted: DONE };
  }
  let counted: Promise<unknown> = DONE;
  let taken = first;
  let next = 0;
  while (message !== undefined) {
    if (!taken.ok) {
      await giveBack(deps, appId, user, taken);
      break;
    }
    try {
      await api.sendCustomMessage(message);
    } catch (err) {
      // Counted, and what the answer says about the user's windows learnt, now, while it is news;
      // a pause of the account starts at once, so that no other push's reply is tried meanwhile.
      const verdict = judgeSend('custom', err);
      await actOnVerdict(deps, appId, user, verdict, taken.reservation, log);
      // WeChat answered (and paused nothing): the reply's job takes that answer as its own first
      // attempt's, so it fails for good or backs off without calling again. A paused reply's job
      // waits for the pause to end, then sends. Without an answer (a timeout) the reply may have gone
      // out: the job simply tries again, as a retried reply job does.
      if (err instanceof WechatErrcodeError && verdict.action !== 'pause_account') {
        const inlineAttempt = { api: err.api, errcode: err.errcode, errmsg: err.errmsg };
        const rest = [{ ...replies[next], inlineAttempt } as OutboundPayload, ...replies.slice(next + 1)];
        return { sent: next, rest, counted };
      }
      break;
    }
    deps.sends.inc({ account: appId, result: SENT_RESULT });
    next += 1;
    counted = deps.redis.hset(key, 'sent', next);
    // Awaited later; until then a failure must not count as unhandled.
    counted.catch(ignore);
    message = inlineMessage(next);
    if (message !== undefined)
      [, taken] = await withSend(deps, appId, user, counted, takeSend(deps, appId, user, lane));
  }
  return { sent: next, rest: replies.slice(next), counted };
}

const DONE: Promise<unknown> = Promise.resolve();
/** The metrics' label of a send that went out, as the send policy gives it. */
const SENT_RESULT = judgeSend('custom').result;
const ignore = () => undefined;

/**
 * A send slot and a quota reservation, asked for together: `ok` when both were granted and no
 * earlier reply waits in the user's lane. No window: the outbound job refuses (enforce) or sends
 * anyway (observe), and counts it.
 */
async function takeSend(
  deps: InlineSendDeps,
  appId: string,
  user: string,
  lane: string | undefined,
): Promise<TakenSend> {
  const [wait, taken] = await Promise.all([
    deps.rateLimiter?.reserve(appId),
    reserveUnlessWaiting(deps, appId, user, lane),
  ]);
  const reservation = taken === 'guarded' ? undefined : taken;
  const waits = taken === 'guarded';
  return {
    ok: (wait ?? 0) === 0 && !waits && (deps.ledger === undefined || reservation !== undefined),
    reservation,
    waits,
  };
}

/**
 * The user's quota unless their outbound lane holds an earlier reply, in one call: the ledger
 * checks the lane in its own script (the quota is taken only with the lane empty); without the
 * ledger an EXISTS does.
 */
function reserveUnlessWaiting(
  deps: InlineSendDeps,
  appId: string,
  user: string,
  lane: string | undefined,
): Promise<Reservation | 'guarded' | undefined> {
  if (lane === undefined) return deps.ledger?.reserve(appId, user) ?? DONE_EMPTY;
  if (deps.ledger === undefined) return deps.redis.exists(lane).then((n) => (n === 1 ? 'guarded' : undefined));
  return deps.ledger.reserveUnless(appId, user, lane);
}

const DONE_EMPTY: Promise<undefined> = Promise.resolve(undefined);

/**
 * Awaits calls sent together with a send's taking: when one of them fails, the reservation goes
 * back before the failure is thrown.
 */
async function withSend<T>(
  deps: InlineSendDeps,
  appId: string,
  user: string,
  calls: Promise<T>,
  taking: Promise<TakenSend>,
): Promise<[T, TakenSend]> {
  const [others, taken] = await Promise.allSettled([calls, taking]);
  if (others.status === 'fulfilled' && taken.status === 'fulfilled') return [others.value, taken.value];
  if (taken.status === 'fulfilled') await giveBack(deps, appId, user, taken.value);
  throw others.status === 'rejected' ? others.reason : (taken as PromiseRejectedResult).reason;
}

/** A reservation taken for a send that does not go inline goes back to the user's window. */
async function giveBack(deps: InlineSendDeps, appId: string, user: string, taken: TakenSend): Promise<void> {
  if (taken.reservation !== undefined) await deps.ledger?.refund(appId, user, taken.reservation);
}

function progressOf(fields: readonly string[]): Record<string, string> {
  const progress: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) progress[fields[i] as string] = fields[i + 1] as string;
  return progress;
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
