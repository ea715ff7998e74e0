import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@wxq/logging';
import type { NotifyBatchPayload, NotifyPayload, Processor, Producer } from '@wxq/queue';
import { TOO_OFTEN_RETRY_AFTER_SECONDS, type WechatApiClient, judgeSend } from '@wxq/wechat-api';
import { UnrecoverableError } from 'bullmq';
import { type NotifyDeps, errcodeOf, recordOf, refuse, sendNotification, stoppedDetail } from './notify.js';

/** A recipient handed over after −1 or 5xx waits as a notify job's first backoff step does. */
const HANDOVER_RETRY_MS = 1_000;

export interface NotifyBatchDeps extends NotifyDeps {
  /** Where a recipient that needs more than one call goes: a notify job of its own. */
  readonly singles: Producer<'notify'>;
}

/**
 * The notify-batch processor (docs/notifications.md): a template campaign's recipients, up to
 * twenty, one call each, one after another; what a job costs is paid once for them all. A
 * recipient the batch cannot settle with one call (a retry, a token refresh, "too often", the
 * 45009 pause, a paused campaign) is handed over to a notify job of its own, with the recipient's
 * id as the job's: the notify processor does the rest, as for any notification. The batch never
 * waits in "delayed", so a batch started a second time (a crash, a failed attempt) knows only
 * that its recipients still `queued` may be anywhere between; it hands every one of them over,
 * and each one's job, reading its record first, sends nothing twice.
 */
export function createNotifyBatchProcessor(deps: NotifyBatchDeps): Processor<'notifyBatch'> {
  return async (batch, context) => {
    const { job } = context;
    const { appId, campaignId } = batch;
    const api = deps.apis.get(appId);
    if (api === undefined) throw new UnrecoverableError(`no account ${appId} is configured on this worker`);
    const all = batch.recipients.map((recipient) => singleOf(batch, recipient));
    const statuses = await deps.records.statusesOf(all.map((single) => single.id));
    // Sent or settled already, or expired: never sent again.
    const queued = all.filter((_, i) => statuses[i] === 'queued');
    if (job.attemptsStarted > 1) {
      await deps.singles.addBulk(queued);
      return;
    }
    for (const [i, single] of queued.entries()) {
      // The rate's next window is under a second away: waited for here, not in "delayed"; the
      // campaign and the pause are looked at after the wait.
      for (let wait = (await deps.rateLimiter?.reserve(appId)) ?? 0; wait > 0;) {
        await sleep(wait);
        wait = (await deps.rateLimiter?.reserve(appId)) ?? 0;
      }
      const [campaign, pausedUntil] = await Promise.all([
        deps.campaigns.statusOf(campaignId),
        deps.pause.pausedUntil(appId),
      ]);
      if (campaign?.status === 'cancelled' || campaign?.status === 'failed') {
        const detail = stoppedDetail(campaign);
        for (const rest of queued.slice(i)) await refuse(deps, rest, detail);
        return;
      }
      // Held (an operator's pause of the campaign, the notifications' pause): each waits on its own.
      if (campaign?.status === 'paused' || pausedUntil !== undefined) {
        await deps.singles.addBulk(queued.slice(i));
        return;
      }
      if ((await sendOne(deps, api, single, context.log)) === 'paused') {
        await deps.singles.addBulk(queued.slice(i));
        return;
      }
    }
  };
}

/** One recipient's call and what its answer asks for; `paused` when WeChat's 45009 paused the account. */
async function sendOne(
  deps: NotifyBatchDeps,
  api: WechatApiClient,
  single: NotifyPayload,
  log: Logger,
): Promise<'paused' | undefined> {
  const { appId, send: body } = single;
  const record = recordOf(single);
  let msgid: string | undefined;
  try {
    msgid = (await sendNotification(api, single)).msgid;
  } catch (err) {
    const verdict = judgeSend(body.kind, err);
    deps.notifications.inc({ account: appId, kind: body.kind, result: verdict.result });
    const detail = { errcode: errcodeOf(verdict), reason: verdict.reason };
    switch (verdict.action) {
      case 'sent':
        await deps.records.sent(record, undefined);
        return undefined;
      case 'pause_account':
        await deps.pause.pause(appId, verdict.pause ?? 'day', log);
        return 'paused';
      // Handed over with the wait the notify job would have taken: the first backoff step, or the
      // policy's "later" (43117), counted as its first deferral.
      case 'retry':
      case 'refresh_token':
      case 'clear_consent':
        await deps.singles.add(single, { delayMs: verdict.action === 'retry' ? HANDOVER_RETRY_MS : 0 });
        return undefined;
      case 'retry_later':
        await deps.singles.add(
          { ...single, deferred: 1 },
          { delayMs: (verdict.retryAfterSeconds ?? TOO_OFTEN_RETRY_AFTER_SECONDS) * 1000 },
        );
        return undefined;
      default:
        // refuse, stop_batch, close_window, exhaust_window: as the notify processor does.
        if (verdict.action === 'stop_batch' && single.campaignId !== undefined && detail.errcode !== undefined)
          await deps.campaigns.fail(single.campaignId, detail.errcode);
        await refuse(deps, single, detail);
        return undefined;
    }
  }
  deps.notifications.inc({ account: appId, kind: body.kind, result: 'ok' });
  await deps.records.sent(record, msgid);
  return undefined;
}

/** A batch's recipient as a notification of its own: its data merged over the campaign's. */
function singleOf(batch: NotifyBatchPayload, recipient: NotifyBatchPayload['recipients'][number]): NotifyPayload {
  const { id, to, data } = recipient;
  const send = data === undefined ? batch.send : { ...batch.send, data: { ...batch.send.data, ...data } };
  return { v: 1, appId: batch.appId, id, to, send, createdAt: batch.createdAt, campaignId: batch.campaignId };
}
