// The subscribe-notification family (docs/wechat-protocol.md §12): `message/subscribe/bizsend`, the
// users' consent it needs (§12.1: one accept allows one send of a one-time template), learnt from the
// popup and settings-change pushes the simulator is told of or set by a test, the daily quota, the
// delivery report of each accepted send, and the simulator-only `/sim/subscribe-sends` and
// `/sim/subscribe-consents`.
import { type InboundMessage, type XmlValue, computeDedupKey, fieldOf } from '@wxq/wechat';
import type { Accounts, Template } from '../accounts.js';
import { createDailyQuota } from '../daily-quota.js';
import type { DeliveryReports } from '../delivery-reports.js';
import { jsonReply } from '../http-io.js';
import type { ConsentChange, Interaction, SubscribeConsent } from '../interactions.js';
import type { MsgIdCounter } from '../msg-ids.js';
import { type SubscribeSendBody, checkSubscribeSend } from '../notification-body.js';
import { type CheckToken, type Family, checkedJsonCall, fail, okWithMsgId, simGetEndpoint } from '../routes.js';

/** Simulator-only: `GET /sim/subscribe-sends?after=n` lists accepted sends from index n on. */
const SENDS_PATH = '/sim/subscribe-sends';
/** Simulator-only: `GET /sim/subscribe-consents[?openid=]` lists the users' consent. */
const CONSENTS_PATH = '/sim/subscribe-consents';

/** An accepted subscribe notification: the body as sent (wire names, docs/wechat-protocol.md §12.2) and its answer. */
export interface SubscribeSend extends SubscribeSendBody {
  readonly appId: string;
  /** The answer's msgid, as decimal digits (it exceeds 2^53). */
  readonly msgid: string;
  /** `now()` when the send was accepted, in milliseconds. */
  readonly time: number;
}

export type ConsentChoice = 'accept' | 'reject';

interface SubscribeFamilyOptions {
  readonly accounts: Accounts;
  readonly checkToken: CheckToken;
  readonly msgIds: MsgIdCounter;
  readonly reports: DeliveryReports;
  readonly dailySubscribeQuota: number | undefined;
}

interface SubscribeFamily extends Family {
  readonly sends: readonly SubscribeSend[];
  /**
   * A user accepts or rejects a subscribe template, as in a popup: an accept adds one credit, a reject
   * clears them (and blocks a long-term template).
   * @throws RangeError for an account the simulator does not serve, or a template that is not one of its
   *   subscribe templates
   */
  readonly consent: (appId: string, openId: string, templateId: string, choice: ConsentChoice) => SubscribeConsent;
  /** @throws RangeError as `consent` does */
  readonly consentOf: (appId: string, openId: string, templateId: string) => SubscribeConsent;
  /** What a popup or settings-change push does to consent; nothing for other pushes. */
  readonly learn: (interaction: Interaction) => { readonly consent?: readonly ConsentChange[] };
}

interface Ledger {
  credits: number;
  rejected: boolean;
}

