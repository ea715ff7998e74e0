import type { Campaign, Campaigns, ConsentLedger, NewRecord, NotificationRecords } from '@wxq/notify';
import type { SendPause } from '@wxq/quota';
import type { JobContext, NotifyPayload, Processor } from '@wxq/queue';
import { type SendVerdict, TOO_OFTEN_RETRY_AFTER_SECONDS, type WechatApiClient, judgeSend } from '@wxq/wechat-api';
import { DelayedError, UnrecoverableError } from 'bullmq';
import type { Counter } from 'prom-client';
import type { SendRateLimiter } from '../send-rate-limit.js';
import { delayUntil } from './delay.js';

export interface NotifyDeps {
  readonly apis: ReadonlyMap<string, WechatApiClient>;
  readonly records: NotificationRecords;
  /**
   * A campaign recipient's send looks at its campaign: paused, cancelled or failed, it waits or is
   * refused (the worker passes a recent-reads.ts one).
   */
  readonly campaigns: Pick<Campaigns, 'statusOf' | 'fail'>;
  /** The notifications' pause: a 45009 on template sends holds them, not the account's replies (recent-reads.ts). */
  readonly pause: SendPause;
  /** WXQ_TEMPLATE_RATE (or the account's templateRate) across every worker; undefined: no limit. */
  readonly rateLimiter: SendRateLimiter | undefined;
  /** Subscribe consent (WXQ_SUBSCRIBE_CONSENT); undefined with `off`. */
  readonly consent: { readonly ledger: ConsentLedger; readonly enforce: boolean } | undefined;
  /** Per account, the subscribe templates that need no consent credit (long-term subscriptions). */
  readonly longTermTemplates: ReadonlyMap<string, ReadonlySet<string>>;
  /** wxq_notifications_total. */
  readonly notifications: Counter<'account' | 'kind' | 'result'>;
}

/** The reason of a subscribe notification not attempted for want of a consent credit. */
const NO_CONSENT = 'no_consent';

/** How often a paused campaign's queued recipients look again. */
const CAMPAIGN_PAUSE_RECHECK_MS = 2_000;

/** Put off this often, a send is refused: WeChat keeps saying the same. */
const MAX_DEFERRALS = 3;

/**
 * The notify processor (docs/notifications.md): one template message or subscribe notification,
 * one API call, its record moved on by WeChat's answer as the send policy judges it
 * (libs/wechat-api send-policy.ts). The notification's id is the send's `client_msg_id`, the same
 * on every attempt, so a crash between WeChat's answer and the record sends nothing twice within
 * WeChat's 10 minutes; and a record already past `queued` is never sent again.
 */
export function createNotifyProcessor(deps: NotifyDeps): Processor<'notify'> {
  // The context whole, not its `log`: that is made only when a send logs (queue-worker.ts).
  return async (payload, context) => {
    const { job, token } = context;
    const api = deps.apis.get(payload.appId);
    if (api === undefined) throw new UnrecoverableError(`no account ${payload.appId} is configured on this worker`);
    // Reads that do not depend on each other: one round trip on the pipelined connection, when the
    // campaign status and the pause are not known from a send a moment ago (recent-reads.ts).
    const [status, campaign, pausedUntil] = await Promise.all([
      deps.records.statusOf(payload.id),
      payload.campaignId === undefined ? undefined : deps.campaigns.statusOf(payload.campaignId),
      deps.pause.pausedUntil(payload.appId),
    ]);
    // Sent or settled already (a re-run after a crash past the answer), or its record has expired.
    if (status !== 'queued') return;
    const { kind } = payload.send;
    const record = recordOf(payload);
    if (payload.campaignId !== undefined) {
      // The stored status: the account's 45009 pause is pausedUntil's, below.
      if (campaign?.status === 'paused' && campaign.reason !== '45009')
        await delayUntil(job, token, Date.now() + CAMPAIGN_PAUSE_RECHECK_MS);
      if (campaign?.status === 'cancelled' || campaign?.status === 'failed') {
        await refuse(deps, payload, stoppedDetail(campaign));
        return;
      }
    }
    if (pausedUntil !== undefined) await delayUntil(job, token, pausedUntil);
    const wait = (await deps.rateLimiter?.reserve(payload.appId)) ?? 0;
    if (wait > 0) await delayUntil(job, token, Date.now() + wait);

    const consentTaken = await takeConsent(deps, payload, context);
    if (consentTaken === 'refused') {
      await refuse(deps, payload, { reason: NO_CONSENT }, 'no_consent');
      throw new UnrecoverableError(
        `${NO_CONSENT}: the user has no consent credit for template ${payload.send.template_id}`,
      );
    }
    let msgid: string | undefined;
    try {
      msgid = (await sendNotification(api, payload)).msgid;
    } catch (err) {
      const verdict = judgeSend(kind, err);
      deps.notifications.inc({ account: payload.appId, kind, result: verdict.result });
      if ((await actOn(deps, payload, record, verdict, consentTaken, context)) === 'sent') return;
      throw err;
    }
    deps.notifications.inc({ account: payload.appId, kind, result: 'ok' });
    await deps.records.sent(record, msgid);
  };
}

/** The record as created: the payload carries all of it but the status. */
export function recordOf(payload: NotifyPayload): NewRecord & { readonly templateId: string } {
  return {
    id: payload.id,
    kind: payload.send.kind,
    account: payload.appId,
    to: payload.to,
    templateId: payload.send.template_id,
    ...(payload.campaignId === undefined ? {} : { campaign: payload.campaignId }),
  };
}

