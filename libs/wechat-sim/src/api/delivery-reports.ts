// Delivery reports: a moment after an accepted template or subscribe send, WeChat pushes its outcome
// to the account's callback URL (docs/wechat-protocol.md §11.3 TEMPLATESENDJOBFINISH, §12.1
// subscribe_msg_sent_event). The simulator does the same, signed (and sealed) as `buildPush` builds
// every push, retried as WeChat retries, and records each report so a test can see what happened.
import type { InboundMessage } from '@wxq/wechat';
import { buildPush } from '../push/build-push.js';
import { DEFAULT_TO_USER_NAME, type TemplateReportStatus, createMessage } from '../push/messages.js';
import { sendPush } from '../push/send-push.js';
import type { Accounts, SimulatorCallback, TemplateKind } from './accounts.js';
import { jsonReply } from './http-io.js';
import { type Family, simGetEndpoint } from './routes.js';

/** WeChat delivers a push at most three times (docs/wechat-protocol.md §5.1). */
const MAX_DELIVERIES = 3;
/** "Some seconds after a send" (docs/wechat-protocol.md §11.3): shortened, so a sandbox shows it at once. */
const DEFAULT_REPORT_DELAY_MS = 200;
/** Simulator-only: `GET /sim/reports?after=n` lists delivery reports from index n on. */
const REPORTS_PATH = '/sim/reports';

/** The send a report is about, as `reportStatus` sees it. */
export interface ReportSubject {
  readonly appId: string;
  readonly kind: TemplateKind;
  readonly openId: string;
  readonly templateId: string;
  readonly msgid: string;
}

/**
 * `pending` until pushed; `delivered` once the callback answered 2xx; `failed` after the last
 * delivery failed (or the push could not be built); `skipped` when the account has no callback URL.
 */
export type ReportState = 'pending' | 'delivered' | 'failed' | 'skipped';

export interface DeliveryReport extends ReportSubject {
  readonly status: TemplateReportStatus;
  readonly state: ReportState;
  /** Deliveries tried so far (at most 3, docs/wechat-protocol.md §5.1). */
  readonly attempts: number;
  /** `now()` when the send was accepted, in milliseconds. */
  readonly time: number;
  /** The callback's answer to the latest delivery. */
  readonly answer?: { readonly status: number; readonly body: string };
  /** Why the latest delivery failed: the fetch error, or the push that could not be built. */
  readonly error?: string;
}

interface DeliveryReportOptions {
  readonly accounts: Accounts;
  readonly now: () => number;
  readonly delayMs: number | undefined;
  readonly reportStatus: ((subject: ReportSubject) => TemplateReportStatus) | undefined;
}

export interface DeliveryReports extends Family {
  readonly reports: readonly DeliveryReport[];
  /** Records the report of an accepted send and pushes it after the delay (when the account has a callback). */
  schedule(subject: ReportSubject): void;
  /**
   * Sets (or, with undefined, removes) where the account's reports go.
   * @throws RangeError for an account the simulator does not serve; TypeError for a callback that
   *   could never be pushed to
   */
  readonly setCallback: (appId: string, callback: SimulatorCallback | undefined) => void;
  /** Cancels pending reports and aborts the ones in flight. */
  stop(): void;
}

/**
 * A subscribe send's outcome as `subscribe_msg_sent_event` carries it. The notes show only
 * `0`/`success` (docs/wechat-protocol.md §12.1); for the failures the codes are our choice: 43101 is the
 * API's own "user refuses" code, -1 its "system error".
 */
const SUBSCRIBE_ERROR_CODES: Readonly<Record<TemplateReportStatus, string>> = {
  success: '0',
  'failed:user block': '43101',
  'failed: system failed': '-1',
};

interface Entry {
  report: DeliveryReport;
}

