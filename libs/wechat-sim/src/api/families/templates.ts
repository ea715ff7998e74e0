// The template-message family (docs/wechat-protocol.md §11): `message/template/send` with its
// `client_msg_id` idempotency and daily quota, the delivery report of each accepted send (§11.3),
// and the simulator-only `/sim/template-sends` that lists them.
import type { Accounts } from '../accounts.js';
import { createDailyQuota } from '../daily-quota.js';
import type { DeliveryReports } from '../delivery-reports.js';
import { jsonReply } from '../http-io.js';
import type { MsgIdCounter } from '../msg-ids.js';
import { type TemplateSendBody, checkTemplateSend } from '../notification-body.js';
import { type CheckToken, type Family, checkedJsonCall, fail, okWithMsgId, simGetEndpoint } from '../routes.js';

/** One openid receives one message per `client_msg_id` within 10 minutes (docs/wechat-protocol.md §11.1). */
const CLIENT_MSG_ID_WINDOW_MS = 10 * 60 * 1000;
/** Simulator-only: `GET /sim/template-sends?after=n` lists accepted sends from index n on. */
const SENDS_PATH = '/sim/template-sends';

/** An accepted template message: the body as sent (wire field names, docs/wechat-protocol.md §11.1) and its answer. */
export interface TemplateSend extends TemplateSendBody {
  readonly appId: string;
  /** The answer's msgid, as decimal digits (it exceeds 2^53). */
  readonly msgid: string;
  /** `now()` when the send was accepted, in milliseconds. */
  readonly time: number;
}

interface TemplateFamilyOptions {
  readonly accounts: Accounts;
  readonly checkToken: CheckToken;
  readonly msgIds: MsgIdCounter;
  readonly reports: DeliveryReports;
  readonly dailyTemplateQuota: number | undefined;
}

interface TemplateFamily extends Family {
  readonly sends: readonly TemplateSend[];
}

/** @throws TypeError for a `dailyTemplateQuota` that is not a whole number ≥ 0 */
export function createTemplateFamily(options: TemplateFamilyOptions): TemplateFamily {
  const { accounts, reports } = options;
  const daily = createDailyQuota(options.dailyTemplateQuota, 'dailyTemplateQuota');
  let sends: TemplateSend[] = [];
  // (appId, openid, client_msg_id) → the msgid it was answered with, oldest first.
  const recent = new Map<string, { readonly msgid: bigint; readonly at: number }>();

  function forgetExpired(nowMs: number): void {
    for (const [key, { at }] of recent) {
      if (nowMs - at < CLIENT_MSG_ID_WINDOW_MS) break;
      recent.delete(key);
    }
  }

  return {
    endpoints: {
      '/cgi-bin/message/template/send': checkedJsonCall(
        options.checkToken,
        (body, _request, appId) => checkTemplateSend(body, (id) => accounts.template(appId, id)?.kind === 'template'),
        (message, appId, { nowMs }) => {
          forgetExpired(nowMs);
          const key =
            message.client_msg_id === undefined ? undefined : [appId, message.touser, message.client_msg_id].join('\n');
          const earlier = key === undefined ? undefined : recent.get(key);
          // A retry within 10 minutes is the same message: the same msgid, nothing sent, no quota spent.
          if (earlier !== undefined && nowMs - earlier.at < CLIENT_MSG_ID_WINDOW_MS)
            return okWithMsgId(earlier.msgid, appId);
          // The daily cap (docs/wechat-protocol.md §11.1, §11.2): until 00:00 Asia/Shanghai.
          if (daily.isSpent(appId, nowMs)) return fail(45009, appId);
          daily.spend(appId, nowMs);
          const msgid = options.msgIds.next();
          if (key !== undefined) {
            // Deleted first so the map stays in time order for forgetExpired.
            recent.delete(key);
            recent.set(key, { msgid, at: nowMs });
          }
          sends.push({ appId, ...message, msgid: msgid.toString(), time: nowMs });
          reports.schedule({
            appId,
            kind: 'template',
            openId: message.touser,
            templateId: message.template_id,
            msgid: msgid.toString(),
          });
          return okWithMsgId(msgid, appId);
        },
      ),
      [SENDS_PATH]: simGetEndpoint(({ query }) => {
        const after = Math.max(0, Number.parseInt(query.get('after') ?? '0', 10) || 0);
        return { reply: jsonReply({ total: sends.length, sends: sends.slice(after) }, null), appId: null };
      }),
    },
    get sends() {
      return [...sends];
    },
    reset() {
      sends = [];
      recent.clear();
      daily.clear();
    },
  };
}
