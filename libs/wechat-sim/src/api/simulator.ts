// The WeChat API simulator, composed: one factory per API family (families/), each with its own
// endpoints and state, behind one HTTP listener (server.ts). A new family (the open platform's
// component API) is one more factory in the list below.
import type { TemplateReportStatus } from '../push/messages.js';
import { type SimulatorAccount, type SimulatorCallback, createAccounts } from './accounts.js';
import { type DeliveryReport, type ReportSubject, createDeliveryReports } from './delivery-reports.js';
import { createCallbackIpFamily } from './families/callback-ips.js';
import { type SentMessage, createCustomerServiceFamily } from './families/customer-service.js';
import { createMediaFamily } from './families/media.js';
import { type ConsentChoice, type SubscribeSend, createSubscribeFamily } from './families/subscribe.js';
import { type TemplateSend, createTemplateFamily } from './families/templates.js';
import { createTokenFamily } from './families/tokens.js';
import { type Fault, createFaultList } from './faults.js';
import type { Interaction, RecordedInteraction, SendWindow, SubscribeConsent } from './interactions.js';
import { createMsgIdCounter } from './msg-ids.js';
import type { MediaInput } from './media-store.js';
import { type SimulatorCall, startSimulatorServer } from './server.js';
import type { TokenMintCounts } from './token-registry.js';

export interface WechatApiSimulatorOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: any free port. */
  readonly port?: number;
  readonly accounts: readonly SimulatorAccount[];
  /** `expires_in` of new tokens; default 7200 (docs/wechat-protocol.md §6.1). */
  readonly tokenTtlSeconds?: number;
  /** What `getcallbackip` answers; default `['127.0.0.1']`, where simulated pushes come from. */
  readonly callbackIps?: readonly string[];
  /**
   * The accounts' IP whitelist (公众号后台 → 基本配置, docs/wechat-protocol.md §5.5): addresses and
   * CIDR ranges allowed to call the token endpoints; anyone else gets 40164 naming the address it
   * called from. Default: no whitelist, every caller allowed.
   */
  readonly ipWhitelist?: readonly string[];
  /**
   * Milliseconds since the epoch; default `Date.now`. Drives token and media lifetimes, send
   * windows, typing and the daily quota; `createManualClock()` gives one a test can advance.
   */
  readonly now?: () => number;
  /**
   * Enforce the customer-service send rules (docs/wechat-protocol.md §7.3, §7.4): a send to a user needs an
   * open window, opened by an interaction the simulator was told of (`recordInteraction`, `POST
   * /sim/interactions`, or `sendPush` with `simulator`), else 45015 (no window open) or 45047 (its sends
   * used up); Typing needs an exchange in the last 30 s (45080) and no Typing still showing (45081). Default
   * false: every well-formed send and typing succeeds, as before.
   */
  readonly enforceQuota?: boolean;
  /**
   * Sends per window with `enforceQuota` (docs/wechat-protocol.md §7.4): default 5 after a user message, 3
   * after a counted event.
   */
  readonly quota?: { readonly messageSends?: number; readonly eventSends?: number };
  /**
   * The account's daily call quota for `message/custom/send`, in successful sends: past it, sends
   * answer 45009 until `now()` passes midnight Beijing time (docs/wechat-protocol.md §7.5). Applies with or without
   * `enforceQuota`; default none.
   */
  readonly dailySendQuota?: number;
  /**
   * Successful `message/template/send` calls per account and day: past it, 45009 until midnight
   * Beijing time (docs/wechat-protocol.md §11.1). Default none (WeChat's default is 100,000).
   */
  readonly dailyTemplateQuota?: number;
  /** The same for `message/subscribe/bizsend` (docs/wechat-protocol.md §12.2). Default none. */
  readonly dailySubscribeQuota?: number;
  /**
   * How long after an accepted template or subscribe send its delivery report is pushed to the
   * account's callback (docs/wechat-protocol.md §11.3, §12.1), and between the 3 deliveries of one that
   * failed; real time, not `now`. Default 200; 0 is fine in tests.
   */
  readonly reportDelayMs?: number;
  /**
   * What each delivery report says; default `success` for every send. A report whose hook throws is
   * recorded as failed and not pushed.
   */
  readonly reportStatus?: (send: ReportSubject) => TemplateReportStatus;
}