/** Why a stopped campaign's unsent recipient is refused: `cancelled`, or `campaign_failed` with its errcode. */
export function stoppedDetail(campaign: Pick<Campaign, 'status' | 'reason'>): {
  readonly reason: string;
  readonly errcode?: number;
} {
  const errcode = campaign.status === 'failed' ? Number(campaign.reason) : Number.NaN;
  return {
    reason: campaign.status === 'cancelled' ? 'cancelled' : 'campaign_failed',
    ...(Number.isInteger(errcode) ? { errcode } : {}),
  };
}

/** The one API call: the notification's id is the template send's client_msg_id. */
export function sendNotification(
  api: WechatApiClient,
  payload: NotifyPayload,
): Promise<{ readonly msgid?: string | undefined }> {
  const { send: body, to } = payload;
  if (body.kind === 'template') {
    const { kind: _kind, ...fields } = body;
    return api.sendTemplate({ touser: to, ...fields, client_msg_id: payload.id });
  }
  const { kind: _kind, ...fields } = body;
  return api.sendSubscribe({ touser: to, ...fields });
}

/**
 * A subscribe send takes a credit unless its template is long-term. Answers whether one was taken,
 * or `refused` when none was there and consent is enforced.
 */
async function takeConsent(
  deps: NotifyDeps,
  payload: NotifyPayload,
  { log }: JobContext,
): Promise<boolean | 'refused'> {
  const { consent } = deps;
  const { send: body } = payload;
  if (body.kind !== 'subscribe' || consent === undefined) return false;
  if (deps.longTermTemplates.get(payload.appId)?.has(body.template_id) === true) return false;
  if (await consent.ledger.take(payload.appId, payload.to, body.template_id)) return true;
  if (consent.enforce) return 'refused';
  log.warn(
    { appId: payload.appId, template: body.template_id },
    'sending without a consent credit (WXQ_SUBSCRIBE_CONSENT=observe)',
  );
  return false;
}

/**
 * What WeChat's refusal or failure asks for. Answers `sent` when the answer counts as a send;
 * otherwise throws a delay or a failure for good, or returns for the caller to throw the error
 * again (a retry, with backoff).
 */
async function actOn(
  deps: NotifyDeps,
  payload: NotifyPayload,
  record: NewRecord & { readonly templateId: string },
  verdict: SendVerdict,
  consentTaken: boolean,
  context: JobContext,
): Promise<'sent' | undefined> {
  const { job, token } = context;
  const { appId, to, send: body } = payload;
  // WeChat answered, so nothing was sent: the credit goes back, unless the answer says there was none.
  if (consentTaken && verdict.answered && verdict.action !== 'clear_consent' && verdict.action !== 'sent')
    await deps.consent?.ledger.giveBack(appId, to, body.template_id);
  const detail = { errcode: errcodeOf(verdict), reason: verdict.reason };
  switch (verdict.action) {
    case 'sent':
      // Treated as sent (40241: a duplicate within 60 s): the first one went.
      await deps.records.sent(record, undefined);
      return 'sent';
    case 'pause_account':
      return delayUntil(job, token, await deps.pause.pause(appId, verdict.pause ?? 'day', context.log));
    case 'retry_later': {
      const deferred = (payload.deferred ?? 0) + 1;
      if (deferred > MAX_DEFERRALS) {
        await refuse(deps, payload, detail);
        throw new UnrecoverableError(`${verdict.reason ?? 'too often'} (put off ${String(MAX_DEFERRALS)} times)`);
      }
      // The count travels with the job; the wait is the policy's, not a pause's minute.
      await job.updateData({ ...payload, deferred });
      await job.moveToDelayed(Date.now() + (verdict.retryAfterSeconds ?? TOO_OFTEN_RETRY_AFTER_SECONDS) * 1000, token);
      throw new DelayedError();
    }
    case 'clear_consent':
      await deps.consent?.ledger.reject(appId, to, [body.template_id]);
      await refuse(deps, payload, { ...detail, reason: NO_CONSENT }, 'no_consent');
      throw new UnrecoverableError(`${NO_CONSENT}: ${verdict.reason ?? ''}`);
    case 'retry':
    case 'refresh_token':
      // The last attempt settles the record: the job fails for good and nothing will send it.
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await refuse(deps, payload, detail);
      return undefined;
    default:
      // refuse, stop_batch, close_window, exhaust_window: this send fails the same way every time.
      // stop_batch (40037, 43116): so would every other of its campaign, which stops.
      if (verdict.action === 'stop_batch' && payload.campaignId !== undefined && detail.errcode !== undefined)
        await deps.campaigns.fail(payload.campaignId, detail.errcode);
      await refuse(deps, payload, detail);
      throw new UnrecoverableError(verdict.reason ?? 'refused');
  }
}

/** The record `refused` (counted in its campaign), with why; counted as `result` when given. */
export async function refuse(
  deps: NotifyDeps,
  payload: NotifyPayload,
  detail: { readonly errcode?: number | undefined; readonly reason?: string | undefined },
  result?: string,
): Promise<void> {
  if (result !== undefined) deps.notifications.inc({ account: payload.appId, kind: payload.send.kind, result });
  await deps.records.advance(
    payload.id,
    'refused',
    {
      ...(detail.errcode === undefined ? {} : { errcode: detail.errcode }),
      ...(detail.reason === undefined ? {} : { reason: detail.reason }),
    },
    payload.campaignId,
  );
}

export function errcodeOf(verdict: SendVerdict): number | undefined {
  return verdict.result === 'ok' || verdict.result === 'transport' ? undefined : Number(verdict.result);
}
