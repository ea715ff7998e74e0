// The customer-service family (docs/wechat-protocol.md §7): `message/custom/send` and `typing`, the send
// rules that govern them (windows, typing, the daily quota), and the simulator-only endpoints that
// list what was sent (`/sim/sends`) and tell the simulator a user acted (`/sim/interactions`).
import type { Accounts } from '../accounts.js';
import { type CustomMessage, checkCustomMessage, checkTyping } from '../custom-message.js';
import { jsonReply } from '../http-io.js';
import {
  INTERACTIONS_PATH,
  type Interaction,
  type RecordedInteraction,
  type SendWindow,
  parseInteractionRequest,
} from '../interactions.js';
import {
  type CheckToken,
  type Endpoint,
  type Family,
  type Handled,
  MAX_JSON_BODY_BYTES,
  checkedJsonPost,
  simGetEndpoint,
} from '../routes.js';
import { createSendRules } from '../send-rules.js';

/**
 * A user message allows 5 sends, a counted event 3 (docs/wechat-protocol.md §7.4; the notes assume 5, not the
 * 2021 rule's 20).
 */
const DEFAULT_MESSAGE_SENDS = 5;
const DEFAULT_EVENT_SENDS = 3;
/** Simulator-only: `GET /sim/sends?after=n` lists accepted sends from index n on. */
const SENDS_PATH = '/sim/sends';

export interface SentMessage {
  readonly appId: string;
  /** `now()` when the send was accepted, in milliseconds. */
  readonly time: number;
  readonly message: CustomMessage;
}

interface CustomerServiceOptions {
  readonly accounts: Accounts;
  readonly now: () => number;
  readonly checkToken: CheckToken;
  /** Whether a temporary media id is known and unexpired (the media family answers). */
  readonly hasMedia: (mediaId: string, nowMs: number) => boolean;
  readonly enforceQuota: boolean | undefined;
  readonly quota: { readonly messageSends?: number; readonly eventSends?: number } | undefined;
  readonly dailySendQuota: number | undefined;
  /**
   * Told of every interaction once the send rules have: what else it did (subscribe consent,
   * docs/wechat-protocol.md §12.1) goes into its record.
   */
  readonly onInteraction?: (interaction: Interaction) => Pick<RecordedInteraction, 'consent'>;
}

interface CustomerServiceFamily extends Family {
  /** Snapshots, in order. */
  readonly sends: readonly SentMessage[];
  readonly interactions: readonly RecordedInteraction[];
  /** @throws RangeError for an account the simulator does not serve; TypeError for an unusable message */
  readonly recordInteraction: (interaction: Interaction) => RecordedInteraction;
  /** @throws RangeError for an account the simulator does not serve */
  readonly sendWindows: (appId: string, openId: string) => readonly SendWindow[];
  /** @throws Error after `timeoutMs`, or when stopped first */
  readonly waitForSends: (count: number, timeoutMs: number) => Promise<readonly SentMessage[]>;
  /** Rejects every waiter; later waits reject at once unless already satisfied. */
  stop(): void;
}