export interface WechatApiSimulator {
  /** Base URL, e.g. `http://127.0.0.1:40123`, to use instead of `https://api.weixin.qq.com`. */
  readonly url: string;
  /** Every request, in the order they were answered. */
  readonly calls: readonly SimulatorCall[];
  /** Accepted customer-service messages, in order. */
  readonly sends: readonly SentMessage[];
  /** Accepted template messages (docs/wechat-protocol.md §11), in order; a `client_msg_id` repeat is not one. */
  readonly templateSends: readonly TemplateSend[];
  /** Accepted subscribe notifications (docs/wechat-protocol.md §12), in order. */
  readonly subscribeSends: readonly SubscribeSend[];
  /**
   * The delivery report of every accepted template and subscribe send, in the order of the sends, with
   * its state: `skipped` for an account without a callback, else `pending` until `delivered` or `failed`.
   */
  readonly reports: readonly DeliveryReport[];
  /**
   * Sets (or, with undefined, removes) where the account's delivery reports are pushed, e.g. once the
   * gateway listens.
   * @throws RangeError for an account the simulator does not serve; TypeError for an unusable callback
   */
  setCallback(appId: string, callback: SimulatorCallback | undefined): void;
  /**
   * A user accepts or rejects a subscribe template, as in a popup (docs/wechat-protocol.md §12.1): an
   * accept adds one send, a reject clears them (a long-term template then answers 43101 too). Pushes of
   * `subscribe_msg_popup_event` and `subscribe_msg_change_event` told to `recordInteraction` do the same.
   * @throws RangeError for an account the simulator does not serve, or a template that is not one of its
   *   subscribe templates
   */
  subscribeConsent(appId: string, openId: string, templateId: string, choice: ConsentChoice): SubscribeConsent;
  /** The user's consent to a subscribe template now. @throws RangeError as `subscribeConsent` does */
  subscribeConsentOf(appId: string, openId: string, templateId: string): SubscribeConsent;
  /** The interactions the simulator was told of, in order, with what each did. */
  readonly interactions: readonly RecordedInteraction[];
  /**
   * Tells the simulator a user acted: the push WeChat sent about it, typed (`parseInboundXml`,
   * `createMessage`). Its MsgType, Event, CreateTime and FromUserName decide the window (docs/wechat-protocol.md §7.4).
   * The same push told twice is one action. Recorded with or without `enforceQuota`. A subscribe popup or
   * settings change also updates the user's consent (`consent` in the record, docs/wechat-protocol.md §12.1).
   * @throws RangeError for an account the simulator does not serve; TypeError for a message
   *   without FromUserName or a CreateTime in Unix seconds
   */
  recordInteraction(interaction: Interaction): RecordedInteraction;
  /**
   * The user's send windows open at `now()`, the one closing first first (empty when none is).
   * @throws RangeError for an account the simulator does not serve
   */
  sendWindows(appId: string, openId: string): readonly SendWindow[];
  /** Tokens minted by each endpoint, for one account or all. */
  tokenMints(appId?: string): TokenMintCounts;
  /** Every token of the account (or all) answers 40001 from now on, as after a leak or a force refresh elsewhere. */
  invalidateTokens(appId?: string): void;
  /** Every live token of the account (or all) answers 42001 from now on. */
  expireTokens(appId?: string): void;
  /** @throws RangeError for a fault that could never apply */
  injectFault(fault: Fault): void;
  clearFaults(): void;
  /** Media `media/get` serves, as a user's upload would be; returns its media_id. */
  addMedia(media: MediaInput): string;
  /**
   * Resolves with the sends once there are at least `count`.
   * @throws Error after `timeoutMs`, or when the simulator stops first
   */
  waitForSends(count: number, timeoutMs: number): Promise<readonly SentMessage[]>;
  /**
   * Forgets calls, sends, tokens, media, faults, interactions, windows, quotas, consent and reports (pending
   * ones are cancelled); the listener and the callbacks stay.
   */
  reset(): void;
  /** Closes the listener and every connection; idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the WeChat API simulator on a loopback port: token, stable_token, customer-service send and typing,
 * template messages and subscribe notifications with their delivery reports, getcallbackip, media
 * get/upload, with fault injection. Answers as WeChat does (HTTP 200 with an errcode),
 * from docs/wechat-protocol.md. With `enforceQuota: true` it also keeps the send windows of
 * docs/wechat-protocol.md §7.4 and the typing rules of docs/wechat-protocol.md §7.3, so a client that sends
 * without a user's interaction gets WeChat's 45015 / 45047; off by default.
 * @throws TypeError for bad options; the listen error when the port is taken
 */
export async function startWechatApiSimulator(options: WechatApiSimulatorOptions): Promise<WechatApiSimulator> {
  const now = options.now ?? Date.now;
  const accounts = createAccounts(options.accounts);
  const tokens = createTokenFamily({
    accounts,
    now,
    tokenTtlSeconds: options.tokenTtlSeconds,
    ipWhitelist: options.ipWhitelist,
  });
  const { checkToken } = tokens;
  const media = createMediaFamily({ checkToken, now });
  const reports = createDeliveryReports({
    accounts,
    now,
    delayMs: options.reportDelayMs,
    reportStatus: options.reportStatus,
  });
  const msgIds = createMsgIdCounter();
  const templates = createTemplateFamily({
    accounts,
    checkToken,
    msgIds,
    reports,
    dailyTemplateQuota: options.dailyTemplateQuota,
  });
  const subscribe = createSubscribeFamily({
    accounts,
    checkToken,
    msgIds,
    reports,
    dailySubscribeQuota: options.dailySubscribeQuota,
  });
  const customerService = createCustomerServiceFamily({
    accounts,
    now,
    checkToken,
    hasMedia: media.has,
    enforceQuota: options.enforceQuota,
    quota: options.quota,
    dailySendQuota: options.dailySendQuota,
    onInteraction: subscribe.learn,
  });
  const callbackIps = createCallbackIpFamily({ checkToken, callbackIps: options.callbackIps ?? ['127.0.0.1'] });
  const families = [tokens, customerService, templates, subscribe, reports, media, callbackIps];
  const faults = createFaultList();
  const server = await startSimulatorServer({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    now,
    families,
    faults,
    accountOf: tokens.accountOf,
  });

  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    get calls() {
      return server.calls;
    },
    get sends() {
      return customerService.sends;
    },
    get templateSends() {
      return templates.sends;
    },
    get subscribeSends() {
      return subscribe.sends;
    },
    get reports() {
      return reports.reports;
    },
    get interactions() {
      return customerService.interactions;
    },
    setCallback: reports.setCallback,
    subscribeConsent: subscribe.consent,
    subscribeConsentOf: subscribe.consentOf,
    recordInteraction: customerService.recordInteraction,
    sendWindows: customerService.sendWindows,
    waitForSends: customerService.waitForSends,
    tokenMints: tokens.mints,
    invalidateTokens: tokens.invalidate,
    expireTokens: tokens.expire,
    injectFault: (fault) => {
      faults.add(fault);
    },
    clearFaults: () => {
      faults.clear();
    },
    addMedia: media.add,
    reset() {
      server.clearCalls();
      for (const family of families) family.reset();
      faults.clear();
    },
    stop() {
      if (stopped === undefined) {
        reports.stop();
        stopped = server.stop();
        customerService.stop();
      }
      return stopped;
    },
  };
}
