import { computeDedupKey } from '@wxq/wechat';
import {
  type Interaction,
  type RecordedInteraction,
  type SendWindow,
  type WindowKind,
  grantOf,
} from './interactions.js';
import type { TypingCommand } from './custom-message.js';
import { createDailyQuota } from './daily-quota.js';

/** A user message allows sends for 48 hours from its CreateTime (docs/wechat-protocol.md §7.4). */
const MESSAGE_WINDOW_MS = 48 * 3600 * 1000;
/** Following, scanning and the counted menu clicks allow sends for 1 minute (docs/wechat-protocol.md §7.4). */
const EVENT_WINDOW_MS = 60 * 1000;
/** Typing needs a message exchanged with the user in the last 30 s (docs/wechat-protocol.md §7.3). */
const TYPING_EXCHANGE_MS = 30 * 1000;
/** The typing indicator shows for 15 s and cannot be set again meanwhile (docs/wechat-protocol.md §7.3). */
const TYPING_SHOWS_MS = 15 * 1000;
const UNIX_SECONDS = /^\d{1,12}$/;

interface SendRulesOptions {
  /** Whether windows and typing decide answers; interactions are recorded either way. */
  readonly enforce: boolean;
  readonly messageSends: number;
  readonly eventSends: number;
  /** Successful sends per account and Beijing day; undefined for no limit. */
  readonly dailySendQuota: number | undefined;
}

interface SendRules {
  /** @throws TypeError when the message's FromUserName or CreateTime is unusable */
  record(interaction: Interaction, nowMs: number): RecordedInteraction;
  /** 0 when the send may go, and then it is spent; otherwise the errcode WeChat answers. */
  trySend(appId: string, openId: string, nowMs: number): number;
  /** 0 when the typing command may go (it spends nothing); otherwise the errcode (docs/wechat-protocol.md §7.3). */
  tryTyping(appId: string, openId: string, command: TypingCommand, nowMs: number): number;
  /** The user's windows still open at `nowMs`, the one closing first first. */
  windows(appId: string, openId: string, nowMs: number): readonly SendWindow[];
  clear(): void;
}

interface OpenWindow {
  readonly kind: WindowKind;
  sendsLeft: number;
  readonly closesAt: number;
  /** CreateTime (ms) of the push that granted it: an older push does not replace it. */
  readonly grantedAt: number;
}

interface UserState {
  readonly windows: Map<WindowKind, OpenWindow>;
  /** Dedup keys (docs/wechat-protocol.md §5.4) of the pushes recorded: the same push twice is one user action. */
  readonly told: Set<string>;
  /** CreateTime (ms) of the latest unsubscribe: grants from before it stay closed. */
  closedAt: number;
  /** When the account and the user last exchanged a message, either way (docs/wechat-protocol.md §7.3). */
  lastExchangeAt: number;
  typingUntil: number;
}

/**
 * The customer-service send rules of docs/wechat-protocol.md §7.3–§7.5 for every (account, user), on the
 * caller's clock.
 */
