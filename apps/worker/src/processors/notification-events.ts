import type { Logger } from '@wxq/logging';
import type { ConsentLedger, NotificationRecords } from '@wxq/notify';
import type { InboundPayload } from '@wxq/queue';
import { isKnownMessage, subscribeEntriesOf } from '@wxq/wechat';

// What a push says about notifications (docs/notifications.md): a subscribe popup or a change in
// settings moves the user's consent credits; a delivery report moves a sent notification to
// `delivered` or `failed`. Then the push goes to the handlers as any other.

export interface NotificationEventDeps {
  readonly records: NotificationRecords;
  /** undefined with WXQ_SUBSCRIBE_CONSENT=off. */
  readonly consent: ConsentLedger | undefined;
}

/** Applies the push's effect, once per push (a re-run changes nothing again). */
export async function applyNotificationEvent(
  deps: NotificationEventDeps,
  payload: InboundPayload,
  pushJobId: string,
  markerTtlMs: number,
  log: Logger,
): Promise<void> {
  const { message, appId } = payload;
  if (!isKnownMessage(message) || message.MsgType !== 'event') return;
  const user = message.FromUserName;
  switch (message.Event) {
    case 'subscribe_msg_popup_event':
    case 'subscribe_msg_change_event': {
      if (deps.consent === undefined) return;
      const changes = subscribeEntriesOf(message).map((entry) => ({
        templateId: entry.TemplateId,
        accepted: entry.SubscribeStatusString === 'accept',
      }));
      await deps.consent.apply(appId, user, pushJobId, changes, markerTtlMs);
      return;
    }
    case 'TEMPLATESENDJOBFINISH': {
      // `success`, `failed:user block`, `failed: system failed` (docs/wechat-protocol.md §11.3).
      const id = await deps.records.findByReport(appId, message.MsgID, user, '');
      if (id === undefined) return;
      const delivered = message.Status === 'success';
      const { campaign } = (await deps.records.get(id)) ?? {};
      await deps.records.advance(
        id,
        delivered ? 'delivered' : 'failed',
        delivered ? {} : { reason: message.Status },
        campaign,
      );
      return;
    }
    case 'subscribe_msg_sent_event': {
      for (const entry of subscribeEntriesOf(message)) {
        const id = await deps.records.findByReport(appId, entry.MsgID || '0', user, entry.TemplateId);
        if (id === undefined) continue;
        const delivered = entry.ErrorCode === '0';
        const errcode = Number(entry.ErrorCode);
        const { campaign } = (await deps.records.get(id)) ?? {};
        await deps.records.advance(
          id,
          delivered ? 'delivered' : 'failed',
          delivered
            ? {}
            : { reason: entry.ErrorStatus, ...(Number.isInteger(errcode) && errcode !== 0 ? { errcode } : {}) },
          campaign,
        );
      }
      return;
    }
    default:
      log.trace({ event: message.Event }, 'no notification effect');
  }
}
