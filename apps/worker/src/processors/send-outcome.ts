import type { Logger } from '@wxq/logging';
import type { QuotaLedger, Reservation, SendPause } from '@wxq/quota';
import type { SendVerdict } from '@wxq/wechat-api';
import type { Counter } from 'prom-client';
import { PAUSE_COUNTERS, type SendCounters } from '../send-counters.js';

/** What a send's verdict may change: the metrics, the user's windows, the account's pause. */
export interface SendOutcomeDeps {
  /** The quota ledger (docs/quota.md); undefined with WXQ_CS_QUOTA=off. */
  readonly ledger: QuotaLedger | undefined;
  readonly pause: SendPause;
  readonly counters: SendCounters;
  /** wxq_worker_sends_total, labelled with the verdict's result. */
  readonly sends: Counter<'account' | 'result'>;
}

/**
 * Does what the send policy's verdict on one of WeChat's answers asks of the account and the user,
 * once per answer, whichever path sent (inline-replies.ts or outbound.ts): counts the send, tells
 * the ledger what the answer says about the user's windows, pauses the account. Answers when the
 * pause ends, for `pause_account`.
 */
export async function actOnVerdict(
  deps: SendOutcomeDeps,
  appId: string,
  user: string,
  verdict: SendVerdict,
  reservation: Reservation | undefined,
  log: Logger,
): Promise<number | undefined> {
  deps.sends.inc({ account: appId, result: verdict.result });
  if (deps.ledger !== undefined) await learn(deps.ledger, appId, user, verdict, reservation);
  if (verdict.action !== 'pause_account' || verdict.pause === undefined) return undefined;
  await deps.counters.count(appId, PAUSE_COUNTERS[verdict.pause]);
  return deps.pause.pause(appId, verdict.pause, log);
}

/** What WeChat's answer says about the user's windows (docs/wechat-protocol.md §7.4, §7.5). */
async function learn(
  ledger: QuotaLedger,
  appId: string,
  user: string,
  verdict: SendVerdict,
  reservation: Reservation | undefined,
): Promise<void> {
  if (verdict.action === 'exhaust_window') await ledger.correct(appId, user, 'exhaust');
  else if (verdict.action === 'close_window') await ledger.correct(appId, user, 'close');
  // WeChat answered an errcode: the message was not sent, so the send is not spent. Without an
  // answer (a timeout) it may have been, so that keeps its reservation.
  else if (verdict.action !== 'sent' && verdict.answered && reservation !== undefined)
    await ledger.refund(appId, user, reservation);
}