export function createSendRules(options: SendRulesOptions): SendRules {
  const users = new Map<string, UserState>();
  const daily = createDailyQuota(options.dailySendQuota, 'dailySendQuota');

  function user(appId: string, openId: string): UserState {
    const key = userKey(appId, openId);
    let state = users.get(key);
    if (state === undefined) {
      state = {
        windows: new Map(),
        told: new Set(),
        closedAt: -Infinity,
        lastExchangeAt: -Infinity,
        typingUntil: -Infinity,
      };
      users.set(key, state);
    }
    return state;
  }

  function openWindows(state: UserState | undefined, nowMs: number): readonly OpenWindow[] {
    if (state === undefined) return [];
    return [...state.windows.values()]
      .filter((window) => nowMs < window.closesAt)
      .sort((a, b) => a.closesAt - b.closesAt);
  }

  /**
   * The window a send would take from, or why none. docs/wechat-protocol.md §7.5 gives 45015 as "outside the reply
   * window, or the user unfollowed" and 45047 as "send quota for this user used up". So a user
   * with no window still open (never opened, expired, or closed by unsubscribe) is 45015, and a
   * user with a window open but no send left in any open one is 45047: the time is right, the
   * count is not. An expired window's unused sends count for nothing, as docs/wechat-protocol.md §7.4's "within" says.
   */
  function pick(state: UserState, nowMs: number): OpenWindow | 45015 | 45047 {
    const open = openWindows(state, nowMs);
    if (open.length === 0) return 45015;
    // docs/wechat-protocol.md §7.4 does not say which window a send draws on. Assumed: the one that closes first, the
    // reading that wastes the fewest of the user's sends.
    return open.find((window) => window.sendsLeft > 0) ?? 45047;
  }

  return {
    record({ appId, message }, nowMs) {
      const openId = message.FromUserName;
      if (typeof openId !== 'string' || openId === '')
        throw new TypeError('an interaction needs the FromUserName of its user');
      if (typeof message.CreateTime !== 'string' || !UNIX_SECONDS.test(message.CreateTime)) {
        throw new TypeError(`an interaction needs a CreateTime in Unix seconds: ${message.CreateTime}`);
      }
      const createdAt = Number(message.CreateTime) * 1000;
      const grant = grantOf(message);
      const state = user(appId, openId);
      const key = computeDedupKey(message);
      const told = state.told.has(key);
      state.told.add(key);
      let outcome: RecordedInteraction['outcome'] = told ? 'duplicate' : 'applied';
      let kind: WindowKind | undefined;
      if (!told && (grant === 'message' || grant === 'event')) {
        kind = grant;
        state.lastExchangeAt = Math.max(state.lastExchangeAt, createdAt);
        const current = state.windows.get(kind);
        if (createdAt < state.closedAt || (current !== undefined && createdAt < current.grantedAt))
          outcome = 'superseded';
        else {
          // A new grant replaces the old window of its kind: sends do not add up (docs/wechat-protocol.md §7.4).
          const sends = kind === 'message' ? options.messageSends : options.eventSends;
          const duration = kind === 'message' ? MESSAGE_WINDOW_MS : EVENT_WINDOW_MS;
          state.windows.set(kind, { kind, sendsLeft: sends, closesAt: createdAt + duration, grantedAt: createdAt });
        }
      } else if (!told && grant === 'close') {
        if (createdAt < state.closedAt) outcome = 'superseded';
        else {
          // Unfollowing ends every window (docs/wechat-protocol.md §4.3, §7.5: 45015 "or the user unfollowed"); a grant
          // of the same second may come after it (unfollow, then follow again).
          state.closedAt = createdAt;
          for (const [windowKind, window] of state.windows)
            if (window.grantedAt <= createdAt) state.windows.delete(windowKind);
          state.typingUntil = -Infinity;
        }
      }
      const window = kind === undefined ? undefined : openWindows(state, nowMs).find((w) => w.kind === kind);
      const event = message.MsgType === 'event' ? message.Event : undefined;
      return {
        appId,
        openId,
        msgType: message.MsgType,
        ...(typeof event === 'string' ? { event } : {}),
        createdAt,
        time: nowMs,
        grant,
        outcome,
        ...(window === undefined
          ? {}
          : { window: { kind: window.kind, sendsLeft: window.sendsLeft, closesAt: window.closesAt } }),
      };
    },

    trySend(appId, openId, nowMs) {
      // The account's quota first (midnight Beijing time, docs/wechat-protocol.md §7.5): past it no
      // send of the account goes, whoever it is for.
      if (daily.isSpent(appId, nowMs)) return 45009;
      const state = user(appId, openId);
      if (options.enforce) {
        const window = pick(state, nowMs);
        if (typeof window === 'number') return window;
        window.sendsLeft -= 1;
      }
      daily.spend(appId, nowMs);
      state.lastExchangeAt = Math.max(state.lastExchangeAt, nowMs);
      // A message sent ends the typing indicator (docs/wechat-protocol.md §7.3).
      state.typingUntil = -Infinity;
      return 0;
    },

    tryTyping(appId, openId, command, nowMs) {
      if (!options.enforce) return 0;
      const state = user(appId, openId);
      if (command === 'CancelTyping') {
        state.typingUntil = -Infinity;
        return 0;
      }
      if (nowMs - state.lastExchangeAt > TYPING_EXCHANGE_MS) return 45080;
      // docs/wechat-protocol.md §7.3: typing "works only when a send would be allowed"; the notes give it no
      // code of its own for that, so it answers what the send would.
      const window = pick(state, nowMs);
      if (typeof window === 'number') return window;
      if (nowMs < state.typingUntil) return 45081;
      state.typingUntil = nowMs + TYPING_SHOWS_MS;
      return 0;
    },

    windows(appId, openId, nowMs) {
      return openWindows(users.get(userKey(appId, openId)), nowMs).map(({ kind, sendsLeft, closesAt }) => ({
        kind,
        sendsLeft,
        closesAt,
      }));
    },

    clear() {
      users.clear();
      daily.clear();
    },
  };
}

function userKey(appId: string, openId: string): string {
  return `${appId}\n${openId}`;
}