/** @throws TypeError for a `dailySubscribeQuota` that is not a whole number ≥ 0 */
export function createSubscribeFamily(options: SubscribeFamilyOptions): SubscribeFamily {
  const { accounts, reports } = options;
  const daily = createDailyQuota(options.dailySubscribeQuota, 'dailySubscribeQuota');
  let sends: SubscribeSend[] = [];
  const ledgers = new Map<string, Ledger>();
  // The popup pushes applied, so one told twice (a retry, or by `sendPush` and the test) counts once.
  const told = new Set<string>();

  const subscribeTemplate = (appId: string, templateId: string): Template | undefined => {
    const template = accounts.template(appId, templateId);
    return template?.kind === 'subscribe' ? template : undefined;
  };

  function ledger(appId: string, openId: string, templateId: string): Ledger {
    const key = [appId, openId, templateId].join('\n');
    let entry = ledgers.get(key);
    if (entry === undefined) {
      entry = { credits: 0, rejected: false };
      ledgers.set(key, entry);
    }
    return entry;
  }

  function snapshot(appId: string, openId: string, template: Template): SubscribeConsent {
    const { credits, rejected } = ledger(appId, openId, template.id);
    return {
      appId,
      openId,
      templateId: template.id,
      longTerm: template.longTerm,
      credits,
      canSend: template.longTerm ? !rejected : credits > 0,
    };
  }

  function apply(appId: string, openId: string, template: Template, choice: ConsentChoice): SubscribeConsent {
    const entry = ledger(appId, openId, template.id);
    if (choice === 'accept') {
      // One accept allows one send (一次性订阅, docs/wechat-protocol.md §12.1); accepts add up.
      entry.credits += 1;
      entry.rejected = false;
    } else {
      entry.credits = 0;
      entry.rejected = true;
    }
    return snapshot(appId, openId, template);
  }

  function requireTemplate(appId: string, templateId: string): Template {
    accounts.select(appId);
    const template = subscribeTemplate(appId, templateId);
    if (template === undefined) throw new RangeError(`${templateId} is not a subscribe template of ${appId}`);
    return template;
  }

  return {
    endpoints: {
      '/cgi-bin/message/subscribe/bizsend': checkedJsonCall(
        options.checkToken,
        (body, _request, appId) => checkSubscribeSend(body, (id) => subscribeTemplate(appId, id) !== undefined),
        (message, appId, { nowMs }) => {
          // The checks found the template.
          const template = requireTemplate(appId, message.template_id);
          if (daily.isSpent(appId, nowMs)) return fail(45009, appId);
          // No consent left: 43101 "user refuse to accept the msg" (docs/wechat-protocol.md §12.1).
          if (!snapshot(appId, message.touser, template).canSend) return fail(43101, appId);
          if (!template.longTerm) ledger(appId, message.touser, template.id).credits -= 1;
          daily.spend(appId, nowMs);
          const msgid = options.msgIds.next().toString();
          sends.push({ appId, ...message, msgid, time: nowMs });
          reports.schedule({ appId, kind: 'subscribe', openId: message.touser, templateId: template.id, msgid });
          return okWithMsgId(BigInt(msgid), appId);
        },
      ),
      [SENDS_PATH]: simGetEndpoint(({ query }) => {
        const after = Math.max(0, Number.parseInt(query.get('after') ?? '0', 10) || 0);
        return { reply: jsonReply({ total: sends.length, sends: sends.slice(after) }, null), appId: null };
      }),
      [CONSENTS_PATH]: simGetEndpoint(({ query }) => {
        const openid = query.get('openid');
        const consents = [...ledgers.keys()].flatMap((key) => {
          const [appId = '', openId = '', templateId = ''] = key.split('\n');
          const template = accounts.template(appId, templateId);
          return template === undefined || (openid !== null && openid !== openId)
            ? []
            : [snapshot(appId, openId, template)];
        });
        return { reply: jsonReply({ consents }, null), appId: null };
      }),
    },
    get sends() {
      return [...sends];
    },
    consent(appId, openId, templateId, choice) {
      return apply(appId, openId, requireTemplate(appId, templateId), choice);
    },
    consentOf(appId, openId, templateId) {
      return snapshot(appId, openId, requireTemplate(appId, templateId));
    },
    learn({ appId, message }) {
      const choices = consentChoices(message);
      if (choices === undefined) return {};
      const openId = message.FromUserName;
      const key = `${computeDedupKey(message)}\n${JSON.stringify(choices)}`;
      const duplicate = told.has(key);
      told.add(key);
      const consent = choices.map(({ templateId, status }): ConsentChange => {
        const template = subscribeTemplate(appId, templateId);
        if (template === undefined || (status !== 'accept' && status !== 'reject'))
          return { templateId, status, outcome: 'ignored' };
        return duplicate
          ? { templateId, status, outcome: 'duplicate', consent: snapshot(appId, openId, template) }
          : { templateId, status, outcome: 'applied', consent: apply(appId, openId, template, status) };
      });
      return { consent };
    },
    reset() {
      sends = [];
      ledgers.clear();
      told.clear();
      daily.clear();
    },
  };
}

/**
 * The List entries of a popup or settings-change push (docs/wechat-protocol.md §12.1), or undefined
 * for any other push. Read from the raw fields rather than @wxq/wechat's typed List, because one
 * settings-change sample wraps its List in the popup's tag name (§12.1: accept both), which the typed
 * message does not carry over.
 */
function consentChoices(
  message: InboundMessage,
): readonly { readonly templateId: string; readonly status: string }[] | undefined {
  const event = message.MsgType === 'event' ? fieldOf(message, 'Event') : undefined;
  if (event !== 'subscribe_msg_popup_event' && event !== 'subscribe_msg_change_event') return undefined;
  const own = event === 'subscribe_msg_popup_event' ? 'SubscribeMsgPopupEvent' : 'SubscribeMsgChangeEvent';
  const listOf = (name: string): readonly XmlValue[] => {
    const wrapper = fieldOf(message, name);
    return asArray(isRecord(wrapper) ? wrapper['List'] : undefined);
  };
  // The event's own wrapper; only when it has no entries, the other tag name.
  const items = listOf(own).length > 0 ? listOf(own) : listOf('SubscribeMsgPopupEvent');
  return items.flatMap((item) => {
    if (!isRecord(item)) return [];
    const templateId = item['TemplateId'];
    const status = item['SubscribeStatusString'];
    return typeof templateId === 'string' && templateId !== ''
      ? [{ templateId, status: typeof status === 'string' ? status : '' }]
      : [];
  });
}

function asArray(value: XmlValue | undefined): readonly XmlValue[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as readonly XmlValue[]) : [value];
}

function isRecord(value: unknown): value is Readonly<Record<string, XmlValue>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