interface Waiter {
  readonly count: number;
  readonly resolve: (sends: readonly SentMessage[]) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** @throws TypeError for a `quota` or `dailySendQuota` that is not a whole number in range */
export function createCustomerServiceFamily(options: CustomerServiceOptions): CustomerServiceFamily {
  const { accounts, now, checkToken } = options;
  const messageSends = options.quota?.messageSends ?? DEFAULT_MESSAGE_SENDS;
  const eventSends = options.quota?.eventSends ?? DEFAULT_EVENT_SENDS;
  for (const [name, value] of [
    ['quota.messageSends', messageSends],
    ['quota.eventSends', eventSends],
  ] as const) {
    if (!(Number.isSafeInteger(value) && value > 0))
      throw new TypeError(`${name} must be a positive integer: ${value}`);
  }
  const { dailySendQuota } = options;
  const rules = createSendRules({ enforce: options.enforceQuota ?? false, messageSends, eventSends, dailySendQuota });
  let sends: SentMessage[] = [];
  let interactions: RecordedInteraction[] = [];
  const waiters = new Set<Waiter>();
  let stopped = false;

  function settle(waiter: Waiter, finish: () => void): void {
    clearTimeout(waiter.timer);
    waiters.delete(waiter);
    finish();
  }

  function accept(sent: SentMessage): void {
    sends.push(sent);
    for (const waiter of waiters) {
      if (sends.length >= waiter.count)
        settle(waiter, () => {
          waiter.resolve([...sends]);
        });
    }
  }

  function recordInteraction(interaction: Interaction): RecordedInteraction {
    accounts.select(interaction.appId);
    const recorded = { ...rules.record(interaction, now()), ...options.onInteraction?.(interaction) };
    interactions.push(recorded);
    return recorded;
  }

  /** Simulator-only: a user action told over HTTP, by the CLI or a sandbox in another process. */
  const interactionEndpoint: Endpoint = {
    maxBodyBytes: MAX_JSON_BODY_BYTES,
    handle({ method, query, contentType, body }): Handled {
      const refuse = (status: number, error: string, headers: Readonly<Record<string, string>> = {}): Handled => {
        const reply = jsonReply({ error }, null, status);
        return { reply: { ...reply, headers: { ...reply.headers, ...headers } }, appId: null };
      };
      if (method !== 'POST') return refuse(405, `${INTERACTIONS_PATH} takes POST`, { allow: 'POST' });
      if (body === undefined) return refuse(413, `a push is at most ${MAX_JSON_BODY_BYTES} bytes`);
      const parsed = parseInteractionRequest(query, contentType, body, (appId) => accounts.has(appId));
      if (!parsed.ok) return refuse(parsed.status, parsed.error);
      try {
        return { reply: jsonReply({ interaction: recordInteraction(parsed) }, null), appId: parsed.appId };
      } catch (error) {
        return refuse(400, error instanceof Error ? error.message : 'unusable interaction');
      }
    },
  };

  return {
    endpoints: {
      '/cgi-bin/message/custom/send': checkedJsonPost(
        checkToken,
        (body, request) => checkCustomMessage(body, (mediaId) => options.hasMedia(mediaId, request.nowMs)),
        (message, appId, request) => {
          // Last, so only a send that goes spends the user's window and the account's quota.
          const allowed = rules.trySend(appId, message.touser, request.nowMs);
          if (allowed === 0) accept({ appId, time: request.nowMs, message });
          return allowed;
        },
      ),
      '/cgi-bin/message/custom/typing': checkedJsonPost(
        checkToken,
        checkTyping,
        ({ touser, command }, appId, request) => rules.tryTyping(appId, touser, command, request.nowMs),
      ),
      [SENDS_PATH]: simGetEndpoint(({ query }) => {
        const after = Math.max(0, Number.parseInt(query.get('after') ?? '0', 10) || 0);
        return { reply: jsonReply({ total: sends.length, sends: sends.slice(after) }, null), appId: null };
      }),
      [INTERACTIONS_PATH]: interactionEndpoint,
    },
    get sends() {
      return [...sends];
    },
    get interactions() {
      return [...interactions];
    },
    recordInteraction,
    sendWindows(appId, openId) {
      accounts.select(appId);
      return rules.windows(appId, openId, now());
    },
    waitForSends(count, timeoutMs) {
      if (sends.length >= count) return Promise.resolve([...sends]);
      if (stopped) return Promise.reject(new Error('the simulator is stopped'));
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          count,
          resolve,
          reject,
          timer: setTimeout(() => {
            settle(waiter, () => {
              reject(new Error(`waited ${timeoutMs} ms for ${count} sends, saw ${sends.length}`));
            });
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    reset() {
      sends = [];
      interactions = [];
      rules.clear();
    },
    stop() {
      stopped = true;
      for (const waiter of waiters)
        settle(waiter, () => {
          waiter.reject(new Error('the simulator stopped'));
        });
    },
  };
}