/** @throws TypeError for a negative delay or an account's callback that could never be pushed to */
export function createDeliveryReports(options: DeliveryReportOptions): DeliveryReports {
  const { accounts, now } = options;
  const delayMs = options.delayMs ?? DEFAULT_REPORT_DELAY_MS;
  if (!(Number.isFinite(delayMs) && delayMs >= 0)) throw new TypeError(`reportDelayMs must be ≥ 0: ${delayMs}`);
  const callbacks = new Map<string, SimulatorCallback>();
  for (const [appId, callback] of accounts.callbacks()) callbacks.set(appId, checkCallback(appId, callback));
  let entries: Entry[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let aborter = new AbortController();
  let stopped = false;

  function update(entry: Entry, change: Partial<DeliveryReport>): void {
    entry.report = { ...entry.report, ...change };
  }

  function statusOf(subject: ReportSubject): { status: TemplateReportStatus } | { error: string } {
    try {
      return { status: options.reportStatus?.(subject) ?? 'success' };
    } catch (error) {
      return { error: `reportStatus threw: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  function later(run: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, delayMs);
    timers.add(timer);
  }

  /** One delivery, then the next after the delay while deliveries are left; never throws. */
  async function deliver(entry: Entry, callback: SimulatorCallback, signal: AbortSignal): Promise<void> {
    const attempts = entry.report.attempts + 1;
    // One reading of the clock: the push's timestamp and the report's CreateTime agree, as WeChat's do.
    const seconds = String(Math.floor(now() / 1000));
    let push;
    try {
      push = buildPush({
        account: { appId: entry.report.appId, token: callback.token, ...keyOf(callback) },
        mode: modeOf(callback),
        message: reportMessage(entry.report, callback, seconds),
        timestamp: seconds,
      });
    } catch (error) {
      update(entry, { state: 'failed', attempts, error: `the push could not be built: ${reason(error)}` });
      return;
    }
    const url = new URL(callback.url);
    try {
      const answer = await sendPush(url.origin, url.pathname, push, { signal });
      if (answer.status >= 200 && answer.status < 300) {
        update(entry, { state: 'delivered', attempts, answer });
        return;
      }
      update(entry, { attempts, answer, error: `HTTP ${answer.status}` });
    } catch (error) {
      if (signal.aborted) return; // stopped or reset: the report stays as it was
      update(entry, { attempts, error: reason(error) });
    }
    if (attempts >= MAX_DELIVERIES) {
      update(entry, { state: 'failed' });
      return;
    }
    // WeChat retries a push that got no good answer (docs/wechat-protocol.md §5.1), here after the same delay.
    later(() => void deliver(entry, callback, signal));
  }

  return {
    endpoints: {
      [REPORTS_PATH]: simGetEndpoint(({ query }) => {
        const after = Math.max(0, Number.parseInt(query.get('after') ?? '0', 10) || 0);
        const reports = entries.slice(after).map((entry) => entry.report);
        return { reply: jsonReply({ total: entries.length, reports }, null), appId: null };
      }),
    },
    get reports() {
      return entries.map((entry) => entry.report);
    },
    schedule(subject) {
      const status = statusOf(subject);
      const callback = callbacks.get(subject.appId);
      const base = { ...subject, attempts: 0, time: now() };
      if ('error' in status) {
        entries.push({ report: { ...base, status: 'success', state: 'failed', error: status.error } });
        return;
      }
      const entry: Entry = {
        report: { ...base, status: status.status, state: callback === undefined ? 'skipped' : 'pending' },
      };
      entries.push(entry);
      if (callback === undefined || stopped) return;
      const { signal } = aborter;
      later(() => void deliver(entry, callback, signal));
    },
    setCallback(appId, callback) {
      accounts.select(appId);
      if (callback === undefined) callbacks.delete(appId);
      else callbacks.set(appId, checkCallback(appId, callback));
    },
    reset() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      aborter.abort();
      aborter = new AbortController();
      entries = [];
    },
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      aborter.abort();
    },
  };
}

function reportMessage(report: DeliveryReport, callback: SimulatorCallback, createTime: string): InboundMessage {
  const header = { openid: report.openId, toUserName: callback.originalId ?? DEFAULT_TO_USER_NAME, createTime };
  return report.kind === 'template'
    ? createMessage.templateSendJobFinish(report.msgid, { ...header, status: report.status })
    : createMessage.subscribeMsgSent(
        [
          {
            templateId: report.templateId,
            msgId: report.msgid,
            errorCode: SUBSCRIBE_ERROR_CODES[report.status],
            errorStatus: report.status,
          },
        ],
        header,
      );
}

function modeOf(callback: SimulatorCallback): 'plaintext' | 'compatible' | 'safe' {
  return callback.mode ?? (callback.encodingAESKey === undefined ? 'plaintext' : 'safe');
}

function keyOf(callback: SimulatorCallback): { encodingAESKey?: string } {
  return callback.encodingAESKey === undefined ? {} : { encodingAESKey: callback.encodingAESKey };
}

function checkCallback(appId: string, callback: SimulatorCallback): SimulatorCallback {
  let url: URL;
  try {
    url = new URL(callback.url);
  } catch {
    throw new TypeError(`the callback URL of ${appId} is not a URL: ${callback.url}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TypeError(`the callback URL of ${appId} must be http or https: ${callback.url}`);
  if (url.search !== '' || url.hash !== '')
    throw new TypeError(`the callback URL of ${appId} takes no query or fragment: WeChat adds its own query`);
  if (callback.token === '') throw new TypeError(`the callback of ${appId} needs the console's Token`);
  if (modeOf(callback) !== 'plaintext' && callback.encodingAESKey === undefined)
    throw new TypeError(`the callback of ${appId} needs an encodingAESKey for ${modeOf(callback)} mode`);
  return callback;
}

function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch wraps the network error (ECONNREFUSED, …) in a TypeError's cause.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
